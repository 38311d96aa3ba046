"""The agent console: queue, transcript, draft review, the customer's interests, product suggestions.

Each handler re-checks the session cookie on the server (``ui.auth.require``): a browser
without an agent or admin session gets the sign-in message and no data, whatever it sends.

Example:
    >>> with gr.Blocks() as demo:  # doctest: +SKIP
    ...     panel = build_agent_area(services)
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from typing import Any

import gradio as gr

from assistant.services import Services
from assistant.services.types import ConversationDetail, DraftView, QueueItem, ServiceError
from ui import charts
from ui.auth import DENIED_MESSAGE, SigninPanel, plain_error, require, signin_panel
from ui.knowledge import build_knowledge_section

log = logging.getLogger(__name__)

ROLE_LABEL = {"customer": "Customer", "assistant": "Assistant", "agent": "Agent", "system": "System"}


@dataclass
class AgentArea:
    signin: SigninPanel
    column: gr.Column
    refresh: gr.Button
    logout: gr.Button
    load_outputs: list[Any]
    load_fn: Any


WAITING_POLL_SECONDS = 10.0


def _queue_choices(items: list[QueueItem]) -> list[tuple[str, str]]:
    out = []
    for q in items:
        preview = q.preview if len(q.preview) <= 60 else q.preview[:59] + "…"
        out.append((f"{q.reason} · {q.intent or 'unknown'} · “{preview}”", q.id))
    return out


def _transcript(detail: ConversationDetail) -> list[dict[str, Any]]:
    out = []
    for m in detail.messages:
        role = "user" if m.role == "customer" else "assistant"
        prefix = "" if m.role in ("customer", "assistant") else f"**{ROLE_LABEL.get(m.role, m.role)}:** "
        out.append({"role": role, "content": prefix + m.text})
    return out


def _sources_md(sources: list[Any]) -> str:
    if not sources:
        return "_This draft cites no sources._"
    lines = ["**Sources of this draft**"]
    for i, src in enumerate(sources, 1):
        if isinstance(src, dict):
            title = src.get("title") or src.get("doc_id") or "source"
            snippet = src.get("snippet") or src.get("text") or ""
            n = src.get("n", i)
        else:
            title, snippet, n = str(src), "", i
        lines.append(f"- [{n}] **{html.escape(str(title))}** — {html.escape(str(snippet)[:240])}")
    return "\n".join(lines)


def _header_md(detail: ConversationDetail) -> str:
    who = detail.verified_customer_id or detail.customer_id or "guest"
    verified = " (verified)" if detail.verified_customer_id else ""
    last_conf = next((m.confidence for m in reversed(detail.messages) if m.confidence is not None), None)
    conf = f" · confidence **{last_conf:.2f}**" if last_conf is not None else ""
    return (
        f"**Status:** {detail.status} · **Intent:** {detail.intent or 'unknown'}{conf} · "
        f"**Customer:** {who}{verified}"
    )


def _suggestion_choices(drafts: list[DraftView]) -> list[tuple[str, int]]:
    out = []
    for d in drafts:
        if d.kind != "recommendation" or d.status != "pending":
            continue
        p = d.payload
        price = f"${float(p['price']):,.2f}" if isinstance(p.get("price"), int | float) else ""
        out.append((f"{p.get('name', '?')} {price} — {p.get('reason', '')}"[:140], d.id))
    return out


def build_agent_area(services: Services, hint: str = "") -> AgentArea:
    """Render the agent console (sign-in form + console) into the current Blocks context."""
    signin = signin_panel("agent", hint)
    desk = services.support_desk
    current_conv = gr.State(None)
    current_draft = gr.State(None)
    with gr.Column(visible=False, elem_id="agent-area") as column:
        with gr.Row():
            who = gr.Markdown("", elem_id="agent-who")
            waiting = gr.Markdown("", elem_id="agent-waiting")
            refresh = gr.Button("Refresh queue", size="sm", elem_id="agent-refresh", scale=0, min_width=140)
            logout = gr.Button("Sign out", size="sm", elem_id="agent-logout", scale=0, min_width=100)
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=280):
                gr.Markdown("### Queue")
                queue = gr.Radio(choices=[], label="Handoffs first, then low-confidence answers",
                                 elem_id="agent-queue")
                queue_empty = gr.Markdown("", elem_id="agent-queue-empty")
            with gr.Column(scale=3, min_width=300):
                header = gr.Markdown("_Pick a conversation from the queue._", elem_id="agent-header")
                transcript = gr.Chatbot(label="Transcript", height=320, elem_id="agent-transcript")
                draft = gr.Textbox(label="Draft reply (edit before sending if needed)", lines=5,
                                   elem_id="agent-draft", interactive=True)
                sources = gr.Markdown("", elem_id="agent-sources")
                with gr.Row():
                    approve = gr.Button("Approve & send", variant="primary", elem_id="agent-approve")
                    send_edit = gr.Button("Send edited", elem_id="agent-send")
                    release = gr.Button("Hand back to assistant", size="sm", elem_id="agent-release")
                with gr.Row():
                    reason = gr.Textbox(label="Reason (needed to reject)", scale=3, elem_id="agent-reason")
                    reject = gr.Button("Reject draft", variant="stop", scale=1, elem_id="agent-reject")
                result = gr.Markdown("", elem_id="agent-result")
        with gr.Accordion("Customer interests and suggestions", open=True):
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=300):
                    profile_plot = gr.Plot(label="Interest profile", elem_id="agent-profile")
                with gr.Column(scale=2, min_width=260):
                    events = gr.Dataframe(headers=["time", "event", "product", "category"], label="Recent events",
                                          interactive=False, elem_id="agent-events", max_height=260)
            suggestions = gr.Radio(choices=[], label="Product suggestions for this customer",
                                   elem_id="agent-suggestions")
            with gr.Row():
                accept_sugg = gr.Button("Send suggestion to customer", size="sm", elem_id="agent-sugg-accept")
                sugg_reason = gr.Textbox(label="Reason to reject", scale=2, elem_id="agent-sugg-reason")
                reject_sugg = gr.Button("Reject suggestion", size="sm", variant="stop",
                                        elem_id="agent-sugg-reject")
        build_knowledge_section(services)  # "Suggested answers" mined from past conversations (issue 17)

    # --- handlers ---------------------------------------------------------------------------------

    # The queue itself only changes on Refresh (re-listing it under an agent's cursor would reopen the
    # conversation they are editing); a timer just keeps a count of what is waiting up to date.
    ticker = gr.Timer(WAITING_POLL_SECONDS, active=False)

    def waiting_text(request: gr.Request) -> str:
        user = require(services, request, "agent")
        if user is None:
            return ""
        try:
            handoffs, drafts = desk.waiting_counts(user)
        except Exception as exc:
            return plain_error("waiting count", exc)
        return f"Waiting now: **{handoffs}** handed off · **{drafts}** drafts to review"

    ticker.tick(waiting_text, None, [waiting], api_visibility="private", show_progress="hidden")

    def load(request: gr.Request) -> list[Any]:
        user = require(services, request, "agent")
        if user is None:
            return [gr.update(visible=True), gr.update(visible=False), "", gr.update(choices=[], value=None), "",
                    gr.Timer(active=False), ""]
        try:
            items = desk.queue(user)
        except Exception as exc:
            return [gr.update(visible=False), gr.update(visible=True), f"Signed in as **{user.username}**",
                    gr.update(choices=[]), plain_error("agent queue", exc), gr.Timer(active=True), ""]
        empty = "" if items else "Nothing waiting. New handoffs appear here — press **Refresh queue**."
        return [
            gr.update(visible=False),
            gr.update(visible=True),
            f"Signed in as **{user.username}** ({user.role})",
            gr.update(choices=_queue_choices(items)),
            empty,
            gr.Timer(active=True),
            waiting_text(request),
        ]

    load_outputs = [signin.column, column, who, queue, queue_empty, ticker, waiting]
    refresh.click(load, None, load_outputs, api_name="agent_queue")

    def open_conversation(conversation_id: str | None, request: gr.Request) -> list[Any]:
        n_out = 9
        user = require(services, request, "agent")
        if user is None:
            return [None, None, DENIED_MESSAGE, *([gr.skip()] * (n_out - 3))]
        if not conversation_id:
            return [gr.skip()] * n_out
        try:
            try:
                detail = desk.conversation(user, conversation_id)
            except ServiceError as exc:
                return [None, None, str(exc), *([gr.skip()] * (n_out - 3))]
            pending = [d for d in detail.drafts if d.kind == "reply" and d.status == "pending"]
            current = pending[-1] if pending else None
            customer_id = detail.verified_customer_id or detail.customer_id
            sugg = desk.suggestions(user, conversation_id) if customer_id else []
            if customer_id:
                chat_text = [m.text for m in detail.messages if m.role == "customer"]
                prof = desk.profile(user, customer_id, chat_text)
                plot = charts.profile_chart(prof.top_categories, prof.history)
                rows = [[str(e["time"])[:16], e["event"], e["product"], e["category"]] for e in prof.recent_events]
            else:
                plot = charts.profile_chart([], [])
                rows = []
            return [
                conversation_id,
                current.id if current else None,
                _header_md(detail),
                _transcript(detail),
                current.content if current else "",
                _sources_md(current.sources) if current else "_No draft for this conversation: write a reply "
                "and press **Send edited**._",
                plot,
                rows,
                gr.update(choices=_suggestion_choices(sugg), value=None),
            ]
        except Exception as exc:
            return [gr.skip(), gr.skip(), plain_error("open conversation", exc), *([gr.skip()] * (n_out - 3))]

    detail_outputs = [current_conv, current_draft, header, transcript, draft, sources, profile_plot, events,
                      suggestions]
    queue.change(open_conversation, [queue], detail_outputs, api_name="agent_open")

    def decide(action: str, conversation_id: str | None, draft_id: int | None, text: str, why: str,
               request: gr.Request) -> list[Any]:
        user = require(services, request, "agent")
        if user is None:
            return [DENIED_MESSAGE, gr.skip(), gr.skip()]
        if not conversation_id:
            return ["Pick a conversation first.", gr.skip(), gr.skip()]
        try:
            if draft_id is None:
                if action == "reject":
                    return ["There is no draft to reject.", gr.skip(), gr.skip()]
                desk.reply(user, conversation_id, text)
                msg = "Reply sent to the customer."
            else:
                out = desk.decide(user, draft_id, action, text=text, reason=why)  # type: ignore[arg-type]
                msg = {"approved": "Draft approved and sent.", "edited": "Edited reply sent to the customer.",
                       "rejected": "Draft rejected. Your reason was saved."}[out.status]
        except ServiceError as exc:
            return [f"{exc}", gr.skip(), gr.skip()]
        except Exception as exc:
            return [plain_error("draft decision", exc), gr.skip(), gr.skip()]
        try:
            transcript_now: Any = _transcript(desk.conversation(user, conversation_id))
        except ServiceError:
            transcript_now = gr.skip()
        return [msg, None, transcript_now]

    decide_inputs = [current_conv, current_draft, draft, reason]
    decide_outputs = [result, current_draft, transcript]
    def decider(action: str) -> Any:
        def handler(c: str | None, d: int | None, t: str, r: str, request: gr.Request) -> list[Any]:
            return decide(action, c, d, t, r, request)

        return handler

    approve.click(decider("approve"), decide_inputs, decide_outputs, api_name="agent_approve")
    send_edit.click(decider("edit"), decide_inputs, decide_outputs, api_name="agent_send")
    reject.click(decider("reject"), decide_inputs, decide_outputs, api_name="agent_reject")

    def do_release(conversation_id: str | None, request: gr.Request) -> str:
        user = require(services, request, "agent")
        if user is None:
            return DENIED_MESSAGE
        if not conversation_id:
            return "Pick a conversation first."
        try:
            desk.release(user, conversation_id)
        except ServiceError as exc:
            return f"{exc}"
        except Exception as exc:
            return plain_error("release", exc)
        return "The assistant answers this customer again. Refresh the queue to update it."

    release.click(do_release, [current_conv], [result], api_name="agent_release")

    def decide_suggestion(action: str, draft_id: int | None, why: str, conversation_id: str | None,
                          request: gr.Request) -> list[Any]:
        user = require(services, request, "agent")
        if user is None:
            return [DENIED_MESSAGE, gr.skip()]
        if draft_id is None:
            return ["Pick a suggestion first.", gr.skip()]
        try:
            desk.decide(user, int(draft_id), action, reason=why)  # type: ignore[arg-type]
            remaining = [d for d in desk.drafts(user, "pending", kind="recommendation")
                         if d.conversation_id == conversation_id]
        except ServiceError as exc:
            return [f"{exc}", gr.skip()]
        except Exception as exc:
            return [plain_error("suggestion decision", exc), gr.skip()]
        msg = "Suggestion sent to the customer." if action == "approve" else "Suggestion rejected."
        return [msg, gr.update(choices=_suggestion_choices(remaining), value=None)]

    def suggestion_decider(action: str) -> Any:
        def handler(d: int | None, r: str, c: str | None, request: gr.Request) -> list[Any]:
            return decide_suggestion(action, d, r, c, request)

        return handler

    sugg_inputs = [suggestions, sugg_reason, current_conv]
    accept_sugg.click(suggestion_decider("approve"), sugg_inputs, [result, suggestions], api_name="agent_suggest_ok")
    reject_sugg.click(suggestion_decider("reject"), sugg_inputs, [result, suggestions], api_name="agent_suggest_no")
    return AgentArea(signin=signin, column=column, refresh=refresh, logout=logout, load_outputs=load_outputs,
                     load_fn=load)
