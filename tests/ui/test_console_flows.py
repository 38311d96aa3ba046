"""Issue 14: the agent console and customer chat flows, in a real Chromium against the real app.

Each test names the defect it guards. Screenshots go to ``artifacts/screenshots/`` (see conftest).
"""

from __future__ import annotations

import re
import time
import urllib.request
from typing import Any

import pytest
from tests_ui_helpers import OPEN_CONTEXTS, ask, login, new_page, no_trace, pick_customer

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def agent_page(browser: Any, url: str, viewport: dict[str, int] | None = None) -> Any:
    page = new_page(browser, url + "/agent", viewport=viewport or DESKTOP, ready="#agent-signin, #agent-area")
    login(page, "agent", "ana", "agent-pass-123", expect_area=False)
    page.locator("#agent-area").wait_for(timeout=60_000)  # the queue is read first; slow on a loaded machine
    return page


def queue_entry(agent: Any, text: str) -> Any:
    """The queue entry containing ``text``, refreshing until it appears."""
    entry = agent.locator("#agent-queue label").filter(has_text=text)
    deadline = time.monotonic() + 30
    while not entry.count() and time.monotonic() < deadline:
        agent.locator("#agent-refresh").click()
        agent.wait_for_timeout(1500)
    assert entry.count(), agent.locator("#agent-queue").inner_text()
    return entry.first


def in_viewport(page: Any, selector: str, settle_ms: int = 10_000) -> bool:
    """Whether the element lies wholly inside the window (waiting up to ``settle_ms`` for the layout to settle)."""
    deadline = time.monotonic() + settle_ms / 1000
    while not _in_viewport(page, selector) and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    return _in_viewport(page, selector)


def _in_viewport(page: Any, selector: str) -> bool:
    return bool(page.evaluate(
        """(sel) => { const e = document.querySelector(sel); if (!e) return false;
            const r = e.getBoundingClientRect();
            return r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight + 1; }""",
        selector,
    ))


def hand_off(customer: Any) -> None:
    customer.locator("#handoff").click()
    customer.locator("#chat-status").get_by_text(re.compile("team member|member of our team")).wait_for(
        timeout=20_000
    )


def customer_asking(browser: Any, url: str, customer_id: str, question: str, *, handoff: bool = True,
                    viewport: dict[str, int] | None = None) -> Any:
    """The chat page of ``customer_id`` (demo picker), who asked ``question`` and, with ``handoff``,
    then pressed "Talk to a human"."""
    customer = new_page(browser, url, viewport=viewport or DESKTOP)
    pick_customer(customer, customer_id)
    ask(customer, question)
    if handoff:
        hand_off(customer)
    return customer


def shows(agent: Any, selector: str, text: str, timeout: int = 20_000) -> None:
    """Wait until the console element ``selector`` shows ``text`` (a substring)."""
    agent.locator(selector).get_by_text(text, exact=False).first.wait_for(timeout=timeout)


# --- 1. separate entrances ------------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_customers_see_only_the_chat_and_staff_have_their_own_entrances(
    live_app: Any, browser: Any, shot: Any, viewport: dict[str, int]
) -> None:
    page = new_page(browser, live_app.url, viewport=viewport)
    body = page.content()
    for foreign in ("agent-signin", "admin-signin", "agent-queue", "Agent console", "tab-admin", "admin-files"):
        assert foreign not in body, foreign
    assert not page.get_by_role("tab").count()
    # The main controls are visible without scrolling.
    for sel in ("#message textarea", "#send", "#handoff", "#restart", "#chat-status", "#char-count"):
        assert in_viewport(page, sel), sel
    shot(page, "1-customer-page", full_page=False)
    agent = new_page(browser, live_app.url + "/agent", viewport=viewport, ready="#agent-signin")
    assert not agent.locator("#message").count() and not agent.locator("#chat").count()
    admin = new_page(browser, live_app.url + "/admin", viewport=viewport, ready="#admin-signin")
    assert not admin.locator("#agent-signin").count()
    old = new_page(browser, live_app.url + "/?tab=agent", viewport=viewport, ready="#agent-signin")
    assert old.url.rstrip("/").endswith("/agent"), old.url
    login(agent, "agent", "ana", "agent-pass-123")
    agent.locator("#agent-waiting").get_by_text("Waiting now", exact=False).wait_for(timeout=20_000)
    assert in_viewport(agent, "#agent-queue") and in_viewport(agent, "#agent-refresh")
    overflow = agent.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the console scrolls sideways by {overflow}px"
    shot(agent, "2-agent-console", full_page=False)


def test_a_first_load_answered_after_sign_in_leaves_the_console_shown(live_app: Any, browser: Any, shot: Any) -> None:
    """The page's first load, sent before the agent signed in, is answered only after sign-in has
    shown the console (a slow server): its session-less answer must not hide the console again
    (the fix of 2bd4e82; before it, the late answer laid the sign-in form back over the console)."""
    ctx = browser.new_context(viewport=DESKTOP)
    OPEN_CONTEXTS.append(ctx)
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    held: list[tuple[Any, dict[str, str]]] = []

    def hold_the_first_event(route: Any) -> None:
        if held:
            route.continue_()
        else:  # the page's load event; its headers as sent, i.e. without the session cookie
            held.append((route, route.request.all_headers()))

    page.route("**/gradio_api/queue/join*", hold_the_first_event)
    page.goto(live_app.url + "/agent")
    page.locator("#agent-signin").wait_for()
    deadline = time.monotonic() + 30
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert held, "the page sent no load event"
    route, headers = held[0]
    from assistant.services.users import SESSION_COOKIE

    assert SESSION_COOKIE not in headers.get("cookie", ""), headers.get("cookie")
    login(page, "agent", "ana", "agent-pass-123")
    page.locator("#agent-queue").wait_for(timeout=30_000)
    with page.expect_response("**/gradio_api/queue/join*") as answered:
        # Sent as it was made, before sign-in: the browser would add the cookie it holds now.
        # It keeps the browser's own cookie (ui/browser_sessions.py: the page's session answers only the
        # browser that opened it) and, as when it was made, carries no sign-in session.
        cookies = [c.strip() for c in headers.get("cookie", "").split(";") if c.strip()]
        kept = "; ".join(c for c in cookies if not c.startswith(SESSION_COOKIE))
        sent = urllib.request.Request(
            route.request.url,
            data=(route.request.post_data or "").encode(),
            headers={
                **{k: v for k, v in headers.items() if k.lower() not in ("cookie", "host", "content-length")},
                **({"Cookie": kept} if kept else {}),
            },
            method="POST",
        )
        with urllib.request.urlopen(sent, timeout=30) as reply:
            route.fulfill(status=reply.status, headers=dict(reply.headers), body=reply.read())
    assert answered.value.ok, answered.value.status
    page.wait_for_timeout(3_000)  # the late answer streams back and is applied, or not
    assert page.locator("#agent-area").is_visible()
    assert not page.locator("#agent-signin").is_visible()
    shot(page, "1-console-still-shown-after-the-late-first-load", full_page=False)
    no_trace(page)


# --- 2. agent console -------------------------------------------------------------------------------------


def test_approve_and_send_sends_exactly_the_editors_text(live_app: Any, browser: Any, shot: Any) -> None:
    customer = customer_asking(browser, live_app.url, "C004", "My Ember wool hat arrived with a hole in it, what now?")
    agent = agent_page(browser, live_app.url)
    # The role message is only shown when it is true: a signed-in agent never sees "please sign in".
    assert "Please sign in" not in agent.locator("#agent-area").inner_text()
    queue_entry(agent, "hole in it").click()
    agent.locator("#agent-transcript").get_by_text("hole in it", exact=False).first.wait_for(timeout=20_000)
    header = agent.locator("#agent-header").inner_text()
    assert "C004" not in header.split("\n")[0] and re.search(r"[A-Z][a-z]+ [A-Z]", header), header
    edited = "Hi, Ana here: I am sorry about the hat. A replacement ships today, no need to send it back."
    agent.locator("#agent-draft textarea").fill(edited)
    agent.locator("#agent-approve").click()
    shows(agent, "#agent-result", "sent")
    shot(agent, "1-approved-edited-draft")
    customer.bring_to_front()
    bubble = customer.locator("#chat .message").filter(has_text="A replacement ships today")
    bubble.first.wait_for(timeout=20_000)
    text = bubble.last.inner_text()
    assert "Ana" in text and "our team" in text, text
    from assistant.store.models import Message

    with live_app.services.db.session() as s:
        sent = [m.text for m in s.query(Message).filter(Message.role == "agent").all()]
    assert edited in sent
    # It was answered: it leaves the waiting queue and is listed under "Replied".
    agent.locator("#agent-refresh").click()
    agent.wait_for_timeout(1500)
    assert not agent.locator("#agent-queue label").filter(has_text="hole in it").count()
    agent.locator("#agent-view label").filter(has_text="Replied").click()
    queue_entry(agent, "hole in it")
    shot(customer, "2-customer-sees-the-edited-text-in-an-agent-bubble")
    no_trace(agent)
    no_trace(customer)


def test_cancellation_goes_from_the_queue_to_an_updated_order_and_a_notified_customer(
    live_app: Any, browser: Any, shot: Any
) -> None:
    from assistant.store.models import Draft, Order

    # Ravi Kulkarni, order #JP1054 is processing
    customer = customer_asking(browser, live_app.url, "C018", "Please cancel my order #JP1054", handoff=False)
    agent = agent_page(browser, live_app.url)
    agent.locator("#agent-waiting").get_by_text("to decide", exact=False).wait_for(timeout=20_000)
    entry = queue_entry(agent, "Cancel order #JP1054")
    label = entry.inner_text()
    assert "Ravi Kulkarni" in label and re.search(r"waiting (<1|\d+) min", label), label
    assert re.search(r"\*\*?[1-9]\d*\*?\*? drafts? or order actions?|[1-9]\d* drafts? or order action",
                     agent.locator("#agent-waiting").inner_text()), agent.locator("#agent-waiting").inner_text()
    entry.click()
    box = agent.locator("#agent-action-info")
    box.get_by_text("#JP1054").first.wait_for(timeout=20_000)
    assert "processing" in box.inner_text()
    shot(agent, "1-order-action-in-the-console")
    agent.locator("#agent-action-approve").click()
    shows(agent, "#agent-result", "Applied to the order")
    with live_app.services.db.session() as s:
        assert s.get(Order, "#JP1054").status == "cancelled"
        decided = s.query(Draft).filter(Draft.kind == "order_action", Draft.reviewer == "ana").all()
    assert decided and decided[-1].status == "approved"
    customer.bring_to_front()
    customer.locator("#chat .message").filter(has_text="cancelled").filter(has_text="Ana").first.wait_for(
        timeout=20_000
    )
    shot(customer, "2-customer-told-the-order-is-cancelled")
    shot(agent, "3-console-after-approval")
    no_trace(agent)


def test_an_order_that_shipped_meanwhile_cannot_be_cancelled_and_the_rejection_reason_reaches_the_customer(
    live_app: Any, browser: Any, shot: Any
) -> None:
    from assistant.store.models import Order

    # Jin-woo Park, #JP1057 is processing
    customer = customer_asking(browser, live_app.url, "C010", "Please cancel my order #JP1057", handoff=False)
    agent = agent_page(browser, live_app.url)
    queue_entry(agent, "Cancel order #JP1057").click()
    agent.locator("#agent-action-info").get_by_text("#JP1057").first.wait_for(timeout=20_000)
    with live_app.services.db.session() as s:  # the warehouse ships it while the agent reads
        s.get(Order, "#JP1057").status = "shipped"
    agent.locator("#agent-action-approve").click()
    shows(agent, "#agent-result", "Not applied")
    assert "shipped" in agent.locator("#agent-result").inner_text()
    assert "Now: Order #JP1057 is now shipped" in agent.locator("#agent-action-info").inner_text()
    with live_app.services.db.session() as s:
        assert s.get(Order, "#JP1057").status == "shipped"
    shot(agent, "1-policy-re-checked-refuses")
    reason = "It left our warehouse this morning; you can refuse the delivery for a full refund."
    agent.locator("#agent-action-reason textarea").fill(reason)
    agent.locator("#agent-action-reject").click()
    shows(agent, "#agent-result", "Rejected; the customer was told")
    customer.bring_to_front()
    customer.locator("#chat").get_by_text("refuse the delivery", exact=False).first.wait_for(timeout=20_000)
    shot(customer, "2-customer-gets-the-reason")


def test_queue_claim_resolve_reopen_and_switching_clears_the_previous_fields(
    live_app: Any, browser: Any, shot: Any
) -> None:
    customer_asking(browser, live_app.url, "C002", "Do you ship trail shoes to Canada?")
    customer_asking(browser, live_app.url, "C012", "Can I pay with a gift card for the camp stove?")

    agent = agent_page(browser, live_app.url)
    a = queue_entry(agent, "Canada")
    assert "Daniel Reyes" in a.inner_text() and "unclaimed" in a.inner_text()
    labels = agent.locator("#agent-queue label").all_inner_texts()
    minutes = [int(m.group(1)) if m.group(1) != "<1" else 0
               for m in (re.search(r"waiting (<1|\d+)", t) for t in labels) if m]
    assert minutes == sorted(minutes, reverse=True), labels  # longest wait first
    a.click()
    shows(agent, "#agent-header", "Daniel Reyes")
    agent.locator("#agent-reason textarea").fill("left over from Daniel")
    agent.locator("#agent-claim").click()
    shows(agent, "#agent-result", "You claimed")
    assert "claimed by ana" in queue_entry(agent, "Canada").inner_text()
    # Switching customers shows the other one's data and clears every field of the first.
    queue_entry(agent, "gift card").click()
    shows(agent, "#agent-header", "Ethan Walker")
    assert agent.locator("#agent-reason textarea").input_value() == ""
    assert agent.locator("#agent-result").inner_text().strip() == ""
    assert "trail shoes" not in agent.locator("#agent-transcript").inner_text()
    shot(agent, "1-switched-fields-cleared")
    # Refresh keeps showing the selected conversation, re-read.
    agent.locator("#agent-refresh").click()
    agent.wait_for_timeout(2000)
    assert "Ethan Walker" in agent.locator("#agent-header").inner_text()
    agent.locator("#agent-resolve").click()
    shows(agent, "#agent-result", "Resolved")
    assert not agent.locator("#agent-queue label").filter(has_text="gift card").count()
    agent.locator("#agent-view label").filter(has_text="Resolved").click()
    queue_entry(agent, "gift card").click()
    shows(agent, "#agent-header", "Ethan Walker")
    agent.locator("#agent-reopen").click()
    shows(agent, "#agent-result", "Reopened")
    agent.locator("#agent-view label").filter(has_text="Waiting").click()
    assert "claimed by ana" in queue_entry(agent, "gift card").inner_text()
    shot(agent, "2-reopened-and-claimed")
    no_trace(agent)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_suggestion_reaches_the_customer_as_a_product_card_with_the_agents_note(
    live_app: Any, browser: Any, shot: Any, viewport: dict[str, int]
) -> None:
    customer = customer_asking(browser, live_app.url, "C005",
                               "I need a warm blanket for the cabin, can someone help me choose?", viewport=viewport)
    agent = agent_page(browser, live_app.url)
    queue_entry(agent, "warm blanket").click()
    options = agent.locator("#agent-suggestions label")
    options.first.wait_for(timeout=30_000)
    name = options.first.inner_text().split(" $")[0].strip()
    options.first.click()
    note = "This one is my favourite for cold nights."
    agent.locator("#agent-sugg-note textarea").fill(note)
    agent.locator("#agent-sugg-accept").click()
    shows(agent, "#agent-result", "Suggestion sent")
    customer.bring_to_front()
    card = customer.locator("#chat .sa-msg-card").filter(has_text=name)
    card.first.wait_for(timeout=20_000)
    bubble = customer.locator("#chat .message").filter(has_text=note).last
    text = bubble.inner_text()
    assert "Ana" in text and "$" in text, text
    assert "Our team thinks" not in customer.locator("#chat").inner_text()
    assert "Because you" not in text
    loaded = customer.evaluate("() => [...document.querySelectorAll('#chat .sa-msg-card img')]"
                               ".every(i => i.complete && i.naturalWidth > 0)")
    assert loaded
    card.first.scroll_into_view_if_needed()
    shot(customer, "1-suggestion-card-with-note", full_page=False)


# --- 3. customer chat -------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_citations_open_their_source_and_markdown_renders(
    live_app: Any, browser: Any, shot: Any, viewport: dict[str, int]
) -> None:
    page = new_page(browser, live_app.url, viewport=viewport)
    ask(page, "How long do I have to return boots that don't fit?")
    last = page.locator("#chat .bot.message").last
    cite = last.locator("a.sa-cite").first
    cite.wait_for(timeout=10_000)
    n = (cite.get_attribute("href") or "").split("sa-src-")[-1]
    assert n.isdigit(), cite.get_attribute("href")
    assert not last.locator("details.sa-sources").first.evaluate("d => d.open")
    cite.click()
    source = last.locator(f"[id='sa-src-{n}']")
    source.wait_for(state="visible", timeout=5_000)
    assert "sa-src-hit" in (source.get_attribute("class") or "")
    sources = last.locator(".sa-sources").inner_text()
    assert "**" not in sources, sources
    shot(page, "1-citation-opened", full_page=False)
    no_trace(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_counter_and_error_sit_by_the_input_and_trash_forgets_the_identity_check(
    live_app: Any, browser: Any, shot: Any, viewport: dict[str, int]
) -> None:
    page = new_page(browser, live_app.url, viewport=viewport)
    page.locator("#message textarea").fill("x" * 4001)
    page.locator("#char-count").get_by_text("4,001 / 4,000").wait_for(timeout=5_000)
    page.locator("#send").click()
    page.locator("#chat-status").get_by_text("under 4,000 characters").wait_for(timeout=20_000)
    assert in_viewport(page, "#chat-status") and in_viewport(page, "#char-count")
    shot(page, "1-too-long-error-by-the-input", full_page=False)

    first = ask(page, "Where is my order #JP1001?")
    assert re.search(r"email|zip|verify|confirm", first, re.I), first
    answer = ask(page, "My email is mei.lin@example.com and my zip code is 94610")
    assert "JP1001" in answer or "delivered" in answer.lower(), answer
    # The trash icon starts a new conversation: the identity check is forgotten.
    page.locator("#chat button[aria-label='Clear']").click()
    page.locator("#chat-status").get_by_text("New conversation started").wait_for(timeout=20_000)
    assert page.locator("#chat .message").count() == 0
    again = ask(page, "Where is my order?")
    assert re.search(r"email|zip|verify|confirm", again, re.I) and "JP1001" not in again, again
    assert "New conversation started" not in page.locator("#chat-status").inner_text()  # the turn cleared it
    page.locator("#restart").click()
    page.locator("#chat-status").get_by_text("New conversation started").wait_for(timeout=20_000)
    assert page.locator("#chat .message").count() == 0
    shot(page, "2-after-trash-asks-again", full_page=False)
    no_trace(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_product_cards_show_image_price_and_details_next_to_the_clicked_card(
    live_app: Any, browser: Any, shot: Any, viewport: dict[str, int]
) -> None:
    page = new_page(browser, live_app.url, viewport=viewport)
    pick_customer(page, "C001")
    card = page.locator("#rec-card-1")
    card.locator("img").wait_for(timeout=20_000)
    assert "$" in card.inner_text()
    page.wait_for_function("() => { const i = document.querySelector('#rec-card-1 img');"
                           " return i && i.complete && i.naturalWidth > 0; }", timeout=15_000)
    name = card.locator(".sa-card-name").inner_text()
    page.locator("#rec-btn-1").click()
    details = page.locator("#rec-1 #rec-details-1")
    details.locator("h3").wait_for(timeout=20_000)
    assert name in details.inner_text()
    assert page.locator("#rec-card-1 .sa-card-name").inner_text() == name
    assert not page.locator("#rec-details-0").is_visible()
    details.scroll_into_view_if_needed()
    shot(page, "1-details-under-the-clicked-card", full_page=False)
