"""The Gradio app: customer chat with cited answers and recommended products.

Example:
    >>> from assistant.config import Settings
    >>> from assistant.services import Services
    >>> blocks = build_ui(Services.build(Settings(data_dir="/tmp/shop")))
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import gradio as gr

from assistant.services import Services

ChatHistory = list[dict[str, Any]]


def _sources_markdown(result: Any) -> str:
    if not result.citations:
        return ""
    lines = ["", "<details><summary>Sources</summary>", ""]
    for c in result.citations:
        lines.append(f"[{c.n}] **{html.escape(c.title)}** — {html.escape(c.snippet)}  ")
    lines.append("</details>")
    return "\n".join(lines)


def _cards_html(recommendations: list[Any]) -> str:
    if not recommendations:
        return "<p class='sa-empty'>Recommendations appear here as we learn what you like.</p>"
    cards = []
    for r in recommendations:
        price = f"${r.price:,.2f}" if r.price is not None else ""
        cards.append(
            "<div class='sa-card'>"
            f"<div class='sa-card-name'>{html.escape(r.name)}</div>"
            f"<div class='sa-card-meta'>{html.escape(r.category)} · {price}</div>"
            f"<div class='sa-card-reason'>{html.escape(r.reason)}</div>"
            "</div>"
        )
    return "".join(cards)


CSS = """
.sa-card {border: 1px solid #ddd; border-radius: 8px; padding: 8px; margin-bottom: 8px;}
.sa-card-name {font-weight: 600;}
.sa-card-meta {color: #666; font-size: 0.9em;}
.sa-card-reason {font-size: 0.9em; margin-top: 4px;}
"""


def build_ui(services: Services) -> gr.Blocks:
    """The customer chat: streamed, cited answers beside product cards."""

    def respond(text: str, history: ChatHistory, conversation_id: str | None) -> Iterator[tuple[Any, ...]]:
        text = (text or "").strip()
        if not text:
            yield history, conversation_id, gr.update(), ""
            return
        assistant = services.assistant
        if not conversation_id:
            conversation_id = assistant.start_conversation()
        history = [*history, {"role": "user", "content": text}, {"role": "assistant", "content": ""}]
        yield history, conversation_id, gr.update(), ""
        try:
            for item in assistant.stream(conversation_id, text):
                if isinstance(item, str):
                    history[-1]["content"] += item
                    yield history, conversation_id, gr.update(), ""
                else:
                    history[-1]["content"] = item.text + _sources_markdown(item)
                    yield history, conversation_id, _cards_html(item.recommendations), ""
        except Exception:
            history[-1]["content"] = "Sorry, something went wrong on our side. Please try again."
            yield history, conversation_id, gr.update(), ""
            raise

    with gr.Blocks(title="ShopAssist") as blocks:
        conversation = gr.State(None)
        gr.Markdown("## Juniper & Pine — customer service")
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Chat", height=480, elem_id="chat")
                with gr.Row():
                    box = gr.Textbox(
                        placeholder="Ask about returns, shipping, an order, a product…",
                        show_label=False,
                        scale=5,
                        elem_id="message",
                    )
                    send = gr.Button("Send", variant="primary", scale=1, elem_id="send")
            with gr.Column(scale=2):
                gr.Markdown("### Picked for you")
                cards = gr.HTML(_cards_html([]), elem_id="recommendations")
        outputs = [chatbot, conversation, cards, box]
        send.click(respond, [box, chatbot, conversation], outputs, api_name="chat")
        box.submit(respond, [box, chatbot, conversation], outputs, api_name=False)
    blocks.css = CSS
    return blocks
