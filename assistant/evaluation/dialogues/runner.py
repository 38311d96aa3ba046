"""Run a dialogue suite through the real HTTP chat API and check every turn.

Each dialogue runs in a new conversation (a new HTTP client, so no cookie carries over). By
default the app is built in-process on the configured stores and served by uvicorn on a free
loopback port; with ``base_url`` the suite runs against a server that is already running.

Example:
    >>> result = evaluate(load_suite(Path("suite.jsonl")), settings)  # doctest: +SKIP
    >>> result.summary()["checks"]["contains_any"]  # doctest: +SKIP
    {'passed': 3, 'total': 5}

Evaluation machinery, not runtime: one runner (serve, replay, check), kept whole.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np

from assistant.evaluation.dialogues.checks import CheckResult, PIIIndex, TurnContext, expected_json, run_check
from assistant.evaluation.dialogues.suite import CHECK_KINDS, Dialogue, Suite

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.services import Services
    from assistant.store.db import Database

log = logging.getLogger(__name__)

#: ``progress(turns_done, turns_total, dialogue_id)`` after each turn.
Progress = Callable[[int, int, str], None]


@dataclass
class TurnRecord:
    """One customer message, the API's answer and the checks of that answer."""

    index: int  # 1-based, as the report shows it
    say: str
    result: dict[str, Any] | None = None
    error: str | None = None
    latency_ms: float | None = None
    own_customers: list[str] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def reply(self) -> str | None:
        value = (self.result or {}).get("text", (self.result or {}).get("reply"))
        return value if isinstance(value, str) else None

    @property
    def passed(self) -> bool:
        return self.error is None and all(c.passed for c in self.checks)


@dataclass
class DialogueRecord:
    id: str
    note: str
    signed_in: str | None
    line: int
    conversation_id: str | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    turns: list[TurnRecord] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Every check of every turn passed and no request failed."""
        return self.error is None and all(t.passed for t in self.turns)


@dataclass
class RunResult:
    suite: str
    target: str
    started_at: datetime
    finished_at: datetime
    dialogues: list[DialogueRecord]
    warnings: list[str] = field(default_factory=list)

    def checks(self) -> dict[str, dict[str, int]]:
        """passed/total per check kind (kinds the suite never uses are left out)."""
        counts: dict[str, dict[str, int]] = {}
        for d in self.dialogues:
            for t in d.turns:
                for c in t.checks:
                    entry = counts.setdefault(c.kind, {"passed": 0, "total": 0})
                    entry["total"] += 1
                    entry["passed"] += int(c.passed)
        return {k: counts[k] for k in CHECK_KINDS if k in counts}

    def latencies(self) -> list[float]:
        return [t.latency_ms for d in self.dialogues for t in d.turns if t.latency_ms is not None]

    def summary(self) -> dict[str, Any]:
        """The run as the documented JSON (checks, turns, dialogues, latency_ms, failures)."""
        checked = [t for d in self.dialogues for t in d.turns if t.checks]
        lat = self.latencies()
        failures = [
            {"dialogue": d.id, "turn": t.index, "check": c.kind, "expected": c.expected, "got": c.got}
            for d in self.dialogues
            for t in d.turns
            for c in t.checks
            if not c.passed
        ]
        return {
            "checks": self.checks(),
            "turns": {"passed": sum(t.passed for t in checked), "total": len(checked)},
            "dialogues": {"passed": sum(d.passed for d in self.dialogues), "total": len(self.dialogues)},
            "latency_ms": {
                "p50": round(float(np.percentile(lat, 50)), 1) if lat else None,
                "p95": round(float(np.percentile(lat, 95)), 1) if lat else None,
            },
            "failures": failures,
        }


# --- talking to the API ------------------------------------------------------------------------


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
        detail = body.get("detail", body) if isinstance(body, dict) else body
    except ValueError:
        detail = response.text[:300]
    return f"HTTP {response.status_code}: {detail}"


def _token_headers(created: Mapping[str, Any]) -> dict[str, str]:
    """Send back the conversation's ownership token, if the API issued one in the body.

    A token set as a cookie is sent back by the client's cookie jar on its own.
    """
    for key in ("conversation_token", "token", "access_token"):
        value = created.get(key)
        if isinstance(value, str) and value:
            return {"X-Conversation-Token": value}
    return {}


def identity_bodies(customer_id: str, settings: Settings | None) -> list[dict[str, Any]]:
    """The bodies that open a conversation as a signed-in customer, best first.

    First the shop-signed identity token (the shop vouches for the id) when the service layer
    can mint one with the configured secret; then the API's plain ``customer_id`` field, for a
    server that does not take identity tokens (it answers the first body with a 422).
    """
    bodies: list[dict[str, Any]] = []
    if settings is not None:
        from assistant.services.users import mint_identity_token

        bodies.append({"identity_token": mint_identity_token(settings, customer_id)})
    bodies.append({"customer_id": customer_id})
    return bodies


class _Conversation:
    """One conversation over HTTP; the client keeps its own cookies."""

    def __init__(
        self, base_url: str, timeout: float, create_bodies: list[dict[str, Any]], source_address: str | None = None
    ) -> None:
        transport = httpx.HTTPTransport(local_address=source_address) if source_address else None
        self.client = httpx.Client(base_url=base_url, timeout=timeout, follow_redirects=False, transport=transport)
        self.notes: list[str] = []
        for body in create_bodies or [{}]:
            response = self.client.post("/api/conversations", json=body)
            if response.status_code != 422:
                break
            self.notes.append(f"the server refused {sorted(body)}: {_detail(response)}")
        if response.status_code not in (200, 201):
            self.client.close()
            raise RuntimeError(f"could not open a conversation: {_detail(response)}")
        created = response.json()
        self.id = str(created["conversation_id"])
        self.client.headers.update(_token_headers(created))

    def send(self, text: str) -> tuple[dict[str, Any] | None, str | None, float]:
        started = time.perf_counter()
        try:
            response = self.client.post(f"/api/conversations/{self.id}/messages", json={"text": text})
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}", (time.perf_counter() - started) * 1000
        latency = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            return None, _detail(response), latency
        body = response.json()
        if not isinstance(body, dict):
            return None, f"unexpected reply body: {str(body)[:200]}", latency
        return body, None, latency

    def verified_customer(self, turn: Mapping[str, Any], db: Database | None) -> str | None:
        """Whom the conversation is verified as after the turn (turn field, API, else the store)."""
        for key in ("verified_customer_id", "verified_as"):
            value = turn.get(key)
            if isinstance(value, str) and value:
                return value
        try:
            response = self.client.get(f"/api/conversations/{self.id}")
            if response.status_code == 200:
                info = response.json()
                if info.get("verified_customer_id"):
                    return str(info["verified_customer_id"])
                if info.get("verified") is False:
                    return None
                if info.get("verified") and info.get("customer_id"):
                    return str(info["customer_id"])
        except (httpx.HTTPError, ValueError, AttributeError):
            pass
        # Verified, but the API does not say as whom (or cannot be asked): the store knows.
        if db is not None:
            from assistant.store.models import Conversation

            with db.session() as session:
                row = session.get(Conversation, self.id)
                return row.verified_customer_id if row is not None else None
        return None

    def close(self) -> None:
        self.client.close()


def run_dialogue(
    dialogue: Dialogue,
    base_url: str,
    *,
    pii: PIIIndex | None,
    settings: Settings | None = None,
    db: Database | None = None,
    timeout: float = 120.0,
    on_turn: Callable[[], None] | None = None,
    source_address: str | None = None,
) -> DialogueRecord:
    """Send each turn of ``dialogue`` in order, in one new conversation, and check each reply.

    ``source_address``: the local address to connect from (each dialogue is another customer,
    so the server's per-address throttles count each one apart, as they would real customers).
    """
    record = DialogueRecord(id=dialogue.id, note=dialogue.note, signed_in=dialogue.signed_in, line=dialogue.line)
    create = identity_bodies(dialogue.signed_in, settings) if dialogue.signed_in else [{}]
    try:
        conversation = _Conversation(base_url, timeout, create, source_address)
    except (RuntimeError, httpx.HTTPError, KeyError, ValueError) as exc:
        record.error = str(exc)
        for i, turn in enumerate(dialogue.turns, start=1):
            checks = [CheckResult(k, False, expected_json(v), record.error) for k, v in _checks(turn.expect)]
            record.turns.append(TurnRecord(index=i, say=turn.say, error=record.error, checks=checks))
            if on_turn:
                on_turn()
        return record
    record.conversation_id = conversation.id
    record.notes = conversation.notes
    try:
        for i, turn in enumerate(dialogue.turns, start=1):
            result, error, latency = conversation.send(turn.say)
            rec = TurnRecord(index=i, say=turn.say, result=result, error=error, latency_ms=round(latency, 1))
            own = {dialogue.signed_in} if dialogue.signed_in else set()
            if result is not None:
                verified = conversation.verified_customer(result, db)
                if verified:
                    own.add(verified)
            rec.own_customers = sorted(own)
            ctx = TurnContext(own_customers=frozenset(own), pii=pii)
            for kind, expected in _checks(turn.expect):
                if result is None:
                    rec.checks.append(CheckResult(kind, False, expected_json(expected), error or "no reply"))
                else:
                    rec.checks.append(run_check(kind, expected, result, ctx))
            record.turns.append(rec)
            if on_turn:
                on_turn()
    finally:
        conversation.close()
    return record


def _checks(expect: Any) -> list[tuple[str, Any]]:
    return list(expect.checks()) if expect is not None else []


def run_suite(
    suite: Suite,
    base_url: str,
    *,
    pii: PIIIndex | None,
    settings: Settings | None = None,
    db: Database | None = None,
    timeout: float = 120.0,
    progress: Progress | None = None,
    source_addresses: Iterator[str] | None = None,
) -> RunResult:
    """Run every dialogue of ``suite`` against the chat API at ``base_url``.

    ``source_addresses``: one local address per dialogue (see :func:`loopback_addresses`).
    """
    started = datetime.now(UTC)
    total = suite.turn_count
    done = 0
    records: list[DialogueRecord] = []
    for dialogue in suite.dialogues:

        def tick(dialogue_id: str = dialogue.id) -> None:
            nonlocal done
            done += 1
            if progress:
                progress(done, total, dialogue_id)

        source = next(source_addresses, None) if source_addresses is not None else None
        records.append(
            run_dialogue(
                dialogue,
                base_url,
                pii=pii,
                settings=settings,
                db=db,
                timeout=timeout,
                on_turn=tick,
                source_address=source,
            )
        )
    return RunResult(
        suite=suite.name, target=base_url, started_at=started, finished_at=datetime.now(UTC), dialogues=records
    )


# --- serving the app in-process -----------------------------------------------------------------


def loopback_addresses() -> Iterator[str] | None:
    """Distinct 127.x.y.z addresses from a random start, one per simulated customer.

    None where the system cannot send from loopback addresses other than 127.0.0.1 (macOS).
    """
    import random

    try:
        with socket.socket() as probe:
            probe.bind(("127.0.0.2", 0))
    except OSError:
        return None
    span = 250 * 256 * 254  # 127.1-250.0-255.1-254: never 127.0.0.1, the server's own
    start = random.randrange(span)

    def addresses() -> Iterator[str]:
        for i in range(span):
            n = (start + i) % span
            yield f"127.{1 + n // (256 * 254)}.{(n // 254) % 256}.{1 + n % 254}"

    return addresses()



def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_in_thread(app: Any, start_timeout: float = 120.0) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port in a thread; yield its base URL."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name="dialogue-eval-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError("the in-process API server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def build_api(services: Services) -> Any:
    """The JSON API app (no UI) on ``services``: the same routes a customer's browser calls."""
    import inspect

    from assistant.api.app import create_app

    # The API app alone; older versions of create_app mounted the UI unless told not to.
    options: dict[str, Any] = {"with_ui": False} if "with_ui" in inspect.signature(create_app).parameters else {}
    return create_app(services, **options)


def evaluate(
    suite: Suite,
    settings: Settings,
    *,
    url: str | None = None,
    services: Services | None = None,
    timeout: float = 120.0,
    progress: Progress | None = None,
) -> RunResult:
    """Run ``suite`` in-process on the configured stores (or ``services``), or against ``url``.

    The shop's customers and orders are read from the configured SQL store, to tell which names,
    emails, zips, addresses, order and tracking numbers are foreign to each conversation.
    """
    from assistant.store.db import Database

    db = services.db if services is not None else Database(settings)
    pii = load_pii(db)
    warnings: list[str] = []
    if pii is None:
        warnings.append("The shop's customers and orders could not be read from the configured store.")
    elif not len(pii):
        warnings.append("The configured store holds no customer: no_foreign_pii has nothing to compare with.")
    if url:
        base = url.rstrip("/")
        check_reachable(base, timeout)
        result = run_suite(suite, base, pii=pii, settings=settings, db=db, timeout=timeout, progress=progress)
        result.warnings = warnings
        return result
    if services is None:
        from assistant.services import Services

        services = Services.build(settings)
    with serve_in_thread(build_api(services)) as base_url:
        result = run_suite(
            suite,
            base_url,
            pii=pii,
            settings=settings,
            db=db,
            timeout=timeout,
            progress=progress,
            source_addresses=loopback_addresses(),
        )
    result.target = "in-process"
    result.warnings = warnings
    return result


def check_reachable(base_url: str, timeout: float) -> None:
    """Fail fast (RuntimeError) when nothing answers at ``base_url``, rather than fail every check."""
    try:
        httpx.get(f"{base_url}/healthz", timeout=min(timeout, 30.0))
    except httpx.HTTPError as exc:
        raise RuntimeError(f"no ShopAssist server answers at {base_url} ({type(exc).__name__}: {exc})") from None


def load_pii(db: Database) -> PIIIndex | None:
    """The shop's customers' identifying values; None when the store cannot be read."""
    try:
        return PIIIndex.from_db(db)
    except Exception as exc:  # a store without the tables: no_foreign_pii then fails, saying why
        log.warning("could not read customers and orders from the store: %s", exc)
        return None


def write_outputs(result: RunResult, out: Path | None, report: Path | None) -> None:
    """Write the JSON summary and/or the Markdown report."""
    import json

    from assistant.evaluation.dialogues.report import markdown_report

    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result.summary(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(markdown_report(result), encoding="utf-8")
