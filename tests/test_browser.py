"""The web chat in a real browser: Debian's chromium driven by Playwright (no downloaded browser)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.launcher import Stack

pytestmark = [pytest.mark.stack, pytest.mark.browser]

EXIT_URL = "https://www.weather.gov/"


@pytest.fixture
def page(browser, stack: Stack):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    # The neutral exit site is outside this machine's reach: answer it locally so the test stays offline.
    page.route(EXIT_URL + "**", lambda route: route.fulfill(status=200, content_type="text/html",
                                                            body="<title>Weather</title>neutral"))
    page.goto(stack.url + "/")
    yield page
    context.close()


def _send(page, text: str) -> None:
    page.fill("#text", text)
    page.keyboard.press("Enter")


def test_chat_shows_shelter_cards_near_east_oakland(page, tmp_path: Path) -> None:
    assert page.is_visible("#quick-exit")
    _send(page, "need somewhere safe to sleep tonight im in east oakland, im 16")
    page.wait_for_selector(".card", timeout=15_000)
    categories = page.eval_on_selector_all(".card", "cards => cards.map(c => c.dataset.category)")
    assert categories and set(categories) == {"shelter"}
    assert "East Oakland" in page.inner_text("#log")
    assert page.is_visible("text=Talk to a person")
    page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)


def test_buttons_send_their_payload_and_show_their_title(page) -> None:
    _send(page, "hi")
    page.get_by_role("button", name="Somewhere to stay").wait_for(timeout=15_000)
    page.get_by_role("button", name="Food", exact=True).click()
    page.wait_for_selector("text=Where are you", timeout=15_000)
    assert "find_resource" not in page.inner_text("#log")
    _send(page, "fresno")
    page.wait_for_selector(".card", timeout=15_000)
    categories = page.eval_on_selector_all(".card", "cards => cards.map(c => c.dataset.category)")
    assert set(categories) == {"food"}


def test_quick_exit_clears_the_chat_and_leaves(page) -> None:
    _send(page, "hi")
    page.wait_for_selector(".msg.bot >> nth=1", timeout=15_000)
    page.click("#quick-exit")
    page.wait_for_url(EXIT_URL + "**", timeout=5_000)
    assert "Help Chat" not in page.content()
    # Nothing of the conversation may be left in the browser's storage.
    assert page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]") == [0, 0, ""]


def test_a_message_whose_answer_was_lost_is_sent_again_and_stored_once(page, stack: Stack) -> None:
    """The first answer never reaches the phone (the connection drops after the server stored the message):
    the page sends the same message again and shows the replies; the server keeps one copy."""
    from tests.db import query

    marker = "kvtrwqmarker"
    attempts: list[str] = []

    def drop_first_answer(route) -> None:
        attempts.append(route.request.post_data or "")
        if len(attempts) == 1:
            route.fetch()  # the server gets it and answers …
            route.abort("connectionreset")  # … but the answer is lost on the way
        else:
            route.continue_()

    page.route("**/api/conversations/*/messages", drop_first_answer)
    _send(page, f"i need food in fresno {marker}")
    page.wait_for_selector(".card", timeout=20_000)
    assert len(attempts) == 2 and attempts[0] == attempts[1]  # the same key both times
    rows = query(stack, "SELECT COUNT(*) FROM message WHERE sender = 'user' AND text LIKE ?", [f"%{marker}%"])
    assert rows[0][0] == 1
