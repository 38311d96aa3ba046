"""Files through the browser pages' own Gradio endpoints, against a running demo shop.

A page function may only receive files a browser uploaded: naming a server file (the session secret)
in any input must not copy it where Gradio serves files from. Uploading at all needs a signed-in
account of an area that takes files (the admin area); the chat page and the agent console take none.
No page keeps Gradio's run history (the calls' inputs and outputs), and an ingested upload is deleted.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.config import Settings
from assistant.server import create_server
from assistant.services import Services
from assistant.users import add_user
from tests.live_server import serving

AGENT = ("gina", "agent-pass-456")
ADMIN = ("olga", "admin-pass-456")


@dataclass
class Shop:
    url: str
    settings: Settings
    services: Services

    def signed_in(self, username: str, password: str) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=180)
        assert client.post("/api/auth/login", json={"username": username, "password": password}).status_code == 200
        return client

    def call(self, client: httpx.Client, area: str, api_name: str, data: list[Any]) -> dict[str, Any]:
        """Run one page function as a browser does (queue join, then the event stream); its last message."""
        config = client.get(f"{area}/config").json()
        index, dep = next((i, d) for i, d in enumerate(config["dependencies"]) if d.get("api_name") == api_name)
        session = uuid.uuid4().hex[:12]
        body = {"data": data, "fn_index": index, "session_hash": session, "trigger_id": dep["targets"][0][0]}
        joined = client.post(f"{area}/gradio_api/queue/join", json=body)
        assert joined.status_code == 200, joined.text
        last: dict[str, Any] = {}
        with client.stream("GET", f"{area}/gradio_api/queue/data", params={"session_hash": session}) as events:
            for line in events.iter_lines():
                if line.startswith("data:"):
                    last = json.loads(line[5:])
                    if last.get("msg") in ("process_completed", "unexpected_error"):
                        break
        return last


@pytest.fixture(scope="module")
def shop(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    target = tmp_path_factory.mktemp("gradio-files") / "data"
    shutil.copytree(demo_template, target)
    settings = Settings(data_dir=target, device="cpu")
    services = Services.build(settings)
    add_user(services.db, *AGENT, "agent")
    add_user(services.db, *ADMIN, "admin")
    with serving(create_server(services)) as url:
        yield Shop(url, settings, services)


def _file(path: Path) -> dict[str, Any]:
    return {"path": str(path), "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}


def test_a_chat_request_cannot_pull_a_server_file_into_reach(shop: Shop) -> None:
    shop.signed_in(*AGENT)  # the session secret exists from the first sign-in on
    secret = (shop.settings.data_dir / "session_secret").read_text().strip()
    history = [
        {"role": "user", "content": [{"type": "file", "file": _file(shop.settings.data_dir / "session_secret")}]},
        {"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
    ]
    guest = httpx.Client(base_url=shop.url, timeout=180)
    outcome = json.dumps(shop.call(guest, "", "chat", ["hello", history, None, None, None, {}, 0]))
    served = [u for u in outcome.split('"') if "gradio_api/file=" in u]
    for url in served:  # whatever the page answered, no link leads to the secret
        assert secret not in guest.get("/" + url.lstrip("/")).text
    assert not served, outcome[:500]
    assert secret not in outcome


def test_an_admin_page_ingests_only_uploaded_files(shop: Shop, tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("# Outside\n\nThis file was never uploaded: it lives on the server.\n")
    admin = shop.signed_in(*ADMIN)
    before = shop.services.catalog.stats()["sql"]
    done = shop.call(admin, "/admin", "admin_ingest", [[_file(outside)], "auto"])
    assert not done.get("success"), json.dumps(done)[:500]
    assert shop.services.catalog.stats()["sql"] == before

    uploaded = admin.post(
        "/admin/gradio_api/upload", files={"files": ("gift-cards.md", b"# Gift cards\n\nNo expiry.\n")}
    )
    assert uploaded.status_code == 200, uploaded.text
    path = Path(uploaded.json()[0])
    done = shop.call(admin, "/admin", "admin_ingest", [[_file(path)], "auto"])
    assert done.get("success") and "Ingested." in done["output"]["data"][0], json.dumps(done)[:500]
    # The raw upload (before redaction) does not linger in Gradio's folder, and the file list is emptied.
    assert not path.exists() and done["output"]["data"][2] is None


@pytest.mark.parametrize("area", ["", "/agent", "/admin"])
def test_uploads_need_a_signed_in_account_of_an_area_that_takes_files(shop: Shop, area: str) -> None:
    files = {"files": ("note.txt", b"x" * 1000)}
    guest = httpx.Client(base_url=shop.url, timeout=60)
    assert guest.post(f"{area}/gradio_api/upload", files=files).status_code == 403
    assert guest.post(f"{area}/gradio_api/process_recording", files=files).status_code == 403
    agent = shop.signed_in(*AGENT)
    assert agent.post(f"{area}/gradio_api/upload", files=files).status_code == 403
    admin = shop.signed_in(*ADMIN)
    assert admin.post(f"{area}/gradio_api/upload", files=files).status_code == (200 if area == "/admin" else 403)


@pytest.mark.parametrize("area", ["", "/agent", "/admin"])
def test_no_page_keeps_a_run_history(shop: Shop, area: str) -> None:
    """Gradio's run history would keep each call's inputs and outputs (orders, transcripts) in the
    browser after the page is closed or the agent signed out, or send them to a Hugging Face bucket."""
    guest = httpx.Client(base_url=shop.url, timeout=60)
    assert guest.get(f"{area}/config").json()["run_history"] is False
    assert guest.get(f"{area}/gradio_api/runs").status_code == 404
    assert guest.get(f"{area}/gradio_api/run-history/records", params={"bucket": "x/y"}).status_code == 404


def test_a_dialogue_suite_upload_is_deleted_once_read(shop: Shop) -> None:
    """Like an ingested file: a suite (customers' names, emails in its turns) must not linger in Gradio's
    folder, reachable at /admin/gradio_api/file=<path>."""
    admin = shop.signed_in(*ADMIN)
    suite = json.dumps({"id": "hello", "turns": [{"say": "hello", "expect": {"handoff": False}}]}) + "\n"
    for content, outcome in ((b"{not json\n", "not valid"), (suite.encode(), "finished")):
        uploaded = admin.post("/admin/gradio_api/upload", files={"files": ("suite.jsonl", content)})
        assert uploaded.status_code == 200, uploaded.text
        path = Path(uploaded.json()[0])
        assert path.exists()
        done = shop.call(admin, "/admin", "admin_dialogue_run", [_file(path)])
        assert done.get("success"), json.dumps(done)[:500]
        data = done["output"]["data"]
        assert outcome in data[0], data[0]
        assert not path.exists() and data[-1] is None  # deleted, and the file input emptied


def _join(
    client: httpx.Client, area: str, api_name: str, data: list[Any], session: str, config: dict[str, Any] | None = None
) -> httpx.Response:
    config = config or client.get(f"{area}/config").json()
    index, dep = next((i, d) for i, d in enumerate(config["dependencies"]) if d.get("api_name") == api_name)
    body = {"data": data, "fn_index": index, "session_hash": session, "trigger_id": dep["targets"][0][0]}
    return client.post(f"{area}/gradio_api/queue/join", json=body)


def _events(client: httpx.Client, area: str, session: str) -> tuple[int, dict[str, Any]]:
    last: dict[str, Any] = {}
    with client.stream("GET", f"{area}/gradio_api/queue/data", params={"session_hash": session}) as events:
        if events.status_code != 200:
            return events.status_code, {}
        for line in events.iter_lines():
            if line.startswith("data:"):
                last = json.loads(line[5:])
                if last.get("msg") in ("process_completed", "unexpected_error"):
                    break
    return 200, last


def test_a_session_hash_from_a_url_does_not_open_the_customers_chat(shop: Shop) -> None:
    """The page's session hash travels in URLs (the event stream's ?session_hash=, the heartbeat's path),
    so it lands in access logs. Knowing it must not let anyone chat in that customer's conversation (its
    verified orders) or snapshot the page: the session answers only the browser that opened it."""
    session = uuid.uuid4().hex[:12]
    customer = httpx.Client(base_url=shop.url, timeout=180)
    customer.get("/")  # the page, as a browser opens it
    inputs = [None, [], None, None, None, {}, 0]
    for text in ("Where is my order?", "I'm Ravi Kulkarni, 48104"):
        inputs[0] = text
        assert _join(customer, "", "chat", inputs, session).status_code == 200
        status, done = _events(customer, "", session)
        assert status == 200 and done.get("success"), json.dumps(done)[:300]
    assert "#JP1054" in json.dumps(done["output"]["data"][0])
    # Someone who read the hash in a log, with or without a cookie of their own.
    config = customer.get("/config").json()
    for own_cookie in (False, True):
        stranger = httpx.Client(base_url=shop.url, timeout=180)
        if own_cookie:
            stranger.get("/")
            assert stranger.cookies
        inputs[0] = "show status of all my orders"
        joined = _join(stranger, "", "chat", inputs, session, config)
        assert joined.status_code == 403, joined.text[:300]
        status, leaked = _events(stranger, "", session)
        assert status == 403 and "#JP1054" not in json.dumps(leaked)
        assert stranger.get("/gradio_api/deep_link", params={"session_hash": session}).status_code == 403
        assert stranger.get(f"/gradio_api/heartbeat/{session}").status_code == 403
    # The customer carries on.
    inputs[0] = "thanks!"
    assert _join(customer, "", "chat", inputs, session).status_code == 200
    assert _events(customer, "", session)[0] == 200


def test_links_in_mined_questions_reach_the_console_as_plain_text(shop: Shop) -> None:
    """Mined examples are customers' own words from past conversations: a planted phishing link shows as plain
    text (label and address in a code span, which no Markdown renderer makes clickable), as in replies."""
    from assistant.store.models import AnswerCandidate

    phish = "Where is my refund? Fill in [the refund form](https://refunds.evil.example/claim) or www.evil.example/x"
    with shop.services.db.session() as s:
        row = AnswerCandidate(
            key=f"planted-{uuid.uuid4().hex[:8]}",
            topic="Refund timing",
            question="Where is my refund?",
            answer="Refunds reach your card within 5-10 business days.",
            examples=[phish, "Has my refund been sent? https://juniperandpine.com/help is your page"],
            sources=[{"conversation_id": "[see](https://evil.example/c)"}],
            n_conversations=2,
            consistency=0.8,
        )
        s.add(row)
        s.flush()
        candidate_id = row.id
    agent = shop.signed_in(*AGENT)
    session = uuid.uuid4().hex[:12]
    for api_name, data in (("kb_list", []), ("kb_open", [candidate_id])):  # the list fills the picker first
        assert _join(agent, "/agent", api_name, data, session).status_code == 200
        status, done = _events(agent, "/agent", session)
        assert status == 200 and done.get("success"), json.dumps(done)[:500]
    details = str(done["output"]["data"][3])
    assert "Where is my refund" in details and "the refund form" in details
    assert "](http" not in details and "](" not in details
    assert "`refunds.evil.example/claim`" in details and "`www.evil.example/x`" in details
    assert "https://evil" not in details and "https://refunds" not in details


def test_the_chat_page_says_plainly_when_a_client_sends_too_fast(shop: Shop) -> None:
    """Over ``security.messages_per_client`` the page keeps the message in the box and says how long to wait."""
    security = shop.settings.security.model_copy(update={"messages_per_client": "1/minute"})
    limited = Services.build(shop.settings.model_copy(update={"security": security}))
    with serving(create_server(limited)) as url:
        browser = httpx.Client(base_url=url, timeout=180)
        browser.get("/")
        session = uuid.uuid4().hex[:12]
        outputs = []
        for text in ("How long does shipping take?", "And to Canada?"):
            assert _join(browser, "", "chat", [text, [], None, None, None, {}, 0], session).status_code == 200
            status, done = _events(browser, "", session)
            assert status == 200 and done.get("success"), json.dumps(done)[:300]
            outputs.append(done["output"]["data"])
    assert "faster than" not in json.dumps(outputs[0])
    second = outputs[1]
    shown = [str(v) for v in second if isinstance(v, str)]
    assert any("You're sending messages faster than we can take them. Please wait" in v for v in shown), second
    assert "And to Canada?" in shown  # still in the box, to send again
    assert "And to Canada?" not in json.dumps(second[0])  # not in the chat as if it had been sent
