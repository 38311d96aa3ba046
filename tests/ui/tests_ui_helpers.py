"""Page helpers of the browser suite (a module, not a conftest, so tests import them by name)."""

from __future__ import annotations

from typing import Any

TURN_TIMEOUT_MS = 90_000
OPEN_CONTEXTS: list[Any] = []


def new_page(browser: Any, url: str, viewport: dict[str, int] | None = None, ready: str = "#message textarea") -> Any:
    """A page in a fresh context (own cookies, so a customer never carries an agent's session)."""
    ctx = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
    OPEN_CONTEXTS.append(ctx)  # closed after each test, so idle pages stop polling the server
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    page.locator(ready).first.wait_for()
    return page


def bot_texts(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("#chat .bot.message").all_inner_texts()]


def ask(page: Any, text: str) -> str:
    """Send a chat message and return the assistant's finished reply."""
    before = (page.locator("#turn-done").text_content() or "").strip()
    n_before = page.locator("#chat .bot.message").count()
    page.locator("#message textarea").fill(text)
    page.locator("#send").click()
    page.wait_for_function(
        """(before) => {
            const t = (document.querySelector('#turn-done')?.textContent || '').trim();
            return t !== before && /^[0-9a-f]{32}$/.test(t);
        }""",
        arg=before,
        timeout=TURN_TIMEOUT_MS,
    )
    page.wait_for_function(
        "(n) => document.querySelectorAll('#chat .bot.message').length > n", arg=n_before, timeout=10_000
    )
    replies = bot_texts(page)
    return replies[-1]


def card_names(page: Any) -> list[str]:
    names = []
    for i in range(5):
        slot = page.locator(f"#rec-{i}")
        if slot.is_visible():
            names.append(page.locator(f"#rec-card-{i} .sa-card-name").inner_text().strip())
    return names


def pick_customer(page: Any, customer_id: str) -> None:
    """Use the demo picker (simulated login) to act as a known customer."""
    picker = page.locator("#customer-picker input")
    picker.click()
    picker.fill(customer_id)
    page.get_by_role("option").filter(has_text=customer_id).first.click()
    # Picking resets the chat and shows cards from the customer's history; wait for that to land.
    page.locator("#rec-0").wait_for(timeout=30_000)


def login(page: Any, area: str, username: str, password: str, expect_area: bool = True) -> None:
    page.locator(f"#{area}-username input").fill(username)
    page.locator(f"#{area}-password input").fill(password)
    page.locator(f"#{area}-signin-button").click()
    if expect_area:
        page.locator(f"#{area}-area").wait_for(timeout=20_000)


def no_trace(page: Any) -> None:
    """No Python stack trace ever reaches the browser."""
    body = page.content()
    assert "Traceback (most recent call last)" not in body
    assert 'File "/' not in body
