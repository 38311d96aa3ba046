"""The admin area's "Privacy" tab: forget a customer (their profile, conversations, events and
conversation vectors go; their orders and reviews lose the link to them).

The person types the customer id, ticks a confirmation box and presses the button; the service
checks the admin role on every call and says what was deleted.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from assistant.services import Services
from assistant.services.types import NotFound, ServiceError
from assistant.services.users import ForgottenCustomer
from ui.auth import DENIED_MESSAGE, plain_error, require


def summary_markdown(result: ForgottenCustomer) -> str:
    """What forgetting deleted, in a few lines an admin can read."""
    rows = ", ".join(f"{table} {n}" for table, n in sorted(result.deleted_rows.items()) if n) or "none"
    return (
        f"Customer **{result.customer_id}** is forgotten: profile {'deleted' if result.profile_deleted else 'absent'}, "
        f"**{result.conversations}** conversation(s), **{result.vectors_deleted}** conversation vector(s); "
        f"rows deleted per table: {rows}. Orders stripped of the link: {result.orders_stripped}; "
        f"reviews: {result.reviews_stripped}.{' Store file compacted.' if result.vacuumed else ''}"
    )


def forget(services: Services, customer_id: str | None, confirmed: bool, user: Any) -> str:
    """Run the forget action for ``user``; returns the message to show."""
    cid = (customer_id or "").strip()
    if not cid:
        return "Enter the customer's id (for example `C001`)."
    if not confirmed:
        return f"Tick **I understand this cannot be undone** to forget `{cid}`."
    try:
        return summary_markdown(services.users.forget_customer(user, cid))
    except NotFound:
        return f"No customer `{cid}` in any store: nothing was deleted."
    except ServiceError as exc:
        return str(exc)


def build_privacy_tab(services: Services) -> None:
    """Render the tab into the current Blocks context (inside the admin area's column)."""
    with gr.Tab("Privacy", id="admin-privacy"):
        gr.Markdown(
            "**Forget a customer.** Deletes their profile, conversations (with messages, feedback and drafts), "
            "events and the vectors of their past conversations; their orders and reviews stay for the shop's "
            "records without the link to them. This cannot be undone. Remove them from your source files too, "
            "or the next ingestion brings them back."
        )
        with gr.Row():
            customer = gr.Textbox(label="Customer id", placeholder="C001", elem_id="admin-forget-id", scale=2)
            confirm = gr.Checkbox(label="I understand this cannot be undone", elem_id="admin-forget-confirm")
            button = gr.Button("Forget customer", variant="stop", elem_id="admin-forget-button", scale=0)
        result = gr.Markdown("", elem_id="admin-forget-result")

    def do_forget(customer_id: str | None, confirmed: bool, request: gr.Request) -> tuple[Any, Any]:
        user = require(services, request, "admin")
        if user is None:
            return DENIED_MESSAGE, gr.skip()
        try:
            message = forget(services, customer_id, confirmed, user)
        except Exception as exc:
            return plain_error("forgetting a customer", exc), gr.skip()
        return message, gr.update(value=False)

    button.click(do_forget, [customer, confirm], [result, confirm])
