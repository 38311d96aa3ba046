"""Three separate entrances, each its own Gradio app: the customer chat at ``/``, the agent console
at ``/agent`` and the admin area at ``/admin``. The customer page holds nothing of the other two
(no tabs, no components, no endpoints). ``/?tab=agent`` and ``/?tab=admin`` (old links) redirect.

Product images are served at ``/media/products/<product id>``: the shop's own image from
``<data_dir>/product_images/<id>.png|jpg|webp`` when there is one (the demo shop generates
simple ones at build time), else a neutral placeholder drawn from the product's initials.

Example:
    >>> app = mount_ui(create_app(services), services)  # doctest: +SKIP
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import gradio as gr
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from assistant.services import Services
from ui.admin import build_admin_area
from ui.agent_console import build_agent_console
from ui.auth import LOGIN_JS, LOGOUT_JS, SigninPanel, current
from ui.browser_sessions import SessionBinding
from ui.customer import build_customer_area

log = logging.getLogger(__name__)

IMAGE_DIR = "product_images"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

PAGE_CSS = """
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
#title {margin: 0 !important;}
#title h2 {margin: 2px 0 !important; font-size: 1.25em;}
.sa-picker {margin: 0 !important;}
#chat {height: max(220px, calc(100vh - 420px)) !important;}
#chat-controls {gap: 6px !important; align-items: center;}
#chat-meta {gap: 6px !important; align-items: center; flex-wrap: nowrap !important; min-height: 1.4em;}
#chat-meta > * {min-width: 0 !important;}
#chat-status {flex: 1 1 0 !important;}
#char-count-box {flex: 0 0 auto !important; width: auto !important; min-width: 96px !important; text-align: right;}
#char-count {font-size: 0.85em; color: var(--body-text-color-subdued); white-space: nowrap; flex: none;}
#char-count.sa-over {color: var(--error-text-color, #c00); font-weight: 600;}
#chat-status {min-height: 1.2em;}
#chat-status p {margin: 0; font-weight: 600; color: var(--body-text-color);}
.sa-card {display: flex; gap: 10px; align-items: flex-start;}
.sa-card img, .sa-msg-card img {width: 72px; height: 72px; object-fit: cover; border-radius: 6px; flex: none;}
.sa-card-body {min-width: 0;}
.sa-card-price {font-weight: 600;}
.sa-details {border-left: 3px solid var(--color-accent); padding-left: 8px; margin-top: 4px;}
.sa-details img {max-width: 160px; border-radius: 6px;}
.sa-agent-name {font-weight: 600; font-size: 0.85em; color: var(--color-accent); margin-bottom: 2px;}
.sa-msg-card {display: flex; gap: 10px; border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 6px 8px; margin-top: 6px;}
a.sa-cite {text-decoration: none; font-weight: 600; cursor: pointer;}
.sa-src-hit {background: var(--color-accent-soft); border-radius: 4px;}
#agent-top {flex-wrap: wrap !important; align-items: center;}
#agent-who, #agent-waiting {flex: 1 1 220px !important; min-width: 220px !important;}
@media (max-width: 640px) {
  #chat {height: max(200px, calc(100vh - 400px)) !important;}
  #title {display: none !important;}
}
"""

# Citations: clicking [n] in an answer opens that answer's sources and highlights source n.
# The character counter under the message box follows every keystroke.
HEAD = """
<script>
(() => {
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest && ev.target.closest('a.sa-cite');
    if (!a) return;
    ev.preventDefault(); ev.stopPropagation();
    const bubble = a.closest('.message') || a.closest('.message-row') || document;
    const box = bubble.querySelector('details.sa-sources');
    if (!box) return;
    box.open = true;
    const n = (a.getAttribute('href') || '').split('sa-src-')[1] || (a.textContent || '').replace(/[^0-9]/g, '');
    box.querySelectorAll('.sa-src-hit').forEach((e) => e.classList.remove('sa-src-hit'));
    const src = box.querySelector('[id="sa-src-' + n + '"]');
    if (src) { src.classList.add('sa-src-hit'); src.scrollIntoView({block: 'nearest'}); }
  }, true);
  const count = () => {
    const box = document.querySelector('#message textarea');
    const out = document.querySelector('#char-count');
    if (!box || !out) return;
    const max = parseInt(out.getAttribute('data-max') || '4000', 10);
    const n = box.value.length;
    out.textContent = n.toLocaleString('en-US') + ' / ' + max.toLocaleString('en-US');
    out.classList.toggle('sa-over', n > max);
  };
  document.addEventListener('input', (ev) => {
    if (ev.target && ev.target.closest && ev.target.closest('#message')) count();
  }, true);
  setInterval(count, 700);
})();
</script>
"""

REDIRECT_JS = """
() => {
  const tab = new URLSearchParams(window.location.search).get('tab');
  if (tab === 'agent' || tab === 'admin') window.location.replace('/' + tab + '/');
}
"""


def _hint(services: Services, is_demo: bool) -> str:
    if not is_demo:
        return ""
    try:
        return services.users.demo_accounts_hint()
    except Exception:
        log.warning("could not prepare the demo accounts", exc_info=True)
    return ""


def _demo_customers(services: Services) -> list[tuple[str, str]]:
    try:
        return services.users.demo_customers()
    except Exception:
        log.warning("could not list demo customers", exc_info=True)
        return []


def _wire_signin(services: Services, panel: SigninPanel, logout: gr.Button, outputs: list[Any], refresh: Any) -> None:
    def after_login(username: str, _blank: str, message: str, request: gr.Request) -> list[Any]:
        user = current(services, request)
        if message:
            note = message
        elif user is None:
            note = "Sign-in did not stick. Are cookies enabled for this site?"
        elif not user.can(panel.role):
            note = f"{user.username} is an {user.role}; this area needs an {panel.role} account."
        else:
            note = ""
        return [gr.skip(), "", note, *refresh(request)]

    all_outputs = [panel.username, panel.password, panel.message, *outputs]
    inputs = [panel.username, panel.password, panel.message]
    panel.button.click(after_login, inputs, all_outputs, js=LOGIN_JS, api_visibility="private")
    panel.password.submit(after_login, inputs, all_outputs, js=LOGIN_JS, api_visibility="private")
    logout.click(refresh, None, outputs, js=LOGOUT_JS, api_visibility="private")


def build_customer_page(services: Services) -> gr.Blocks:
    choices = _demo_customers(services)
    with gr.Blocks(title="Juniper & Pine — help" if choices else "Customer service") as page:
        gr.Markdown("## Juniper & Pine — help center" if choices else "## Customer service", elem_id="title")
        build_customer_area(services, choices)
        page.load(None, None, None, js=REDIRECT_JS)
    assert isinstance(page, gr.Blocks)
    return page


class StaffArea(Protocol):
    """What the agent console and the admin area hand their page: the sign-in panel and the loader."""

    signin: SigninPanel
    logout: gr.Button
    load_outputs: list[Any]
    load_fn: Any


def _staff_page(services: Services, title: str, build_area: Callable[[Services, str], StaffArea]) -> gr.Blocks:
    """A page behind a sign-in: the area is shown once a session with its role is present."""
    hint = _hint(services, bool(_demo_customers(services)))
    with gr.Blocks(title=title) as page:
        gr.Markdown(f"## {title}", elem_id="title")
        area = build_area(services, hint)
        load_fn, n_outputs = area.load_fn, len(area.load_outputs)

        def opening(request: gr.Request) -> list[Any]:
            # Without a session the page stays as laid out (sign-in form shown, area hidden): no
            # update at all, so a first load that finishes late cannot hide an area the visitor has
            # signed into meanwhile.
            if current(services, request) is None:
                return [gr.skip()] * n_outputs
            result: list[Any] = load_fn(request)
            return result

        page.load(opening, None, area.load_outputs, api_visibility="private", show_progress="hidden")
        _wire_signin(services, area.signin, area.logout, area.load_outputs, area.load_fn)
    assert isinstance(page, gr.Blocks)
    return page


def build_agent_page(services: Services) -> gr.Blocks:
    return _staff_page(services, "Agent console", build_agent_console)


def build_admin_page(services: Services) -> gr.Blocks:
    return _staff_page(services, "Admin", build_admin_area)


def _placeholder_svg(name: str) -> str:
    initials = "".join(w[0] for w in re.findall(r"[^\W\d_]+", name)[:2]).upper() or "?"
    hue = sum(map(ord, name)) % 360
    return (
        "<svg xmlns='http://www.w3.org/2000/svg' width='160' height='160' viewBox='0 0 160 160'>"
        f"<rect width='160' height='160' fill='hsl({hue},35%,86%)'/>"
        f"<text x='80' y='96' font-size='48' text-anchor='middle' font-family='sans-serif' "
        f"fill='hsl({hue},35%,30%)'>{html.escape(initials)}</text></svg>"
    )


def product_image_path(data_dir: Path, product_id: str) -> Path | None:
    if not _SAFE_ID.match(product_id):
        return None
    for suffix in IMAGE_SUFFIXES:
        path = data_dir / IMAGE_DIR / f"{product_id}{suffix}"
        if path.is_file():
            return path
    return None


def add_image_route(app: FastAPI, services: Services) -> None:
    data_dir = Path(services.settings.data_dir)

    @app.get("/media/products/{product_id}", include_in_schema=False)
    def product_image(product_id: str) -> Response:
        path = product_image_path(data_dir, product_id)
        if path is not None:
            return FileResponse(path, headers={"cache-control": "public, max-age=3600"})
        try:
            name = services.catalog.product_details(product_id).name if _SAFE_ID.match(product_id) else "?"
        except Exception:
            name = "?"
        return Response(
            _placeholder_svg(name), media_type="image/svg+xml", headers={"cache-control": "public, max-age=600"}
        )


def _add_slash_redirects(app: FastAPI) -> None:
    """``/agent`` and ``/admin`` (no trailing slash) lead to the page, not to the chat's 404."""
    for area in ("agent", "admin"):

        def redirect(request: Request, area: str = area) -> RedirectResponse:
            query = f"?{request.url.query}" if request.url.query else ""
            return RedirectResponse(f"/{area}/{query}", status_code=307)

        app.add_api_route(f"/{area}", redirect, methods=["GET"], include_in_schema=False)


#: Gradio's routes that write what a browser sends to the server's disk (file inputs, recordings).
UPLOAD_ROUTES = ("/gradio_api/upload", "/gradio_api/process_recording")
#: The one area with file inputs (ingestion, dialogue suites), and the role it needs.
UPLOAD_AREAS = {"/admin": "admin"}


class UploadGuard:
    """Gradio takes uploads from anyone on every mounted page, with or without a file input on it: here
    only a signed-in holder of the area's role may upload (:data:`UPLOAD_AREAS`), elsewhere nobody (403).

    Pure ASGI middleware; the session check is the one every page handler makes (``services.users``).
    """

    def __init__(self, app: Any, services: Services) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope.get("type") == "http" else ""
        route = next((r for r in UPLOAD_ROUTES if path.rstrip("/").endswith(r)), None)
        if route is not None:
            role = UPLOAD_AREAS.get(path.rstrip("/")[: -len(route)])
            user = self.services.users.session_from_request(Request(scope)) if role else None
            if user is None or role is None or not user.can(role):
                response = Response(
                    '{"detail":"Uploads need a signed-in account of this area."}',
                    status_code=403,
                    media_type="application/json",
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def mount_ui(app: FastAPI, services: Services) -> FastAPI:
    """Mount the three pages (the more specific paths first: ``/`` catches everything else).

    Files a page function receives must be ones a browser uploaded: Gradio checks that only for a Blocks
    it launched itself (``has_launched``), never for a mounted one, so without the flag any request could
    name a server file (the session secret, the database) in any input, have it copied to Gradio's cache
    and download it from there. The data folder is also off limits to Gradio's file routes, and Gradio's
    run history is off (see below).
    """
    add_image_route(app, services)
    _add_slash_redirects(app)
    kwargs: dict[str, Any] = {
        "show_error": False,
        "css": PAGE_CSS,
        "head": HEAD,
        "blocked_paths": [str(Path(services.settings.data_dir).resolve())],
        # Gradio's run history keeps every call's inputs and outputs (a customer's orders, the console's
        # transcripts) in the browser after the page is closed or the agent signed out, and can send them
        # to a Hugging Face bucket: off, which also deletes what an earlier version saved in the browser.
        "run_history": False,
    }
    for path, page in (
        ("/agent", build_agent_page(services)),
        ("/admin", build_admin_page(services)),
        ("/", build_customer_page(services)),
    ):
        app = gr.mount_gradio_app(app, page, path=path, **kwargs)
        page.has_launched = True  # Gradio's own check of input files applies (see above)
    app.add_middleware(UploadGuard, services=services)
    # A page's Gradio session (its gr.State: the conversation token) answers only the browser that opened it,
    # so a session hash read from a URL in some log is of no use (ui/browser_sessions.py).
    app.add_middleware(
        SessionBinding,
        secure=services.settings.session_cookie_secure,
        max_body=services.settings.security.max_ui_body_bytes,
        max_sessions=services.settings.security.max_page_sessions,
        idle_seconds=services.settings.security.page_session_idle_minutes * 60.0,
    )
    return app
