"""Sign-in throttles per account and per address, and per-client limits on opening conversations and
sending messages, over the JSON API (TestClient requests from chosen client addresses)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from assistant.api.app import create_app
from assistant.config import ConfigError, Settings, load_settings
from assistant.services import Services
from assistant.store.models import Conversation, Message
from assistant.users import add_user


def _client(services: Services, address: str) -> TestClient:
    return TestClient(create_app(services, warm=False), client=(address, 50000))


def _shop(settings: Settings, **update: Any) -> Services:
    svc = Services.build(settings.model_copy(update=update))
    add_user(svc.db, "ana", "agent-pass-123", "agent")
    return svc


def _login(client: TestClient, username: str, password: str) -> Any:
    return client.post("/api/auth/login", json={"username": username, "password": password})


# --- sign-in ---------------------------------------------------------------------------------------


def test_guesses_at_one_account_spread_over_addresses_stop(settings: Settings) -> None:
    svc = _shop(settings, login_rate_limit="3/minute", login_account_rate_limit="4/hour")
    for i in range(4):  # one guess from each of four addresses: the per-address count never fills
        assert _login(_client(svc, f"10.9.0.{i}"), "ana", f"guess-{i}").status_code == 401
    blocked = _login(_client(svc, "10.9.0.99"), "ana", "agent-pass-123")
    assert blocked.status_code == 429, blocked.text
    assert "Too many failed sign-ins" in blocked.json()["detail"]
    assert 0 < int(blocked.headers["Retry-After"]) <= 3601
    # Other accounts are not affected.
    add_user(svc.db, "bob", "agent-pass-456", "agent")
    assert _login(_client(svc, "10.9.0.99"), "bob", "agent-pass-456").status_code == 200


def test_an_unknown_account_is_answered_and_throttled_like_a_known_one(settings: Settings) -> None:
    svc = _shop(settings, login_rate_limit="3/minute", login_account_rate_limit="2/hour")
    answers = {}
    for name in ("ana", "nobody"):
        first = [_login(_client(svc, f"10.8.{n}.1"), name, "wrong-password") for n in range(2)]
        then = _login(_client(svc, "10.8.9.9"), name, "wrong-password")
        answers[name] = [(r.status_code, r.json()) for r in [*first, then]]
    assert answers["ana"] == answers["nobody"]
    assert [code for code, _ in answers["ana"]] == [401, 401, 429]


def test_one_address_spraying_many_accounts_stops(settings: Settings) -> None:
    svc = _shop(settings, login_rate_limit="3/minute", login_client_rate_limit="3/hour")
    sprayer = _client(svc, "10.7.0.1")
    for name in ("alice", "bert", "carla"):
        assert _login(sprayer, name, "Summer2026!").status_code == 401
    blocked = _login(sprayer, "ana", "agent-pass-123")
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    # The account's owner, elsewhere, signs in.
    assert _login(_client(svc, "10.7.0.2"), "ana", "agent-pass-123").status_code == 200


# --- conversations and messages --------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited(services: Services) -> Services:
    """The module's demo shop with small per-client limits."""
    security = services.settings.security.model_copy(
        update={"conversations_per_client": "3/hour", "messages_per_client": "2/minute"}
    )
    return Services.build(services.settings.model_copy(update={"security": security}))


def _open(client: TestClient) -> Any:
    return client.post("/api/conversations", json={})


def _count(svc: Services, model: Any) -> int:
    with svc.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_one_address_opens_a_limited_number_of_conversations(limited: Services) -> None:
    script = _client(limited, "10.6.0.1")
    for _ in range(3):
        assert _open(script).status_code == 201
    before = _count(limited, Conversation)
    refused = _open(script)
    assert refused.status_code == 429, refused.text
    assert "Too many new conversations" in refused.json()["detail"]
    assert 0 < int(refused.headers["Retry-After"]) <= 3601
    assert _count(limited, Conversation) == before  # nothing stored
    assert _open(_client(limited, "10.6.0.2")).status_code == 201  # another customer
    # Calls from inside the process (CLI, the dialogue runner's own services) carry no address: not limited.
    limited.chat.start()


def test_one_address_sends_a_limited_number_of_messages(limited: Services) -> None:
    script = _client(limited, "10.5.0.1")
    started = _open(script).json()
    head = {"X-Conversation-Token": started["conversation_token"]}
    send = f"/api/conversations/{started['conversation_id']}/messages"
    for text in ("hello", "How long does shipping take?"):
        assert script.post(send, json={"text": text}, headers=head).status_code == 200
    before = _count(limited, Message)
    for url in (send, send + "?stream=true"):
        refused = script.post(url, json={"text": "and to Canada?"}, headers=head)
        assert refused.status_code == 429, refused.text
        assert "faster than we can take them" in refused.json()["detail"]
        assert 0 < int(refused.headers["Retry-After"]) <= 61
    assert _count(limited, Message) == before
    # The same customer's address is what counts, not the conversation: a new one does not help.
    other = _open(script).json()
    refused = script.post(
        f"/api/conversations/{other['conversation_id']}/messages",
        json={"text": "hello"},
        headers={"X-Conversation-Token": other["conversation_token"]},
    )
    assert refused.status_code == 429


def test_rate_settings_are_checked_and_can_be_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPASSIST_SECURITY__MESSAGES_PER_CLIENT", "lots")
    with pytest.raises(ConfigError, match="SHOPASSIST_SECURITY__MESSAGES_PER_CLIENT"):
        load_settings()
    monkeypatch.setenv("SHOPASSIST_SECURITY__MESSAGES_PER_CLIENT", "OFF")
    monkeypatch.setenv("SHOPASSIST_LOGIN_ACCOUNT_RATE_LIMIT", "many")
    with pytest.raises(ConfigError, match="SHOPASSIST_LOGIN_ACCOUNT_RATE_LIMIT"):
        load_settings()
    monkeypatch.delenv("SHOPASSIST_LOGIN_ACCOUNT_RATE_LIMIT")
    assert load_settings().security.messages_per_client == "off"


def test_off_limits_nothing() -> None:
    from assistant.security.throttle import ClientRate

    rate = ClientRate("off", "memory://", "messages")
    assert all(rate.take("10.4.0.1") == 0 for _ in range(1000))


# --- clicks, feedback and recommendation reads ----------------------------------------------------------


@pytest.fixture(scope="module")
def reads_limited(services: Services) -> Services:
    """The module's demo shop with small per-client limits on clicks, feedback and recommendation reads."""
    return _two_a_minute(services, "clicks", "feedback", "recommendations")


def _two_a_minute(services: Services, *kinds: str) -> Services:
    """The module's demo shop where one address may make 2 requests a minute of each kind (messages unlimited)."""
    update = {"messages_per_client": "off", **{f"{kind}_per_client": "2/minute" for kind in kinds}}
    security = services.settings.security.model_copy(update=update)
    return Services.build(services.settings.model_copy(update={"security": security}))


def _conversation(client: TestClient) -> tuple[str, dict[str, str]]:
    started = _open(client).json()
    return started["conversation_id"], {"X-Conversation-Token": started["conversation_token"]}


def _refused(r: Any, words: str) -> None:
    assert r.status_code == 429, r.text
    assert words in r.json()["detail"], r.json()
    assert 0 < int(r.headers["Retry-After"]) <= 61


def test_one_address_records_a_limited_number_of_clicks(reads_limited: Services) -> None:
    from assistant.store.models import Event

    script = _client(reads_limited, "10.3.0.1")
    cid, head = _conversation(script)
    url = f"/api/conversations/{cid}/clicks"
    for _ in range(2):
        assert script.post(url, json={"product_id": "JP-001"}, headers=head).status_code == 200
    events = _count(reads_limited, Event)
    _refused(script.post(url, json={"product_id": "JP-001"}, headers=head), "opening products faster")
    assert _count(reads_limited, Event) == events  # nothing recorded
    # Across the address's conversations; another customer is unaffected.
    other, other_head = _conversation(script)
    assert (
        script.post(f"/api/conversations/{other}/clicks", json={"product_id": "JP-001"}, headers=other_head).status_code
        == 429
    )
    elsewhere = _client(reads_limited, "10.3.0.2")
    cid2, head2 = _conversation(elsewhere)
    assert (
        elsewhere.post(f"/api/conversations/{cid2}/clicks", json={"product_id": "JP-001"}, headers=head2).status_code
        == 200
    )


def test_one_address_reads_recommendations_a_limited_number_of_times(reads_limited: Services) -> None:
    from assistant.store.models import Impression

    script = _client(reads_limited, "10.3.1.1")
    cid, head = _conversation(script)
    url = f"/api/conversations/{cid}/recommendations"
    for _ in range(2):
        assert script.get(url, headers=head).status_code == 200
    shown = _count(reads_limited, Impression)
    _refused(script.get(url, headers=head), "recommendations faster")
    assert _count(reads_limited, Impression) == shown  # nothing recorded as shown


def test_one_address_gives_a_limited_amount_of_feedback(reads_limited: Services) -> None:
    from assistant.store.models import Feedback

    script = _client(reads_limited, "10.3.2.1")
    cid, head = _conversation(script)
    reply = script.post(
        f"/api/conversations/{cid}/messages", json={"text": "How long does shipping take?"}, headers=head
    ).json()
    body = {"conversation_id": cid, "message_id": reply["message_id"], "rating": 1}
    for _ in range(2):
        assert script.post("/api/feedback", json=body, headers=head).status_code == 200
    stored = _count(reads_limited, Feedback)
    _refused(script.post("/api/feedback", json=body, headers=head), "feedback faster")
    assert _count(reads_limited, Feedback) == stored


def test_the_read_limits_are_settings_with_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    sec = load_settings().security
    assert (sec.clicks_per_client, sec.feedback_per_client, sec.recommendations_per_client) == (
        "30/minute;600/hour",
        "30/minute;300/hour",
        "60/minute;1200/hour",
    )
    _checked_then_set(monkeypatch, "clicks", "recommendations")


def _checked_then_set(monkeypatch: pytest.MonkeyPatch, off: str, other: str) -> None:
    """A limit that is not in the limits syntax stops the start-up naming its variable; 'off' and another
    limit are taken as given."""
    variable = f"SHOPASSIST_SECURITY__{off.upper()}_PER_CLIENT"
    monkeypatch.setenv(variable, "many")
    with pytest.raises(ConfigError, match=variable):
        load_settings()
    monkeypatch.setenv(variable, "off")
    monkeypatch.setenv(f"SHOPASSIST_SECURITY__{other.upper()}_PER_CLIENT", "5/minute")
    sec = load_settings().security
    assert (getattr(sec, f"{off}_per_client"), getattr(sec, f"{other}_per_client")) == ("off", "5/minute")


# --- transcript reads, agent-message polls, handoff requests and searches ---------------------------------


@pytest.fixture(scope="module")
def polls_limited(services: Services) -> Services:
    """The module's demo shop with small per-client limits on transcript reads, polls, handoffs and searches."""
    return _two_a_minute(services, "transcripts", "agent_polls", "handoffs", "searches")


@pytest.mark.parametrize(
    ("path", "words"),
    [("", "reading this conversation faster"), ("/agent-messages", "checking for replies faster")],
)
def test_one_address_reads_a_conversation_a_limited_number_of_times(
    polls_limited: Services, path: str, words: str
) -> None:
    script = _client(polls_limited, f"10.3.3.{len(path)}")
    cid, head = _conversation(script)
    url = f"/api/conversations/{cid}{path}"
    for _ in range(2):
        assert script.get(url, headers=head).status_code == 200
    _refused(script.get(url, headers=head), words)
    # Across the address's conversations; another customer is unaffected; staff are not counted.
    other, other_head = _conversation(script)
    assert script.get(f"/api/conversations/{other}{path}", headers=other_head).status_code == 429
    elsewhere = _client(polls_limited, f"10.3.4.{len(path)}")
    assert elsewhere.get(url, headers=head).status_code == 200
    agent = _client(polls_limited, f"10.3.3.{len(path) + 100}")
    assert _login(agent, "ana", "agent-pass-123").status_code == 200
    assert all(agent.get(url).status_code == 200 for _ in range(4))


def test_one_address_asks_for_a_person_a_limited_number_of_times(polls_limited: Services) -> None:
    from assistant.store.models import Draft

    script = _client(polls_limited, "10.3.5.1")
    for _ in range(2):
        cid, head = _conversation(script)
        assert script.post(f"/api/conversations/{cid}/handoff", json={}, headers=head).status_code == 200
    cid, head = _conversation(script)
    drafts = _count(polls_limited, Draft)
    _refused(script.post(f"/api/conversations/{cid}/handoff", json={}, headers=head), "asking for a person faster")
    assert _count(polls_limited, Draft) == drafts  # nothing queued
    with polls_limited.db.session() as s:
        assert s.get(Conversation, cid).status == "open"  # type: ignore[union-attr]
    assert (
        _client(polls_limited, "10.3.5.2").post(f"/api/conversations/{cid}/handoff", json={}, headers=head).status_code
        == 200
    )  # another address


def test_one_address_searches_a_limited_number_of_times(polls_limited: Services) -> None:
    script = _client(polls_limited, "10.3.6.1")
    for _ in range(2):
        r = script.get("/api/search", params={"q": "warm jacket"})
        assert r.status_code == 200 and r.json()["hits"], r.text
    _refused(script.get("/api/search", params={"q": "warm jacket"}), "searching faster")
    cid, head = _conversation(script)  # within a conversation it counts the same
    _refused(script.get("/api/search", params={"q": "tent", "conversation_id": cid}, headers=head), "searching faster")
    assert _client(polls_limited, "10.3.6.2").get("/api/search", params={"q": "tent"}).status_code == 200
    # An empty query is still a 422 naming the field, not a 500.
    assert _client(polls_limited, "10.3.6.3").get("/api/search", params={"q": " "}).status_code == 422


def test_the_poll_and_search_limits_are_settings_that_let_open_pages_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    from limits import parse_many

    from ui.customer import POLL_SECONDS

    sec = load_settings().security
    assert (
        sec.transcripts_per_client,
        sec.agent_polls_per_client,
        sec.handoffs_per_client,
        sec.searches_per_client,
    ) == ("60/minute;1200/hour", "120/minute;7200/hour", "10/minute;60/hour", "60/minute;1200/hour")
    # Four chat pages open at one address (a family, a small office) poll for a whole hour without a 429.
    page_polls = {"minute": 60 / POLL_SECONDS, "hour": 3600 / POLL_SECONDS}
    for limit in parse_many(sec.agent_polls_per_client):
        assert limit.amount / limit.multiples >= 4 * page_polls[limit.GRANULARITY.name], limit
    _checked_then_set(monkeypatch, "agent_polls", "searches")
