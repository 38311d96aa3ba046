"""The customer chat: streamed cited answers, thumbs, handoff, and product cards beside the chat.

Everything that identifies the customer (conversation id, customer id, the session's click
events) lives in ``gr.State``, which stays on the server: a browser can only ever talk in its
own conversation. Agent replies arrive through a ``gr.Timer`` that polls for new ``agent``
messages of that conversation.

Example:
    >>> with gr.Blocks() as demo:  # doctest: +SKIP
    ...     build_customer_area(services, demo_customers=[("Maya Okafor · C001", "C001")])
"""

from __future__ import annotations

import html
import logging
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import gradio as gr
from sqlalchemy import func, select

from assistant.services import Services
from assistant.store.models import Conversation, Customer, Event, Message, Product, Review
from ui.auth import GENERIC_ERROR

log = logging.getLogger(__name__)

SLOTS = 5
POLL_SECONDS = 2.0
ChatHistory = list[dict[str, Any]]
HANDOFF_NOTE = (
    "I've asked a member of our team to join. They'll reply right here — keep this page open."
)
EMPTY_CARDS = "Recommendations appear here as we learn what you like."


# --- data helpers ------------------------------------------------------------------------------------


def demo_customers(services: Services, limit: int = 40) -> list[tuple[str, str]]:
    """``(label, customer_id)`` of the demo shop's customers; empty for a real shop."""
    with services.db.session() as s:
        rows = s.execute(
            select(Customer.id, Customer.name)
            .where(Customer.source.like("demo:%"))
            .order_by(Customer.id)
            .limit(limit)
        ).all()
    return [(f"{name} · {cid}", cid) for cid, name in rows]


def message_text(content: Any) -> str:
    """The plain text of a chatbot message (Gradio hands content back as a string or a list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("value") or "")
    if isinstance(content, list | tuple):
        return " ".join(message_text(part) for part in content)
    return ""


def _user_text(history: ChatHistory) -> list[str]:
    """The customer's messages, oldest first (the interest service weighs recent ones most)."""
    return [message_text(m.get("content")) for m in history if m.get("role") == "user"]


def _session_events(events: Sequence[dict[str, Any]]) -> tuple[Any, ...]:
    """The session's clicks as the engine's ``SessionEvent`` values (plain dicts if it is absent)."""
    try:
        from assistant.conversation.types import SessionEvent
    except ImportError:
        return tuple(events)
    out = []
    for e in events:
        try:
            out.append(SessionEvent.model_validate(e))
        except ValueError:
            continue
    return tuple(out)


def _rec_dict(r: Any) -> dict[str, Any]:
    return {
        "product_id": str(r.product_id),
        "name": str(getattr(r, "name", r.product_id)),
        "category": str(getattr(r, "category", "") or ""),
        "price": getattr(r, "price", None),
        "reason": str(getattr(r, "reason", "") or ""),
    }


def _price(value: Any) -> str:
    return f"${float(value):,.2f}" if isinstance(value, int | float) else "price on request"


def card_html(rec: dict[str, Any]) -> str:
    return (
        "<div class='sa-card'>"
        f"<div class='sa-card-name'>{html.escape(rec['name'])}</div>"
        f"<div class='sa-card-meta'>{html.escape(_price(rec['price']))} · "
        f"{html.escape(rec['category'].split('>')[-1].strip())}</div>"
        f"<div class='sa-card-reason'>{html.escape(rec['reason'])}</div>"
        "</div>"
    )


def sources_markdown(citations: Sequence[Any]) -> str:
    """The numbered sources of an answer as a collapsed ``<details>`` block under the reply."""
    if not citations:
        return ""
    lines = ["", "", f"<details class='sa-sources'><summary>Sources ({len(citations)})</summary>", ""]
    for c in citations:
        title = html.escape(str(getattr(c, "title", "") or getattr(c, "doc_id", "source")))
        snippet = html.escape(str(getattr(c, "snippet", "") or ""))
        kind = html.escape(str(getattr(c, "collection", "") or ""))
        lines.append(f"<p><b>[{getattr(c, 'n', '?')}] {title}</b> <i>{kind}</i><br>{snippet}</p>")
    lines.append("</details>")
    return "\n".join(lines)


def product_details_markdown(services: Services, product_id: str) -> str:
    """The product's details and a summary of its reviews (average, count, two short quotes)."""
    with services.db.session() as s:
        p = s.get(Product, product_id)
        if p is None:
            return "That product is no longer in the catalog."
        avg, count = s.execute(
            select(func.avg(Review.rating), func.count()).where(Review.product_id == product_id)
        ).one()
        reviews = s.scalars(
            select(Review).where(Review.product_id == product_id).order_by(Review.rating.desc()).limit(50)
        ).all()
        lines = [
            f"### {p.name}",
            f"**{_price(p.price)}** · {p.category} · {'in stock' if p.available else 'currently unavailable'}",
            "",
            p.description or "",
            "",
        ]
        if not count:
            lines.append("_No reviews yet._")
        else:
            lines.append(f"**Reviews:** {'★' * round(avg or 0)}{'☆' * (5 - round(avg or 0))} "
                         f"{(avg or 0):.1f}/5 from {count} review{'s' if count != 1 else ''}")
            picks = [reviews[0]] + ([reviews[-1]] if len(reviews) > 1 else [])
            for r in picks:
                text = (r.title + ": " if r.title else "") + r.text
                lines.append(f"\n> {html.escape(text[:220])}{'…' if len(text) > 220 else ''} "
                             f"({r.rating:.0f}★)" if r.rating is not None else f"> {html.escape(text[:220])}")
        return "\n".join(lines)


def _fallback_recommendations(services: Services, session_events: Sequence[dict[str, Any]], k: int) -> list[Any]:
    """Same-category products as the last click, when the interest service cannot answer."""
    with services.db.session() as s:
        category = None
        if session_events:
            last = s.get(Product, session_events[-1]["product_id"])
            category = last.category if last is not None else None
        seen = {e["product_id"] for e in session_events}
        q = select(Product).where(Product.available.is_(True))
        if category:
            q = q.where(Product.category == category)
        rows = [p for p in s.scalars(q.order_by(Product.id).limit(k + len(seen))).all() if p.id not in seen]
        return [
            {"product_id": p.id, "name": p.name, "category": p.category, "price": p.price,
             "reason": "Similar to what you just looked at." if category else "Popular in our shop."}
            for p in rows[:k]
        ]


def recommend(
    services: Services,
    customer_id: str | None,
    chat_text: str | Sequence[str],
    session_events: Sequence[dict[str, Any]],
) -> list[dict[str, Any]]:
    try:
        recs = services.interest.recommend(
            customer_id or "", chat_text=chat_text, session_events=_session_events(session_events), k=SLOTS
        )
        return [_rec_dict(r) for r in recs]
    except Exception:
        log.warning("interest service could not recommend; using same-category products", exc_info=True)
        return _fallback_recommendations(services, session_events, SLOTS)


def record_click(services: Services, who: str, product_id: str, session_id: str) -> dict[str, Any]:
    """Store a click event now (it feeds the interest model and the click-through analytics)."""
    try:
        services.interest.record_event(who, product_id, "click", session_id)
    except Exception:
        log.warning("interest service could not record the click; writing the event directly", exc_info=True)
        with services.db.session() as s:
            s.add(Event(id=uuid.uuid4().hex, customer_id=who, product_id=product_id, event_type="click",
                        timestamp=datetime.now(UTC), session_id=session_id, source="chat"))
    return {"product_id": product_id, "event_type": "click", "timestamp": datetime.now(UTC).isoformat(),
            "session_id": session_id}


def note_impressions(services: Services, message_id: Any, recs: Sequence[dict[str, Any]]) -> None:
    """Remember which cards were shown with an answer (the denominator of click-through)."""
    if not isinstance(message_id, int) or not recs:
        return
    try:
        with services.db.session() as s:
            m = s.get(Message, message_id)
            if m is not None:
                m.meta = {**(m.meta or {}), "ui_recommendations": [r["product_id"] for r in recs]}
    except Exception:
        log.warning("could not store recommendation impressions", exc_info=True)


def interest_identity(services: Services, conversation_id: str | None, customer_id: str | None) -> str:
    """Who a click belongs to: the same id the engine uses for this conversation's events."""
    if conversation_id:
        with services.db.session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is not None:
                return conv.verified_customer_id or conv.customer_id or f"anon:{conversation_id}"
    return customer_id or f"anon:{conversation_id}"


def new_agent_messages(services: Services, conversation_id: str, after_id: int) -> list[tuple[int, str]]:
    with services.db.session() as s:
        rows = s.execute(
            select(Message.id, Message.text)
            .where(Message.conversation_id == conversation_id, Message.role == "agent", Message.id > after_id)
            .order_by(Message.id)
        ).all()
    return [(int(i), str(t)) for i, t in rows]


def _last_message_id(services: Services, conversation_id: str) -> int:
    with services.db.session() as s:
        value = s.scalar(select(func.max(Message.id)).where(Message.conversation_id == conversation_id))
    return int(value or 0)


# --- the area ------------------------------------------------------------------------------------------


def build_customer_area(services: Services, demo_choices: list[tuple[str, str]]) -> None:
    """Render the chat area into the current Blocks context."""
    conv_id = gr.State(None)
    customer = gr.State(None)
    session_id = gr.State(lambda: f"chat-{uuid.uuid4().hex[:16]}")
    msg_ids = gr.State({})  # chatbot index -> message id, for thumbs
    recs = gr.State([])
    session_events = gr.State([])
    seen_agent = gr.State(0)

    if demo_choices:
        with gr.Row(elem_classes=["sa-picker"]):
            picker = gr.Dropdown(
                choices=[("Guest (not signed in)", ""), *demo_choices],
                value="",
                label="Demo: act as a customer (simulated login)",
                elem_id="customer-picker",
                scale=3,
            )
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            chatbot = gr.Chatbot(
                label="Chat",
                height=460,
                elem_id="chat",
                feedback_options=("Like", "Dislike"),
                placeholder="Hi! Ask about returns, shipping, your order or a product.",
                sanitize_html=True,
                buttons=["copy"],
            )
            with gr.Row():
                box = gr.Textbox(
                    placeholder="Type your question…",
                    show_label=False,
                    scale=5,
                    min_width=160,
                    elem_id="message",
                    max_lines=4,
                )
                send = gr.Button("Send", variant="primary", scale=1, min_width=70, elem_id="send")
            with gr.Row():
                human = gr.Button("Talk to a human", size="sm", elem_id="handoff")
                restart = gr.Button("New conversation", size="sm", elem_id="restart")
            status = gr.Markdown("", elem_id="chat-status")
            # Changes when a turn has finished (answer or error): lets tests and scripts wait on it.
            turn_done = gr.HTML("", elem_id="turn-done", elem_classes=["sa-hidden"], padding=False,
                                container=False)
        with gr.Column(scale=2, min_width=260, elem_id="recommendations"):
            gr.Markdown("### Picked for you")
            empty = gr.Markdown(EMPTY_CARDS, elem_id="recs-empty")
            slot_cols: list[gr.Column] = []
            slot_html: list[gr.HTML] = []
            slot_btns: list[gr.Button] = []
            for i in range(SLOTS):
                with gr.Column(visible=False, elem_classes=["sa-slot"], elem_id=f"rec-{i}") as col:
                    slot_html.append(gr.HTML("", elem_id=f"rec-card-{i}"))
                    slot_btns.append(gr.Button("View details", size="sm", elem_id=f"rec-btn-{i}"))
                slot_cols.append(col)
            details = gr.Markdown("", elem_id="product-details", elem_classes=["sa-details"])
    timer = gr.Timer(POLL_SECONDS)

    def slot_updates(items: list[dict[str, Any]]) -> list[Any]:
        out: list[Any] = [gr.update(visible=not items)]
        for i in range(SLOTS):
            if i < len(items):
                out += [gr.update(visible=True), card_html(items[i])]
            else:
                out += [gr.update(visible=False), ""]
        return out

    slot_outputs: list[Any] = [empty]
    for col, card in zip(slot_cols, slot_html, strict=True):
        slot_outputs += [col, card]

    def respond(
        text: str,
        history: ChatHistory,
        conversation_id: str | None,
        customer_id: str | None,
        ids: dict[int, int],
        events: list[dict[str, Any]],
        seen: int,
    ) -> Iterator[list[Any]]:
        text = (text or "").strip()
        keep = [gr.skip()] * (2 + 2 * SLOTS)
        done = [gr.skip()] * (1 + 2 * SLOTS)
        if not text:
            yield [history, conversation_id, ids, gr.skip(), seen, gr.skip(), "", *keep]
            return
        if len(text) > 4000:
            yield [history, conversation_id, ids, gr.skip(), seen, "Please keep messages under 4,000 "
                   "characters.", text, *done, uuid.uuid4().hex]
            return
        history = [*history, {"role": "user", "content": text}, {"role": "assistant", "content": "…"}]
        yield [history, conversation_id, ids, gr.skip(), seen, "", "", *keep]
        try:
            assistant = services.assistant
            if not conversation_id:
                conversation_id = assistant.start_conversation(customer_id=customer_id or None)
                seen = _last_message_id(services, conversation_id)
            streamed = ""
            # Clicks were recorded when they happened; passing them again would record them twice.
            for item in assistant.stream(conversation_id, text):
                if isinstance(item, str):
                    streamed += item
                    history[-1] = {"role": "assistant", "content": streamed}
                    yield [history, conversation_id, ids, gr.skip(), seen, "", "", *keep]
                    continue
                history[-1] = {"role": "assistant", "content": item.text + sources_markdown(item.citations)}
                ids = {**ids, len(history) - 1: item.message_id}
                items = [_rec_dict(r) for r in (item.recommendations or [])]
                if not items:
                    who = interest_identity(services, conversation_id, customer_id)
                    items = recommend(services, who, _user_text(history), events)
                note_impressions(services, item.message_id, items)
                note = ""
                if getattr(item, "handoff", False):
                    note = "A member of our team has been asked to help with this conversation."
                yield [history, conversation_id, ids, items, seen, note, "", *slot_updates(items), uuid.uuid4().hex]
        except Exception as exc:
            log.error("chat turn failed", exc_info=exc)
            history[-1] = {"role": "assistant", "content": GENERIC_ERROR}
            yield [history, conversation_id, ids, gr.skip(), seen, "", "", *done, uuid.uuid4().hex]

    chat_inputs = [box, chatbot, conv_id, customer, msg_ids, session_events, seen_agent]
    chat_outputs = [chatbot, conv_id, msg_ids, recs, seen_agent, status, box, *slot_outputs, turn_done]
    send.click(respond, chat_inputs, chat_outputs, api_name="chat", concurrency_limit=4)
    box.submit(respond, chat_inputs, chat_outputs, api_visibility="private", concurrency_limit=4)

    def handoff(history: ChatHistory, conversation_id: str | None, customer_id: str | None,
                seen: int) -> tuple[Any, ...]:
        try:
            assistant = services.assistant
            if not conversation_id:
                conversation_id = assistant.start_conversation(customer_id=customer_id or None)
                seen = _last_message_id(services, conversation_id)
            result = assistant.request_handoff(conversation_id, "customer pressed 'Talk to a human'")
        except Exception as exc:
            log.error("handoff failed", exc_info=exc)
            return history, conversation_id, seen, GENERIC_ERROR
        if result is None:
            return history, conversation_id, seen, "A team member has already been asked to join."
        text = getattr(result, "text", "") or HANDOFF_NOTE
        history = [*history, {"role": "assistant", "content": text}]
        return history, conversation_id, seen, "Waiting for a team member…"

    human.click(handoff, [chatbot, conv_id, customer, seen_agent], [chatbot, conv_id, seen_agent, status],
                api_name="handoff")

    def on_like(conversation_id: str | None, ids: dict[Any, int], data: gr.LikeData) -> str:
        index = data.index if isinstance(data.index, int) else data.index[0]
        message_id = ids.get(index, ids.get(str(index)))
        if not conversation_id or message_id is None or not isinstance(data.liked, bool):
            return "Thanks! Feedback can be given on the assistant's answers."
        try:
            services.assistant.feedback(conversation_id, message_id, 1 if data.liked else -1, "")
        except Exception as exc:
            log.error("feedback failed", exc_info=exc)
            return "Sorry, we could not save your feedback. Please try again."
        return "Thanks for your feedback!"

    chatbot.like(on_like, [conv_id, msg_ids], [status], api_visibility="private")

    def poll(conversation_id: str | None, history: ChatHistory, seen: int) -> tuple[Any, ...]:
        if not conversation_id:
            return gr.skip(), gr.skip(), gr.skip()
        try:
            fresh = new_agent_messages(services, conversation_id, seen)
        except Exception:
            log.warning("polling for agent messages failed", exc_info=True)
            return gr.skip(), gr.skip(), gr.skip()
        if not fresh:
            return gr.skip(), gr.skip(), gr.skip()
        history = [*history, *({"role": "assistant", "content": f"**Support team:** {t}"} for _, t in fresh)]
        return history, fresh[-1][0], "A team member replied."

    timer.tick(poll, [conv_id, chatbot, seen_agent], [chatbot, seen_agent, status], api_visibility="private",
               show_progress="hidden", queue=False)

    def click_product(
        index: int,
        items: list[dict[str, Any]],
        conversation_id: str | None,
        customer_id: str | None,
        sid: str,
        events: list[dict[str, Any]],
        history: ChatHistory,
    ) -> list[Any]:
        skip = [gr.skip()] * (3 + 1 + 2 * SLOTS)
        if index >= len(items):
            return skip
        product_id = items[index]["product_id"]
        try:
            who = interest_identity(services, conversation_id, customer_id)
            # Recorded now, not passed to the next turn: the engine records the events it is given.
            events = [*events, record_click(services, who, product_id, sid)]
            shown = product_details_markdown(services, product_id)
            fresh = recommend(services, who, _user_text(history), events)
        except Exception as exc:
            log.error("product click failed", exc_info=exc)
            return [gr.skip(), gr.skip(), "Sorry, we could not open that product. Please try again.",
                    *skip[3:]]
        return [events, fresh, shown, *slot_updates(fresh)]

    for i, btn in enumerate(slot_btns):
        btn.click(
            lambda items, conv, cid, sid, ev, hist, i=i: click_product(i, items, conv, cid, sid, ev, hist),
            [recs, conv_id, customer, session_id, session_events, chatbot],
            [session_events, recs, details, *slot_outputs],
            api_visibility="private",
        )

    def reset(customer_id: str | None) -> list[Any]:
        items = recommend(services, customer_id, "", []) if customer_id else []
        return [None, [], {}, items, [], 0, "", "", *slot_updates(items)]

    reset_outputs = [conv_id, chatbot, msg_ids, recs, session_events, seen_agent, status, details, *slot_outputs]
    restart.click(reset, [customer], reset_outputs, api_visibility="private")
    if demo_choices:

        def pick(customer_id: str) -> list[Any]:
            try:
                return [customer_id or None, *reset(customer_id or None)]
            except Exception as exc:
                log.error("customer picker failed", exc_info=exc)
                out: list[Any] = [gr.skip()] * (1 + len(reset_outputs))
                out[1 + reset_outputs.index(status)] = GENERIC_ERROR
                return out

        picker.change(pick, [picker], [customer, *reset_outputs], api_visibility="private")
