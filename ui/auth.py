"""Sign-in panels and the server-side role check every agent/admin handler starts with.

Signing in posts the credentials from the browser straight to ``/api/auth/login`` (the
password never passes through Gradio's queue); the response sets the HttpOnly session cookie,
which every later Gradio call carries, and handlers read it back through ``gr.Request``.

Example:
    >>> def handler(request: gr.Request):  # doctest: +SKIP
    ...     user = require(services, request, "agent")
    ...     if user is None:
    ...         return DENIED_MESSAGE
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import gradio as gr

from assistant.services import Services
from assistant.services.types import SessionUser

log = logging.getLogger(__name__)

DENIED_MESSAGE = "Please sign in with an account that may use this area."
GENERIC_ERROR = "Sorry, something went wrong on our side. Please try again."

# Runs in the browser before the Python handler; returns the handler's inputs (password blanked).
LOGIN_JS = """
async (username, password) => {
  let message = "";
  try {
    const r = await fetch("/api/auth/login", {
      method: "POST",
      headers: {"content-type": "application/json"},
      credentials: "same-origin",
      body: JSON.stringify({username: username || "", password: password || ""}),
    });
    if (!r.ok) {
      let detail = "Sign-in failed.";
      try { const j = await r.json(); if (typeof j.detail === "string") detail = j.detail; } catch (e) {}
      message = detail;
    }
  } catch (e) {
    message = "Could not reach the server. Check your connection and try again.";
  }
  return [username, "", message];
}
"""

LOGOUT_JS = """
async () => {
  try { await fetch("/api/auth/logout", {method: "POST", credentials: "same-origin"}); } catch (e) {}
  return [];
}
"""


def current(services: Services, request: gr.Request | None) -> SessionUser | None:
    """The signed-in agent/admin of this Gradio call, or None."""
    try:
        return services.users.session_from_request(request)
    except Exception:
        log.exception("session check failed")
        return None


def require(services: Services, request: gr.Request | None, role: str) -> SessionUser | None:
    """The user if they hold ``role`` (admins hold agent too), else None. Checked on every call."""
    user = current(services, request)
    return user if user is not None and user.can(role) else None


def plain_error(what: str, exc: BaseException) -> str:
    """Log the details for the operator; show the person a sentence, never a trace."""
    log.error("%s failed", what, exc_info=exc)
    return f"{GENERIC_ERROR}"


@dataclass
class SigninPanel:
    """The form shown in place of an area until someone with the right role signs in."""

    role: str
    column: gr.Column
    username: gr.Textbox
    password: gr.Textbox
    button: gr.Button
    message: gr.Markdown


def signin_panel(role: str, hint: str = "") -> SigninPanel:
    """Render a sign-in form for ``role`` (``agent`` or ``admin``) in the current Blocks context."""
    with gr.Column(visible=True, elem_id=f"{role}-signin", elem_classes=["sa-signin"]) as column:
        gr.Markdown(f"### Sign in to the {'agent console' if role == 'agent' else 'admin area'}")
        username = gr.Textbox(label="Username", elem_id=f"{role}-username", max_lines=1)
        password = gr.Textbox(label="Password", type="password", elem_id=f"{role}-password", max_lines=1)
        button = gr.Button("Sign in", variant="primary", elem_id=f"{role}-signin-button")
        message = gr.Markdown(hint, elem_id=f"{role}-signin-message")
    return SigninPanel(role, column, username, password, button, message)
