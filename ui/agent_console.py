"""The agent console at ``/agent``: the queue of people waiting, one conversation with its drafts and
order actions, claim / resolve / reopen, the customer's interests and product suggestions.

Every handler re-checks the session cookie on the server (``ui.auth.require``). Opening,
refreshing and switching conversations always re-reads the selected conversation and clears
every field of the previous one (draft, reasons, notes, result line), so nothing carries over.

Example:
    >>> with gr.Blocks() as page:  # doctest: +SKIP
    ...     console = build_agent_console(services)
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from assistant.money import money
from assistant.services import Services
from assistant.services.support_desk import DeskItem
from assistant.services.types import ConversationDetail, DraftView, Invalid, ServiceError, SessionUser
from ui import charts
from ui.auth import DENIED_MESSAGE, SigninPanel, plain_error, require, signin_panel
from ui.knowledge import build_knowledge_section

log = logging.getLogger(__name__)

WAITING_POLL_SECONDS = 10.0
VIEWS = [("Waiting", "waiting"), ("Replied", "replied"), ("Resolved", "resolved")]
NO_CONVERSATION = "_Pick a conversation from the queue._"


@dataclass
class AgentConsole:
    signin: SigninPanel
    column: gr.Column
    logout: gr.Button
    load_outputs: list[Any]
    load_fn: Any


def waited(seconds: float) -> str:
    """``95`` -> ``1 min``; ``7300`` -> ``2 h 1 min``; ``200000`` -> ``2 d 7 h``."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "<1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def queue_label(item: DeskItem, view: str) -> str:
    parts = [item.customer_name, item.need]
    if item.reason and not (view == "waiting" and item.reason == "order action to decide"):
        parts.append(item.reason)
    if view == "waiting":
        parts.append(f"waiting {waited(item.waiting_seconds)}")
    parts.append(f"claimed by {item.claimed_by}" if item.claimed_by else "unclaimed")
    preview = item.preview if len(item.preview) <= 50 else item.preview[:49] + "…"
    if preview:
        parts.append(f"“{preview}”")
    return " · ".join(parts)


def transcript(detail: ConversationDetail, agent_name: Any) -> list[dict[str, Any]]:
    out = []
    for m in detail.messages:
        if m.role == "system":
            continue
        if m.role == "customer":
            out.append({"role": "user", "content": m.text})
        elif m.role == "agent":
            who = agent_name((m.meta or {}).get("agent"))
            out.append({"role": "assistant", "content": f"**{who} (agent):** {m.text}"})
        else:
            out.append({"role": "assistant", "content": m.text})
    return out


def sources_md(sources: list[Any]) -> str:
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


def header_md(detail: ConversationDetail, item: DeskItem | None, name: str) -> str:
    verified = " (verified)" if detail.verified_customer_id else ""
    claimed = item.claimed_by if item else None
    last_conf = next((m.confidence for m in reversed(detail.messages) if m.confidence is not None), None)
    conf = f" · confidence **{last_conf:.2f}**" if last_conf is not None else ""
    return (
        f"### {html.escape(name)}{verified}\n"
        f"**Status:** {detail.status} · **Intent:** {detail.intent or 'unknown'}{conf} · "
        f"**Claimed by:** {claimed or 'nobody'}"
    )


def action_md(draft: DraftView, verdict: str) -> str:
    p = draft.payload
    what = str(p.get("action", "")).replace("_", " ")
    request = html.escape(str(p.get("request", "")))
    return (
        f"#### Order action to decide: **{what}** order **{html.escape(str(p.get('order_id', '')))}**\n"
        f"Customer's request: “{request}”\n\n"
        f"Status when asked: **{html.escape(str(p.get('order_status', '?')))}** · Now: {html.escape(verdict)}"
    )


def suggestion_choices(drafts: list[DraftView], currency: str) -> list[tuple[str, int]]:
    out = []
    for d in drafts:
        if d.kind != "recommendation" or d.status != "pending":
            continue
        p = d.payload
        price = money(float(p["price"]), "en", currency) if isinstance(p.get("price"), int | float) else ""
        out.append((f"{p.get('name', '?')} {price} — {p.get('reason', '')}"[:140], d.id))
    return out


def build_agent_console(services: Services, hint: str = "") -> AgentConsole:
    """Render the sign-in form and the console into the current Blocks context."""
    signin = signin_panel("agent", hint)
    desk = services.support_desk
    currency = services.settings.conversation.currency  # how suggested products' prices are written
    current_conv = gr.State(None)
    current_draft = gr.State(None)
    current_action = gr.State(None)
    with gr.Column(visible=False, elem_id="agent-area") as column:
        with gr.Row(elem_id="agent-top"):
            who = gr.Markdown("", elem_id="agent-who")
            waiting = gr.Markdown("", elem_id="agent-waiting")
            refresh = gr.Button("Refresh", size="sm", elem_id="agent-refresh", scale=0, min_width=110)
            logout = gr.Button("Sign out", size="sm", elem_id="agent-logout", scale=0, min_width=100)
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=280):
                view = gr.Radio(choices=VIEWS, value="waiting", show_label=False, elem_id="agent-view")
                queue = gr.Radio(choices=[], label="Longest waiting first", elem_id="agent-queue")
                queue_empty = gr.Markdown("", elem_id="agent-queue-empty")
            with gr.Column(scale=3, min_width=300):
                header = gr.Markdown(NO_CONVERSATION, elem_id="agent-header")
                with gr.Row():
                    claim = gr.Button("Claim", size="sm", elem_id="agent-claim")
                    resolve = gr.Button("Resolve", size="sm", elem_id="agent-resolve")
                    reopen = gr.Button("Reopen", size="sm", elem_id="agent-reopen")
                    release = gr.Button("Hand back to assistant", size="sm", elem_id="agent-release")
                result = gr.Markdown("", elem_id="agent-result")
                conversation = gr.Chatbot(label="Transcript", height=320, elem_id="agent-transcript")
                with gr.Group(visible=False, elem_id="agent-action") as action_box:
                    action_info = gr.Markdown("", elem_id="agent-action-info")
                    new_address = gr.Textbox(label="New shipping address (street, city, state zip)", visible=False,
                                             elem_id="agent-action-address", max_lines=1)
                    action_msg = gr.Textbox(label="Message to the customer (optional; the change is added to it)",
                                            lines=2, elem_id="agent-action-message")
                    action_reason = gr.Textbox(label="Reason (needed to reject; the customer sees it)",
                                               elem_id="agent-action-reason", max_lines=2)
                    with gr.Row():
                        approve_action = gr.Button("Approve and apply to the order", variant="primary",
                                                   elem_id="agent-action-approve")
                        reject_action = gr.Button("Reject", variant="stop", elem_id="agent-action-reject")
                draft = gr.Textbox(label="Reply (the customer receives exactly this text)", lines=5,
                                   elem_id="agent-draft", interactive=True)
                sources = gr.Markdown("", elem_id="agent-sources")
                with gr.Row():
                    approve = gr.Button("Approve & send", variant="primary", elem_id="agent-approve")
                    send_edit = gr.Button("Send", elem_id="agent-send")
                with gr.Row():
                    reason = gr.Textbox(label="Reason (needed to reject the draft)", scale=3, elem_id="agent-reason")
                    reject = gr.Button("Reject draft", variant="stop", scale=1, elem_id="agent-reject")
        with gr.Accordion("Customer interests and suggestions", open=True):
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=300):
                    profile_plot = gr.Plot(label="Interest profile", elem_id="agent-profile", show_label=False)
                with gr.Column(scale=2, min_width=260):
                    events = gr.Dataframe(headers=["time", "event", "product", "category"], label="Recent events",
                                          interactive=False, elem_id="agent-events", max_height=260)
            suggestions = gr.Radio(choices=[], label="Product suggestions for this customer",
                                   elem_id="agent-suggestions")
            sugg_note = gr.Textbox(label="Your note to the customer (shown with the product card)",
                                   elem_id="agent-sugg-note", max_lines=3)
            with gr.Row():
                accept_sugg = gr.Button("Send suggestion to customer", size="sm", elem_id="agent-sugg-accept")
                sugg_reason = gr.Textbox(label="Reason to reject", scale=2, elem_id="agent-sugg-reason")
                reject_sugg = gr.Button("Reject suggestion", size="sm", variant="stop",
                                        elem_id="agent-sugg-reject")
        build_knowledge_section(services)

    ticker = gr.Timer(WAITING_POLL_SECONDS, active=False)

    # --- reading ------------------------------------------------------------------------------
    def counts_text(user: SessionUser, waiting_items: list[DeskItem] | None = None) -> str:
        if waiting_items is None:
            people, decisions = desk.desk_counts(user)
        else:
            people, decisions = len(waiting_items), sum(i.open_drafts for i in waiting_items)
        return (f"Waiting now: **{people}** conversation{'s' if people != 1 else ''} · "
                f"**{decisions}** draft{'s' if decisions != 1 else ''} or order action{'s' if decisions != 1 else ''}"
                " to decide")

    def waiting_text(request: gr.Request) -> str:
        user = require(services, request, "agent")
        if user is None:
            return ""
        try:
            return counts_text(user)
        except Exception as exc:
            return plain_error("waiting count", exc)

    ticker.tick(waiting_text, None, [waiting], api_visibility="private", show_progress="hidden")

    detail_outputs = [current_conv, current_draft, current_action, header, conversation, action_box, action_info,
                      new_address, action_msg, action_reason, draft, sources, reason, result, profile_plot, events,
                      suggestions, sugg_note, sugg_reason]

    def blank_detail(message: str = "") -> list[Any]:
        return [None, None, None, NO_CONVERSATION, [], gr.update(visible=False), "", gr.update(value="", visible=False),
                "", "", "", "", "", message, charts.profile_chart([], []), [], gr.update(choices=[], value=None), "",
                ""]

    def detail(user: SessionUser, conversation_id: str, item: DeskItem | None, message: str = "") -> list[Any]:
        d = desk.conversation(user, conversation_id)
        if item is None:
            item = next((i for v in ("waiting", "replied", "resolved") for i in desk.desk_queue(user, v)
                         if i.id == conversation_id), None)
        customer_id = d.verified_customer_id or d.customer_id
        name = item.customer_name if item else (f"Customer {customer_id}" if customer_id else "Guest")
        answered = max((m.created_at for m in d.messages if m.role == "agent" and m.created_at), default=None)
        replies = [x for x in d.drafts if x.kind == "reply" and x.status == "pending"
                   and (answered is None or x.created_at is None or x.created_at > answered)]
        actions = [x for x in d.drafts if x.kind == "order_action" and x.status == "pending"]
        reply = replies[-1] if replies else None
        act = actions[-1] if actions else None
        if act is not None:
            try:
                verdict = services.orders.draft_check(user, act.id).explanation
            except ServiceError as exc:
                verdict = str(exc)
            action_updates = [gr.update(visible=True), action_md(act, verdict),
                              gr.update(value="", visible=act.payload.get("action") == "address_change"), "", ""]
        else:
            action_updates = [gr.update(visible=False), "", gr.update(value="", visible=False), "", ""]
        sugg = desk.suggestions(user, conversation_id) if customer_id else []
        if customer_id:
            prof = desk.profile(user, customer_id, [m.text for m in d.messages if m.role == "customer"])
            plot = charts.profile_chart(prof.top_categories, prof.history)
            rows = [[str(e["time"])[:16], e["event"], e["product"], e["category"]] for e in prof.recent_events]
        else:
            plot, rows = charts.profile_chart([], []), []
        no_draft = ("_No reply draft: write a reply and press **Send**._" if act is None
                    else "_Decide the order action above, or write a reply._")
        return [
            conversation_id, reply.id if reply else None, act.id if act else None,
            header_md(d, item, name), transcript(d, desk.agent_name), *action_updates,
            reply.content if reply else "", sources_md(reply.sources) if reply else no_draft, "", message,
            plot, rows, gr.update(choices=suggestion_choices(sugg, currency), value=None), "", "",
        ]

    def load(request: gr.Request, view_value: str = "waiting", selected: str | None = None,
             message: str = "") -> list[Any]:
        user = require(services, request, "agent")
        if user is None:
            return [gr.update(visible=True), gr.update(visible=False), "", gr.update(choices=[], value=None), "",
                    gr.Timer(active=False), "", *blank_detail()]
        try:
            items = desk.desk_queue(user, view_value or "waiting")
            choices = [(queue_label(i, view_value), i.id) for i in items]
            keep = selected if selected else None
            empty = "" if items else {
                "waiting": "Nobody is waiting. New requests appear here (press **Refresh**).",
                "replied": "No conversations waiting for the customer's answer.",
                "resolved": "No resolved conversations.",
            }.get(view_value, "")
            item = next((i for i in items if i.id == keep), None)
            pane = detail(user, keep, item, message) if keep else blank_detail(message)
            signed_in = f"Signed in as **{user.username}** ({user.role})"
            return [gr.update(visible=False), gr.update(visible=True), signed_in,
                    gr.update(choices=choices, value=keep if item else None), empty, gr.Timer(active=True),
                    counts_text(user, items if view_value == "waiting" else None), *pane]
        except Exception as exc:
            return [gr.update(visible=False), gr.update(visible=True), f"Signed in as **{user.username}**",
                    gr.update(choices=[]), plain_error("agent queue", exc), gr.Timer(active=True), "",
                    *blank_detail()]

    load_outputs = [signin.column, column, who, queue, queue_empty, ticker, waiting, *detail_outputs]

    def say(message: str) -> list[Any]:
        """Only the result line changes (the action did not happen)."""
        out: list[Any] = [gr.skip()] * len(load_outputs)
        out[load_outputs.index(result)] = message
        return out

    def page_load(request: gr.Request) -> list[Any]:
        return load(request)

    def do_refresh(view_value: str, selected: str | None, request: gr.Request) -> list[Any]:
        return load(request, view_value, selected)

    refresh.click(do_refresh, [view, current_conv], load_outputs, api_name="agent_queue")

    def switch_view(view_value: str, request: gr.Request) -> list[Any]:
        return load(request, view_value, None)

    view.input(switch_view, [view], load_outputs, api_visibility="private")

    def open_conversation(conversation_id: str | None, view_value: str, request: gr.Request) -> list[Any]:
        user = require(services, request, "agent")
        if user is None:
            return blank_detail(DENIED_MESSAGE)
        if not conversation_id:
            return blank_detail()
        try:
            items = desk.desk_queue(user, view_value or "waiting")
            return detail(user, conversation_id, next((i for i in items if i.id == conversation_id), None))
        except ServiceError as exc:
            return blank_detail(str(exc))
        except Exception as exc:
            return blank_detail(plain_error("open conversation", exc))

    queue.input(open_conversation, [queue, view], detail_outputs, api_name="agent_open")

    # --- acting: every action re-lists the queue and re-reads the pane --------------------------
    def run(request: gr.Request, conversation_id: str | None, view_value: str, what: str,
            fn: Callable[[SessionUser, str], str]) -> list[Any]:
        """Role check, then ``fn(user, conversation_id)`` (it returns the result line) and a re-read."""
        user = require(services, request, "agent")
        if user is None:
            return [*([gr.skip()] * 7), *blank_detail(DENIED_MESSAGE)]
        if not conversation_id:
            return say("Pick a conversation first.")
        try:
            message = fn(user, conversation_id)
        except ServiceError as exc:
            return say(str(exc))
        except Exception as exc:
            return say(plain_error(what, exc))
        return load(request, view_value, conversation_id, message)

    def act(fn: Callable[[SessionUser, str], Any], success: str) -> Any:
        def handler(conversation_id: str | None, view_value: str, request: gr.Request) -> list[Any]:
            def do(user: SessionUser, cid: str) -> str:
                fn(user, cid)
                return success

            return run(request, conversation_id, view_value, "conversation action", do)

        return handler

    claim.click(act(lambda u, c: desk.claim(u, c), "You claimed this conversation."), [current_conv, view],
                load_outputs, api_name="agent_claim")
    resolve.click(act(desk.close, "Resolved: the conversation left the queue."), [current_conv, view],
                  load_outputs, api_name="agent_resolve")
    reopen.click(act(desk.reopen, "Reopened and claimed by you: it is back in the waiting queue."),
                 [current_conv, view], load_outputs, api_name="agent_reopen")
    release.click(act(desk.release, "The assistant answers this customer again."), [current_conv, view],
                  load_outputs, api_name="agent_release")

    def reply_handler(reject_it: bool) -> Any:
        def handler(conversation_id: str | None, draft_id: int | None, text: str, why: str, view_value: str,
                    request: gr.Request) -> list[Any]:
            def do(user: SessionUser, cid: str) -> str:
                if reject_it:
                    if draft_id is None:
                        raise Invalid("There is no draft to reject.")
                    desk.decide(user, int(draft_id), "reject", reason=why)
                    msg = "Draft rejected. Your reason was saved."
                else:
                    out = desk.send_reply(user, cid, draft_id, text)
                    msg = "Draft approved and sent." if out.status == "approved" else "Your reply was sent."
                desk.claim(user, cid, take_over=True)
                return msg

            return run(request, conversation_id, view_value, "draft decision", do)

        return handler

    reply_inputs = [current_conv, current_draft, draft, reason, view]
    approve.click(reply_handler(False), reply_inputs, load_outputs, api_name="agent_approve")
    send_edit.click(reply_handler(False), reply_inputs, load_outputs, api_name="agent_send")
    reject.click(reply_handler(True), reply_inputs, load_outputs, api_name="agent_reject")

    def action_handler(approve_it: bool) -> Any:
        def handler(conversation_id: str | None, action_id: int | None, message: str, why: str, address: str,
                    view_value: str, request: gr.Request) -> list[Any]:
            user = require(services, request, "agent")
            if user is None:
                return [*([gr.skip()] * 7), *blank_detail(DENIED_MESSAGE)]
            if not conversation_id or action_id is None:
                return say("There is no order action to decide here.")
            try:
                _, sent = services.orders.decide(user, int(action_id), approve_it, message=message, reason=why,
                                                 new_address=address)
                desk.claim(user, conversation_id, take_over=True)
            except ServiceError as exc:
                out = say(f"Not applied: {exc}")
                try:  # show what the policy says about the order now, keeping what the agent typed
                    act = next(d for d in desk.conversation(user, conversation_id).drafts if d.id == int(action_id))
                    verdict = services.orders.draft_check(user, act.id).explanation
                    out[load_outputs.index(action_info)] = action_md(act, verdict)
                except (ServiceError, StopIteration):
                    pass
                return out
            except Exception as exc:
                return say(plain_error("order action", exc))
            done = "Applied to the order; the customer was told" if approve_it else "Rejected; the customer was told"
            return load(request, view_value, conversation_id, f"{done}: “{sent}”")

        return handler

    action_inputs = [current_conv, current_action, action_msg, action_reason, new_address, view]
    approve_action.click(action_handler(True), action_inputs, load_outputs, api_name="agent_action_approve")
    reject_action.click(action_handler(False), action_inputs, load_outputs, api_name="agent_action_reject")

    def decide_suggestion(action: str, draft_id: int | None, note: str, why: str, conversation_id: str | None,
                          request: gr.Request) -> list[Any]:
        user = require(services, request, "agent")
        if user is None:
            return [DENIED_MESSAGE, gr.skip(), gr.skip(), gr.skip()]
        if draft_id is None:
            return ["Pick a suggestion first.", gr.skip(), gr.skip(), gr.skip()]
        try:
            if action == "approve":
                desk.send_suggestion(user, int(draft_id), note)
            else:
                desk.decide(user, int(draft_id), "reject", reason=why)
            remaining = [d for d in desk.drafts(user, "pending", kind="recommendation")
                         if d.conversation_id == conversation_id]
        except ServiceError as exc:
            return [f"{exc}", gr.skip(), gr.skip(), gr.skip()]
        except Exception as exc:
            return [plain_error("suggestion decision", exc), gr.skip(), gr.skip(), gr.skip()]
        msg = "Suggestion sent to the customer." if action == "approve" else "Suggestion rejected."
        return [msg, gr.update(choices=suggestion_choices(remaining, currency), value=None), "", ""]

    def suggestion_decider(action: str) -> Any:
        def handler(d: int | None, n: str, r: str, c: str | None, request: gr.Request) -> list[Any]:
            return decide_suggestion(action, d, n, r, c, request)

        return handler

    sugg_inputs = [suggestions, sugg_note, sugg_reason, current_conv]
    sugg_outputs = [result, suggestions, sugg_note, sugg_reason]
    accept_sugg.click(suggestion_decider("approve"), sugg_inputs, sugg_outputs, api_name="agent_suggest_ok")
    reject_sugg.click(suggestion_decider("reject"), sugg_inputs, sugg_outputs, api_name="agent_suggest_no")
    return AgentConsole(signin=signin, column=column, logout=logout, load_outputs=load_outputs, load_fn=page_load)
