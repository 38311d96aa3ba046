"""The search field of the customer chat page: personalized results with their reasons.

Results come from :class:`assistant.interest.search.ProductSearch` through ``ChatService.search`` (the same as
``GET /api/search``):
ranked for the conversation's customer by the chat-aware interest model (a guest: text relevance plus
popularity), each with the reason it is shown. The "Plain text ranking" box shows the ranking by text
relevance alone, to compare.

Example:
    >>> with gr.Blocks():  # doctest: +SKIP
    ...     build_search_box(services, conv_id, conv_token)
"""

from __future__ import annotations

import html
import logging
from typing import Any

import gradio as gr

from assistant.interest.search import SearchError, SearchResults
from assistant.money import money
from assistant.services import Services
from assistant.services.types import Caller, ServiceError

log = logging.getLogger(__name__)

MODE_NOTE = {
    "personalized": "Ranked for you: your activity and your search.",
    "guest": "Ranked by match and popularity (sign in or browse to personalise).",
    "text": "Plain text ranking: match to your words only.",
}


def results_html(res: SearchResults, currency: str) -> str:
    """The results as a list: name, category, price, reason (all text escaped)."""
    if not res.hits:
        return f"<p class='sa-search-empty'>Nothing matches “{html.escape(res.query)}”.</p>"
    rows = []
    for h in res.hits:
        price = f" · {money(h.price, 'en', currency)}" if h.price is not None else ""
        stock = "" if h.available else " · <em>out of stock</em>"
        rows.append(
            f"<li class='sa-search-hit' data-product='{html.escape(h.product_id)}'>"
            f"<strong>{html.escape(h.name)}</strong> <small>{html.escape(h.category)}{price}{stock}</small>"
            f"<br><span class='sa-search-reason'>{html.escape(h.reason)}</span></li>"
        )
    return (
        f"<p class='sa-search-mode' data-mode='{res.mode}'>{MODE_NOTE[res.mode]}</p>"
        f"<ol class='sa-search-results'>{''.join(rows)}</ol>"
    )


def run_search(
    services: Services, query: str, plain: bool, conversation_id: str | None, token: str | None, client: str = ""
) -> SearchResults:
    """Search as the conversation's customer (its token proves it), or as a guest; ``client`` (the browser's
    address) may search ``security.searches_per_client`` times."""
    caller = Caller(conversation_token=token, client=client)
    return services.chat.search(query, caller, conversation_id if token else None, personalized=not plain)


def build_search_box(services: Services, conv_id: Any, conv_token: Any) -> None:
    """Render the search field and its results into the current Blocks context."""
    with gr.Accordion("Search products", open=True, elem_id="search-area"):
        with gr.Row():
            query = gr.Textbox(
                placeholder="Search the shop…",
                show_label=False,
                scale=5,
                min_width=160,
                elem_id="search-box",
                max_lines=1,
            )
            plain = gr.Checkbox(label="Plain text ranking", value=False, scale=1, elem_id="search-plain")
            go = gr.Button("Search", scale=1, min_width=70, elem_id="search-go")
        results = gr.HTML("", elem_id="search-results")

    def on_search(q: str, plain_text: bool, conversation_id: str | None, token: str | None, request: gr.Request) -> str:
        if not (q or "").strip():
            return ""
        client = request.client.host if request is not None and request.client is not None else ""
        try:  # over security.searches_per_client the message says how long to wait
            return results_html(
                run_search(services, q, plain_text, conversation_id, token, client),
                services.settings.conversation.currency,
            )
        except (SearchError, ServiceError) as exc:
            return f"<p class='sa-search-error'>{html.escape(str(exc))}</p>"
        except Exception as exc:  # the page must stay usable
            log.error("search failed", exc_info=exc)
            return "<p class='sa-search-error'>Search is unavailable right now. Please try again.</p>"

    inputs = [query, plain, conv_id, conv_token]
    go.click(on_search, inputs, [results], api_visibility="private")
    query.submit(on_search, inputs, [results], api_visibility="private")
    plain.change(on_search, inputs, [results], api_visibility="private")
