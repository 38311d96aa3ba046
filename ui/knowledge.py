"""The agent console's "Suggested answers": review answers mined from past conversations.

Agents and admins tick candidates to approve or reject several at once, or open one to edit its
topic, question and answer first. Approved answers are what the assistant answers from (cited as
"Our answer on <topic>"); each handler re-checks the session on the server and calls
:class:`~assistant.services.knowledge.KnowledgeService` only.

Example:
    >>> with gr.Blocks():  # doctest: +SKIP
    ...     build_knowledge_section(services)
"""

from __future__ import annotations

import html
import logging
from typing import Any

import gradio as gr

from assistant.security.links import LinkPolicy
from assistant.services import Services
from assistant.services.knowledge import AnswerView, CandidateView
from assistant.services.types import ServiceError
from ui.auth import DENIED_MESSAGE, plain_error, require

log = logging.getLogger(__name__)

LIST_LIMIT = 200


def _label(c: CandidateView) -> str:
    question = c.question if len(c.question) <= 70 else c.question[:69] + "…"
    return f"{c.topic} · {c.n_conversations} conversations · consistency {c.consistency:.2f} — “{question}”"


def _plain_links(markdown: str, links: LinkPolicy) -> str:
    """Mined text comes from customers' past messages: a link off the shop's allow-list is shown as plain text
    (label and address in a code span), as in a reply to a customer, so a planted phishing link is never one
    click away for a reviewing agent."""
    return links.neutralize(markdown).text


def _details_md(c: CandidateView, links: LinkPolicy) -> str:
    lines = [
        f"**Mined from {c.n_conversations} past conversations** · agents' replies consistency "
        f"**{c.consistency:.2f}** · status **{c.status}**"
        + (f" · edited by {html.escape(c.edited_by)}" if c.edited_by else ""),
    ]
    if c.placeholders:
        lines.append(
            "Placeholders, filled only from the current customer's verified data: "
            + ", ".join(f"`{{{p}}}`" for p in c.placeholders)
        )
    if c.examples:
        lines.append("**How customers asked it:**")
        lines.extend(f"- {html.escape(e)}" for e in c.examples[:8])
    if c.sources:
        shown = ", ".join(html.escape(s.get("conversation_id", "")) for s in c.sources[:6])
        lines.append(f"_Source conversations: {shown}{' …' if c.n_conversations > 6 else ''}_")
    return _plain_links("\n".join(lines), links)


def _approved_md(answers: list[AnswerView], links: LinkPolicy) -> str:
    if not answers:
        return "_No approved answers yet._"
    lines = ["**Approved answers the assistant cites**"]
    for a in answers[:50]:
        when = a.approved_at.strftime("%Y-%m-%d %H:%M")
        lines.append(f"- **{html.escape(a.title)}** (v{a.version}, approved by {html.escape(a.approved_by)}, {when})")
    return _plain_links("\n".join(lines), links)


def build_knowledge_section(services: Services) -> None:
    """Render the "Suggested answers" section into the current Blocks context (inside the agent area)."""
    links = LinkPolicy.from_settings(services.settings)
    with gr.Accordion("Suggested answers", open=True, elem_id="kb-section"):
        gr.Markdown(
            "Answers mined from past conversations, with every customer's details replaced by placeholders. "
            "Approve the ones the assistant may use; reject the rest.",
        )
        with gr.Row():
            counts = gr.Markdown("", elem_id="kb-counts")
            refresh = gr.Button("Load suggested answers", size="sm", elem_id="kb-refresh", scale=0, min_width=200)
        select = gr.CheckboxGroup(choices=[], label="Waiting for review (tick several to decide them at once)",
                                  elem_id="kb-select")
        with gr.Row():
            approve_selected = gr.Button("Approve ticked", variant="primary", size="sm", elem_id="kb-approve-selected")
            reason = gr.Textbox(label="Reason to reject", scale=2, elem_id="kb-reason", max_lines=2)
            reject_selected = gr.Button("Reject ticked", variant="stop", size="sm", elem_id="kb-reject-selected")
        pick = gr.Dropdown(choices=[], label="Open one to read or edit", elem_id="kb-pick", interactive=True)
        topic = gr.Textbox(label="Topic (cited as “Our answer on …”)", elem_id="kb-topic", max_lines=1)
        question = gr.Textbox(label="Question", elem_id="kb-question", lines=2)
        answer = gr.Textbox(label="Answer", elem_id="kb-answer", lines=6)
        details = gr.Markdown("", elem_id="kb-details")
        with gr.Row():
            save = gr.Button("Save edit", size="sm", elem_id="kb-save")
            save_approve = gr.Button("Save and approve", variant="primary", size="sm", elem_id="kb-save-approve")
        result = gr.Markdown("", elem_id="kb-result")
        approved = gr.Markdown("", elem_id="kb-approved")

    def listing(user: Any) -> list[Any]:
        kb = services.knowledge
        pending = kb.candidates(user, "pending", limit=LIST_LIMIT)
        n = kb.counts(user)
        choices = [(_label(c), c.id) for c in pending]
        summary = (f"**{n.get('pending', 0)}** waiting · **{n.get('approved', 0)}** approved · "
                   f"**{n.get('rejected', 0)}** rejected")
        return [summary, gr.update(choices=choices, value=[]), gr.update(choices=choices, value=None),
                _approved_md(kb.answers(user), links)]

    list_outputs = [counts, select, pick, approved]

    def do_refresh(request: gr.Request) -> list[Any]:
        user = require(services, request, "agent")
        if user is None:
            return [DENIED_MESSAGE, gr.skip(), gr.skip(), gr.skip(), ""]
        try:
            return [*listing(user), ""]
        except Exception as exc:
            return [plain_error("suggested answers", exc), gr.skip(), gr.skip(), gr.skip(), ""]

    refresh.click(do_refresh, None, [*list_outputs, result], api_name="kb_list")

    def do_bulk(action: str, ids: list[int] | None, why: str, request: gr.Request) -> list[Any]:
        user = require(services, request, "agent")
        if user is None:
            return [DENIED_MESSAGE, *([gr.skip()] * len(list_outputs))]
        if not ids:
            return ["Tick at least one suggested answer first.", *([gr.skip()] * len(list_outputs))]
        try:
            wanted = [int(i) for i in ids]
            if action == "approve":
                done = services.knowledge.approve(user, wanted)
                msg = f"Approved {done.decided} answer{'s' if done.decided != 1 else ''}: the assistant answers from " \
                      "them now."
            else:
                done = services.knowledge.reject(user, wanted, why or "")
                msg = f"Rejected {done.decided} suggestion{'s' if done.decided != 1 else ''}."
            return [msg, *listing(user)]
        except ServiceError as exc:
            return [str(exc), *([gr.skip()] * len(list_outputs))]
        except Exception as exc:
            return [plain_error("suggested answer decision", exc), *([gr.skip()] * len(list_outputs))]

    def approve_handler(ids: list[int] | None, why: str, request: gr.Request) -> list[Any]:
        return do_bulk("approve", ids, why, request)

    def reject_handler(ids: list[int] | None, why: str, request: gr.Request) -> list[Any]:
        return do_bulk("reject", ids, why, request)

    approve_selected.click(approve_handler, [select, reason], [result, *list_outputs], api_name="kb_approve")
    reject_selected.click(reject_handler, [select, reason], [result, *list_outputs], api_name="kb_reject")

    def do_open(candidate_id: int | None, request: gr.Request) -> list[Any]:
        user = require(services, request, "agent")
        if user is None:
            return ["", "", "", "", DENIED_MESSAGE]
        if candidate_id is None:
            return [gr.skip()] * 5
        try:
            c = services.knowledge.candidate(user, int(candidate_id))
        except ServiceError as exc:
            return [gr.skip(), gr.skip(), gr.skip(), gr.skip(), str(exc)]
        except Exception as exc:
            return [gr.skip(), gr.skip(), gr.skip(), gr.skip(), plain_error("open suggested answer", exc)]
        return [c.topic, c.question, c.answer, _details_md(c, links), ""]

    pick.change(do_open, [pick], [topic, question, answer, details, result], api_name="kb_open")

    def do_save(and_approve: bool, candidate_id: int | None, t: str, q: str, a: str,
                request: gr.Request) -> list[Any]:
        user = require(services, request, "agent")
        if user is None:
            return [DENIED_MESSAGE, *([gr.skip()] * len(list_outputs))]
        if candidate_id is None:
            return ["Open a suggested answer first.", *([gr.skip()] * len(list_outputs))]
        try:
            c = services.knowledge.edit(user, int(candidate_id), answer=a, topic=t, question=q)
            if and_approve and c.status != "approved":
                services.knowledge.approve(user, [c.id])
            msg = "Saved and approved." if and_approve else (
                "Saved: a new approved version is live." if c.status == "approved" else "Saved.")
            return [msg, *listing(user)]
        except ServiceError as exc:
            return [str(exc), *([gr.skip()] * len(list_outputs))]
        except Exception as exc:
            return [plain_error("save suggested answer", exc), *([gr.skip()] * len(list_outputs))]

    def save_handler(c: int | None, t: str, q: str, a: str, request: gr.Request) -> list[Any]:
        return do_save(False, c, t, q, a, request)

    def save_approve_handler(c: int | None, t: str, q: str, a: str, request: gr.Request) -> list[Any]:
        return do_save(True, c, t, q, a, request)

    edit_inputs = [pick, topic, question, answer]
    save.click(save_handler, edit_inputs, [result, *list_outputs], api_name="kb_save")
    save_approve.click(save_approve_handler, edit_inputs, [result, *list_outputs], api_name="kb_save_approve")
