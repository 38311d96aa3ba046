"""The customer chat: streamed cited answers, thumbs, handoff, and product cards beside the chat.

Everything that identifies the conversation (its id and secret conversation token, the demo
customer picked) lives in ``gr.State``, which stays on the server: a browser can only ever talk
in its own conversation. Every action goes through the chat service
(:class:`~assistant.services.chat.ChatService`), which checks the token and records clicks and
the cards shown. Agent replies arrive through a ``gr.Timer`` that polls for them.

Example:
    >>> with gr.Blocks() as demo:  # doctest: +SKIP
    ...     build_customer_area(services, demo_choices=[("Maya Okafor · C001", "C001")])
"""

from __future__ import annotations

import html
import logging
import re
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import gradio as gr

from assistant.money import money
from assistant.services import Services
from assistant.services.types import (
    Caller,
    ProductDetails,
    Recommendation,
    ServiceError,
    TooManyRequests,
    TurnResult,
)
from ui.auth import GENERIC_ERROR
from ui.search import build_search_box

log = logging.getLogger(__name__)

SLOTS = 5
POLL_SECONDS = 2.0
ChatHistory = list[dict[str, Any]]
HANDOFF_NOTE = (
    "I've asked a member of our team to join. They'll reply right here — keep this page open."
)
EMPTY_CARDS = "Recommendations appear here as we learn what you like."
NEW_CONVERSATION = "New conversation started."


# --- presentation --------------------------------------------------------------------------------------


def message_text(content: Any) -> str:
    """The plain text of a chatbot message (Gradio hands content back as a string or a list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("value") or "")
    if isinstance(content, list | tuple):
        return " ".join(message_text(part) for part in content)
    return ""


def _rec_dict(r: Recommendation) -> dict[str, Any]:
    return {"product_id": r.product_id, "name": r.name or r.product_id, "category": r.category or "",
            "price": r.price, "reason": r.reason or ""}


def _price(value: Any, currency: str) -> str:
    return money(float(value), "en", currency) if isinstance(value, int | float) else "price on request"


def image_url(product_id: str) -> str:
    """Where the product's picture is served (``ui.pages.add_image_route``)."""
    return "/media/products/" + html.escape(str(product_id), quote=True)


def card_html(rec: dict[str, Any], currency: str) -> str:
    category = html.escape(str(rec.get("category") or "").split(">")[-1].strip())
    return (
        "<div class='sa-card'>"
        f"<img src='{image_url(rec['product_id'])}' alt='' loading='lazy'>"
        "<div class='sa-card-body'>"
        f"<div class='sa-card-name'>{html.escape(rec['name'])}</div>"
        f"<div class='sa-card-meta'><span class='sa-card-price'>{html.escape(_price(rec['price'], currency))}</span>"
        f"{' · ' + category if category else ''}</div>"
        f"<div class='sa-card-reason'>{html.escape(rec['reason'])}</div>"
        "</div></div>"
    )


def inline_markdown(text: str) -> str:
    """Escape ``text`` and render its inline Markdown (bold, italics, code) as HTML, for use inside HTML."""
    out = html.escape(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    out = re.sub(r"__(.+?)__", r"<b>\1</b>", out)
    out = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<i>\1</i>", out)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return out.replace("\n", "<br>")


def cite_links(text: str, citations: Sequence[Any]) -> str:
    """Turn each ``[n]`` of a cited source into a link that opens that source under the answer."""
    numbers = {str(getattr(c, "n", "")) for c in citations}

    def link(m: re.Match[str]) -> str:
        n = m.group(1)
        if n not in numbers:
            return m.group(0)
        return f"<a class='sa-cite' href='#sa-src-{n}' title='Show source {n}'>[{n}]</a>"

    return re.sub(r"\[(\d{1,2})\]", link, text)


def agent_message_html(name: str, text: str, product: dict[str, Any] | None, currency: str) -> str:
    """An agent's message: its own bubble, headed by the agent's name; a suggested product as a card."""
    body = f"<div class='sa-agent-name'>{html.escape(name)} · our team</div><div>{inline_markdown(text)}</div>"
    if product and product.get("product_id"):
        category = html.escape(str(product.get("category") or "").split(">")[-1].strip())
        body += (
            "<div class='sa-msg-card'>"
            f"<img src='{image_url(str(product['product_id']))}' alt=''>"
            "<div class='sa-card-body'>"
            f"<div class='sa-card-name'>{html.escape(str(product.get('name') or product['product_id']))}</div>"
            f"<div class='sa-card-meta'><span class='sa-card-price'>"
            f"{html.escape(_price(product.get('price'), currency))}"
            f"</span>{' · ' + category if category else ''}</div>"
            "</div></div>"
        )
    return f"<div class='sa-agent-msg'>{body}</div>"


def sources_markdown(citations: Sequence[Any]) -> str:
    """The numbered sources of an answer as a collapsed ``<details>`` block under the reply."""
    if not citations:
        return ""
    lines = ["", "", f"<details class='sa-sources'><summary>Sources ({len(citations)})</summary>", ""]
    for c in citations:
        title = html.escape(str(getattr(c, "title", "") or getattr(c, "doc_id", "source")))
        snippet = inline_markdown(str(getattr(c, "snippet", "") or ""))
        kind = html.escape(str(getattr(c, "collection", "") or ""))
        n = html.escape(str(getattr(c, "n", "?")))
        lines.append(f"<p id='sa-src-{n}'><b>[{n}] {title}</b> <i>{kind}</i><br>{snippet}</p>")
    lines.append("</details>")
    return "\n".join(lines)


def product_details_markdown(p: ProductDetails, currency: str) -> str:
    """The product's details and a summary of its reviews (average, count, two short quotes)."""
    lines = [
        f"<img src='{image_url(p.product_id)}' alt=''>",
        "",
        f"### {p.name}",
        f"**{_price(p.price, currency)}** · {p.category} · {'in stock' if p.available else 'currently unavailable'}",
        "",
        p.description or "",
        "",
    ]
    if not p.review_count:
        lines.append("_No reviews yet._")
        return "\n".join(lines)
    avg = p.review_average or 0.0
    lines.append(f"**Reviews:** {'★' * round(avg)}{'☆' * (5 - round(avg))} "
                 f"{avg:.1f}/5 from {p.review_count} review{'s' if p.review_count != 1 else ''}")
    for text, rating in p.review_quotes:
        quote = html.escape(text[:220]) + ("…" if len(text) > 220 else "")
        lines.append(f"\n> {quote} ({rating:.0f}★)" if rating is not None else f"> {quote}")
    return "\n".join(lines)


def _client(request: gr.Request | None) -> str:
    """The browser's address (the security middleware resolved it; trusted proxies only)."""
    return request.client.host if request is not None and request.client is not None else ""


def _reset_error(exc: Exception, what: str) -> str:
    """What the status line says when a new conversation could not be opened."""
    if isinstance(exc, TooManyRequests):
        return str(exc)
    log.error("%s failed", what, exc_info=exc)
    return GENERIC_ERROR


# --- the area ------------------------------------------------------------------------------------------


def build_customer_area(services: Services, demo_choices: list[tuple[str, str]]) -> None:
    """Render the chat area into the current Blocks context."""
    chat = services.chat
    currency = services.settings.conversation.currency  # how prices are written on the cards
    conv_id = gr.State(None)
    conv_token = gr.State(None)  # the conversation's secret; never sent to the browser
    customer = gr.State(None)  # demo only: the customer picked (a signed identity token is minted per conversation)
    msg_ids = gr.State({})  # chatbot index -> message id, for thumbs
    recs = gr.State([])
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
                height=460,  # the page CSS fits it to the window, so the controls stay in view
                elem_id="chat",
                feedback_options=("Like", "Dislike"),
                placeholder="Hi! Ask about returns, shipping, your order or a product.",
                sanitize_html=True,
                buttons=["copy"],
                group_consecutive_messages=False,  # an agent's message is its own bubble, not part of the bot's
            )
            # The status line (errors such as a too-long message) and the character counter sit right by the box.
            with gr.Row(elem_id="chat-meta", equal_height=True):
                status = gr.Markdown("", elem_id="chat-status")
                gr.HTML(f"<span id='char-count' data-max='{chat.max_message_chars}'>0 / "
                        f"{chat.max_message_chars:,}</span>", padding=False, container=False,
                        elem_id="char-count-box")
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
            with gr.Row(elem_id="chat-controls"):
                human = gr.Button("Talk to a human", size="sm", elem_id="handoff", scale=0, min_width=120)
                restart = gr.Button("New conversation", size="sm", elem_id="restart", scale=0, min_width=120)
            # Changes when a turn has finished (answer or error): lets tests and scripts wait on it.
            turn_done = gr.HTML("", elem_id="turn-done", elem_classes=["sa-hidden"], padding=False,
                                container=False)
        with gr.Column(scale=2, min_width=260, elem_id="recommendations"):
            gr.Markdown("### Picked for you")
            empty = gr.Markdown(EMPTY_CARDS, elem_id="recs-empty")
            slot_cols: list[gr.Column] = []
            slot_html: list[gr.HTML] = []
            slot_btns: list[gr.Button] = []
            slot_details: list[gr.Markdown] = []
            for i in range(SLOTS):
                with gr.Column(visible=False, elem_classes=["sa-slot"], elem_id=f"rec-{i}") as col:
                    slot_html.append(gr.HTML("", elem_id=f"rec-card-{i}"))
                    slot_btns.append(gr.Button("View details", size="sm", elem_id=f"rec-btn-{i}"))
                    # The details open right under the card that was clicked.
                    slot_details.append(gr.Markdown("", elem_id=f"rec-details-{i}", elem_classes=["sa-details"],
                                                    visible=False))
                slot_cols.append(col)
    build_search_box(services, conv_id, conv_token)  # the search field (issue 18)
    timer = gr.Timer(POLL_SECONDS)

    def slot_updates(items: list[dict[str, Any]]) -> list[Any]:
        out: list[Any] = [gr.update(visible=not items)]
        for i in range(SLOTS):
            if i < len(items):
                out += [gr.update(visible=True), card_html(items[i], currency)]
            else:
                out += [gr.update(visible=False), ""]
        return out

    slot_outputs: list[Any] = [empty]
    for col, card in zip(slot_cols, slot_html, strict=True):
        slot_outputs += [col, card]

    def open_conversation(customer_id: str | None, client: str = "") -> tuple[str, str, int]:
        """Start a conversation: as a guest, or (demo picker) as a customer the shop vouches for.

        ``client``: the browser's address, which may open ``security.conversations_per_client`` of them."""
        identity = services.users.demo_identity_token(customer_id) if customer_id else None
        started = chat.start(identity_token=identity, client=client)
        caller = Caller(conversation_token=started.conversation_token)
        return started.conversation_id, started.conversation_token, chat.last_message_id(started.conversation_id,
                                                                                           caller)

    def respond(
        text: str,
        history: ChatHistory,
        conversation_id: str | None,
        token: str | None,
        customer_id: str | None,
        ids: dict[int, int],
        seen: int,
        request: gr.Request,
    ) -> Iterator[list[Any]]:
        # The security middleware already resolved the client address (trusted proxies only):
        # identity checks count failed attempts per client on this page too (issue 11).
        client = _client(request)
        text = (text or "").strip()
        keep = [gr.skip()] * (2 + 2 * SLOTS)
        done = [gr.skip()] * (1 + 2 * SLOTS)
        if not text:
            yield [history, conversation_id, token, ids, gr.skip(), seen, gr.skip(), "", *keep]
            return
        if len(text) > chat.max_message_chars:
            yield [history, conversation_id, token, ids, gr.skip(), seen,
                   f"Please keep messages under {chat.max_message_chars:,} characters.", gr.skip(), *done,
                   uuid.uuid4().hex]  # the box keeps what the customer typed, to shorten it
            return
        history = [*history, {"role": "user", "content": text}, {"role": "assistant", "content": "…"}]
        yield [history, conversation_id, token, ids, gr.skip(), seen, "", "", *keep]
        try:
            if not conversation_id or not token:
                conversation_id, token, seen = open_conversation(customer_id, client)
            caller = Caller(conversation_token=token, client=client)
            streamed = ""
            for item in chat.stream(conversation_id, caller, text):
                if not isinstance(item, TurnResult):
                    streamed += item
                    history[-1] = {"role": "assistant", "content": streamed}
                    yield [history, conversation_id, token, ids, gr.skip(), seen, "", "", *keep]
                    continue
                history[-1] = {"role": "assistant",
                               "content": cite_links(item.text, item.citations) + sources_markdown(item.citations)}
                ids = {**ids, len(history) - 1: item.message_id}
                # Part of this turn (counted as its message): not a recommendations read of its own.
                shown = list(item.recommendations) or chat.recommendations(
                    conversation_id, Caller(conversation_token=token), k=SLOTS, message_id=item.message_id
                )
                items = [_rec_dict(r) for r in shown]
                note = "A member of our team has been asked to help with this conversation." if item.handoff else ""
                yield [history, conversation_id, token, ids, items, seen, note, "", *slot_updates(items),
                       uuid.uuid4().hex]
        except TooManyRequests as exc:
            # Nothing was sent: the message goes back in the box, the status line says how long to wait.
            yield [history[:-2], conversation_id, token, ids, gr.skip(), seen, str(exc), text, *done,
                   uuid.uuid4().hex]
        except ServiceError as exc:
            history[-1] = {"role": "assistant", "content": str(exc)}
            yield [history, conversation_id, token, ids, gr.skip(), seen, "", "", *done, uuid.uuid4().hex]
        except Exception as exc:
            log.error("chat turn failed", exc_info=exc)
            history[-1] = {"role": "assistant", "content": GENERIC_ERROR}
            yield [history, conversation_id, token, ids, gr.skip(), seen, "", "", *done, uuid.uuid4().hex]

    chat_inputs = [box, chatbot, conv_id, conv_token, customer, msg_ids, seen_agent]
    chat_outputs = [chatbot, conv_id, conv_token, msg_ids, recs, seen_agent, status, box, *slot_outputs, turn_done]
    send.click(respond, chat_inputs, chat_outputs, api_name="chat", concurrency_limit=4)
    box.submit(respond, chat_inputs, chat_outputs, api_visibility="private", concurrency_limit=4)

    def handoff(history: ChatHistory, conversation_id: str | None, token: str | None, customer_id: str | None,
                seen: int, request: gr.Request) -> tuple[Any, ...]:
        try:
            if not conversation_id or not token:
                conversation_id, token, seen = open_conversation(customer_id, _client(request))
            result = chat.request_handoff(conversation_id, Caller(conversation_token=token, client=_client(request)),
                                          "customer pressed 'Talk to a human'")
        except TooManyRequests as exc:
            return history, conversation_id, token, seen, str(exc)
        except Exception as exc:
            log.error("handoff failed", exc_info=exc)
            return history, conversation_id, token, seen, GENERIC_ERROR
        if result is None:
            return history, conversation_id, token, seen, "A team member has already been asked to join."
        history = [*history, {"role": "assistant", "content": result.text or HANDOFF_NOTE}]
        return history, conversation_id, token, seen, "Waiting for a team member…"

    human.click(handoff, [chatbot, conv_id, conv_token, customer, seen_agent],
                [chatbot, conv_id, conv_token, seen_agent, status], api_name="handoff")

    def on_like(conversation_id: str | None, token: str | None, ids: dict[Any, int], data: gr.LikeData,
                request: gr.Request) -> str:
        index = data.index if isinstance(data.index, int) else data.index[0]
        message_id = ids.get(index, ids.get(str(index)))
        if not conversation_id or message_id is None or not isinstance(data.liked, bool):
            return "Thanks! Feedback can be given on the assistant's answers."
        try:
            chat.feedback(conversation_id, Caller(conversation_token=token, client=_client(request)), message_id,
                          1 if data.liked else -1)
        except TooManyRequests as exc:  # security.feedback_per_client
            return str(exc)
        except Exception as exc:
            log.error("feedback failed", exc_info=exc)
            return "Sorry, we could not save your feedback. Please try again."
        return "Thanks for your feedback!"

    chatbot.like(on_like, [conv_id, conv_token, msg_ids], [status], api_visibility="private")

    def poll(conversation_id: str | None, token: str | None, history: ChatHistory, seen: int,
             request: gr.Request) -> tuple[Any, ...]:
        if not conversation_id or not token:
            return gr.skip(), gr.skip(), gr.skip()
        try:  # security.agent_polls_per_client counts this page's polls (30 a minute) with the address's others
            fresh = chat.agent_replies(conversation_id, Caller(conversation_token=token, client=_client(request)), seen)
        except TooManyRequests:  # the next tick asks again
            return gr.skip(), gr.skip(), gr.skip()
        except Exception:
            log.warning("polling for agent messages failed", exc_info=True)
            return gr.skip(), gr.skip(), gr.skip()
        if not fresh:
            return gr.skip(), gr.skip(), gr.skip()
        history = [*history, *(
            {"role": "assistant",
             "content": agent_message_html(services.support_desk.agent_name(str(m.meta.get("agent") or "")), m.text,
                                           m.meta.get("product") if m.meta.get("kind") == "suggestion" else None,
                                           currency)}
            for m in fresh
        )]
        return history, fresh[-1].id, "A team member replied."

    timer.tick(poll, [conv_id, conv_token, chatbot, seen_agent], [chatbot, seen_agent, status],
               api_visibility="private", show_progress="hidden", queue=False)

    def click_product(index: int, items: list[dict[str, Any]], conversation_id: str | None,
                      token: str | None, client: str = "") -> list[Any]:
        skip = [gr.skip()] * (1 + 1 + 2 * SLOTS + SLOTS)
        if index >= len(items) or not conversation_id or not token:
            return skip
        status_at = 1
        try:  # security.clicks_per_client: over it, the status line says how long to wait
            result = chat.click(conversation_id, Caller(conversation_token=token, client=client),
                                items[index]["product_id"], k=SLOTS)
        except ServiceError as exc:
            skip[status_at] = str(exc)
            return skip
        except Exception as exc:
            log.error("product click failed", exc_info=exc)
            skip[status_at] = "Sorry, we could not open that product. Please try again."
            return skip
        clicked = items[index]
        others = [_rec_dict(r) for r in result.recommendations if r.product_id != clicked["product_id"]]
        fresh = [*others[:index], clicked, *others[index:]][:SLOTS]
        shown = [gr.update(value=product_details_markdown(result.product, currency), visible=True) if j == index
                 else gr.update(value="", visible=False) for j in range(SLOTS)]
        return [fresh, "", *slot_updates(fresh), *shown]

    def clicker(i: int) -> Any:
        def on_click(items: list[dict[str, Any]], conv: str | None, tok: str | None,
                     request: gr.Request) -> list[Any]:
            return click_product(i, items, conv, tok, _client(request))

        return on_click

    for i, btn in enumerate(slot_btns):
        btn.click(
            clicker(i),
            [recs, conv_id, conv_token],
            [recs, status, *slot_outputs, *slot_details],
            api_visibility="private",
        )

    no_details = [gr.update(value="", visible=False)] * SLOTS

    def reset(customer_id: str | None, client: str) -> list[Any]:
        """A fresh conversation: nothing of the last one (its identity check included) carries over."""
        if not customer_id:
            return [None, None, [], {}, [], 0, NEW_CONVERSATION, "", *slot_updates([]), *no_details]
        conversation_id, token, seen = open_conversation(customer_id, client)
        shown = chat.recommendations(conversation_id, Caller(conversation_token=token), k=SLOTS)
        items = [_rec_dict(r) for r in shown]
        return [conversation_id, token, [], {}, items, seen, NEW_CONVERSATION, "", *slot_updates(items), *no_details]

    reset_outputs = [conv_id, conv_token, chatbot, msg_ids, recs, seen_agent, status, box, *slot_outputs,
                     *slot_details]

    def restart_chat(customer_id: str | None, request: gr.Request) -> list[Any]:
        try:
            return reset(customer_id, _client(request))
        except Exception as exc:
            out: list[Any] = [gr.skip()] * len(reset_outputs)
            out[reset_outputs.index(status)] = _reset_error(exc, "new conversation")
            return out

    restart.click(restart_chat, [customer], reset_outputs, api_visibility="private")
    # The chat's trash icon does the same: a new conversation, not just a cleared screen.
    chatbot.clear(restart_chat, [customer], reset_outputs, api_visibility="private")
    if demo_choices:

        def pick(customer_id: str, request: gr.Request) -> list[Any]:
            try:
                return [customer_id or None, *reset(customer_id or None, _client(request))]
            except Exception as exc:
                out: list[Any] = [gr.skip()] * (1 + len(reset_outputs))
                out[1 + reset_outputs.index(status)] = _reset_error(exc, "customer picker")
                return out

        picker.change(pick, [picker], [customer, *reset_outputs], api_visibility="private")
