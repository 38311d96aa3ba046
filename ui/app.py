"""The browser app: customer chat, agent console and admin area in one Gradio Blocks.

Mount it on the FastAPI app (which also serves ``/api/auth/*``, ``/api/agent/*``, ``/api/admin/*``)
with ``show_error=False``: handlers answer in plain words, and no trace reaches the browser.

Example:
    >>> from assistant.config import Settings
    >>> from assistant.services import Services
    >>> blocks = build_ui(Services.build(Settings(data_dir="/tmp/shop")))
    >>> # app = gr.mount_gradio_app(api, blocks, path="/", show_error=False)

``/?tab=agent`` and ``/?tab=admin`` open the page on that area.
"""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr

from assistant.services import Services
from ui.admin import build_admin_area
from ui.agent import build_agent_area
from ui.auth import LOGIN_JS, LOGOUT_JS, current
from ui.customer import build_customer_area

log = logging.getLogger(__name__)

TABS = ("chat", "agent", "admin")

CSS = """
.sa-card {border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px;}
.sa-card-name {font-weight: 600;}
.sa-card-meta {color: var(--body-text-color-subdued); font-size: 0.9em;}
.sa-card-reason {font-size: 0.88em; margin-top: 4px;}
.sa-slot {gap: 4px !important; margin-bottom: 6px;}
.sa-sources summary {cursor: pointer; color: var(--link-text-color); margin-top: 6px;}
.sa-sources p {font-size: 0.88em; margin: 4px 0;}
.sa-signin {max-width: 420px;}
footer {display: none !important;}
.sa-hidden {display: none !important;}
@media (max-width: 640px) {
  .gradio-container {padding: 4px !important;}
  #chat {height: 52vh !important;}
}
"""

# Passed to gr.mount_gradio_app by create_app; the CSS is also embedded in the page (see build_ui),
# so the app looks right even when mounted without these.
MOUNT_KWARGS: dict[str, Any] = {"show_error": False, "css": CSS}


def _demo_hint(services: Services, is_demo: bool) -> str:
    if not is_demo:
        return ""
    try:
        return services.users.demo_accounts_hint()
    except Exception:
        log.warning("could not prepare the demo accounts", exc_info=True)
    return ""


def build_ui(services: Services) -> gr.Blocks:
    """Build the three areas. Demo shops also get a customer picker and demo agent/admin accounts."""
    try:
        choices = services.users.demo_customers()
    except Exception:
        log.warning("could not list demo customers", exc_info=True)
        choices = []
    hint = _demo_hint(services, bool(choices))

    with gr.Blocks(title="ShopAssist — Juniper & Pine" if choices else "ShopAssist") as blocks:
        gr.HTML(f"<style>{CSS}</style>", padding=False, container=False)
        gr.Markdown("## Juniper & Pine — help center" if choices else "## Customer service", elem_id="title")
        with gr.Tabs(selected="chat", elem_id="tabs") as tabs:
            with gr.Tab("Chat", id="chat", elem_id="tab-chat"):
                build_customer_area(services, choices)
            with gr.Tab("Agent console", id="agent", elem_id="tab-agent"):
                agent = build_agent_area(services, hint)
            with gr.Tab("Admin", id="admin", elem_id="tab-admin"):
                admin = build_admin_area(services, hint)

        area_outputs = [*agent.load_outputs, *admin.load_outputs]

        def refresh_areas(request: gr.Request) -> list[Any]:
            return [*agent.load_fn(request), *admin.load_fn(request)]

        def on_load(request: gr.Request) -> list[Any]:
            wanted = ""
            try:
                wanted = str(request.query_params.get("tab") or "")
            except Exception:
                wanted = ""
            selected = gr.Tabs(selected=wanted) if wanted in TABS else gr.skip()
            return [selected, *refresh_areas(request)]

        blocks.load(on_load, None, [tabs, *area_outputs], api_visibility="private", show_progress="hidden")

        for panel in (agent.signin, admin.signin):

            def after_login(username: str, _blank: str, message: str, request: gr.Request,
                            role: str = panel.role) -> list[Any]:
                user = current(services, request)
                if message:
                    note = f"{message}"
                elif user is None:
                    note = "Sign-in did not stick. Are cookies enabled for this site?"
                elif not user.can(role):
                    note = f"{user.username} is an {user.role}; this area needs an {role} account."
                else:
                    note = ""
                return [gr.skip(), "", note, *refresh_areas(request)]

            outputs = [panel.username, panel.password, panel.message, *area_outputs]
            panel.button.click(after_login, [panel.username, panel.password, panel.message], outputs,
                               js=LOGIN_JS, api_visibility="private")
            panel.password.submit(after_login, [panel.username, panel.password, panel.message], outputs,
                                  js=LOGIN_JS, api_visibility="private")

        for button in (agent.logout, admin.logout):
            button.click(refresh_areas, None, area_outputs, js=LOGOUT_JS, api_visibility="private")
    assert isinstance(blocks, gr.Blocks)
    return blocks
