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
