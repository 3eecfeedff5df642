"""Spanish in real browsers (Debian's chromium through Playwright): a youth who writes in Spanish gets Spanish
replies, Spanish resource cards and a Spanish page around them; the advocate desk shows the conversation's
language, and the advocate's own words reach the youth as written."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from bot.launcher import Stack
from tests.conftest import advocate_at_desk

pytestmark = [pytest.mark.stack, pytest.mark.browser]

ENGLISH_CARD_WORDS = re.compile(r"\b(Call|Text|Open now|Opens|Closed now|mi away|checked|source|Website|"
                                r"Call for hours|address shared|Place to stay)\b")


def _page(browser: Any, stack: Stack, locale: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale=locale)
    page = context.new_page()
    page.goto(stack.url + "/")
    yield page
    context.close()


@pytest.fixture
def spanish_browser(browser: Any, stack: Stack) -> Iterator[Any]:
    yield from _page(browser, stack, "es-MX")


@pytest.fixture
def english_browser(browser: Any, stack: Stack) -> Iterator[Any]:
    yield from _page(browser, stack, "en-US")


def _send(page: Any, text: str) -> None:
    page.fill("#text", text)
    page.keyboard.press("Enter")


def _bot_count(page: Any) -> int:
    return page.locator(".msg.bot").count()


def _send_and_wait(page: Any, text: str) -> None:
    before = _bot_count(page)
    _send(page, text)
    page.wait_for_function("n => document.querySelectorAll('.msg.bot').length > n", arg=before, timeout=15_000)


def test_spanish_youth_gets_spanish_replies_and_cards(spanish_browser: Any) -> None:
    page = spanish_browser
    # A Spanish browser: the page speaks Spanish before anything is typed.
    assert page.inner_text("#quick-exit") == "Salida rápida"
    assert page.get_attribute("#text", "placeholder") == "Escribe un mensaje…"
    assert page.get_attribute("html", "lang") == "es"
    assert page.inner_text(".msg.bot").startswith("Hola. Te puedo ayudar")
    assert "persona" in page.inner_text("#hint")

    _send(page, "necesito un lugar seguro para dormir esta noche, estoy en east oakland, tengo 16")
    page.wait_for_selector(".card", timeout=15_000)
    replies = "\n".join(page.locator(".msg.bot").all_inner_texts()[1:])  # after the greeting
    assert "East Oakland" in replies and "Escribe \"más\" para ver otras opciones" in replies, replies
    assert page.is_visible("text=Hablar con una persona")

    cards = page.locator(".card").all_inner_texts()
    assert cards and all(not ENGLISH_CARD_WORDS.search(card) for card in cards), cards
    categories = page.eval_on_selector_all(".card", "cards => cards.map(c => c.dataset.category)")
    assert set(categories) == {"shelter"}
    metas = page.locator(".card .meta").all_inner_texts()
    assert all("Lugar para quedarte" in m and "revisado" in m and "fuente" in m for m in metas), metas
    assert any(re.search(r"a \d+\.\d millas", m) for m in metas), metas
    # Every card says how to reach it and when, in Spanish: a call link or the hours/status line.
    reach = page.locator(".card .contact a").all_inner_texts()
    assert all(r.startswith(("Llamar al", "Mandar texto al", "Sitio web")) for r in reach), reach
    statuses = " ".join(page.locator(".card .status").all_inner_texts())
    assert re.search(r"Abierto|Abre|Cerrado|Llama para saber el horario|lun|mar|mié|jue|vie|sáb|dom|Todos",
                     statuses), statuses


def test_page_follows_the_conversation_language_both_ways(english_browser: Any) -> None:
    page = english_browser
    assert page.inner_text("#quick-exit") == "Quick exit"
    assert page.get_attribute("html", "lang") == "en"
    _send_and_wait(page, "hola, necesito comida cerca de 95823")
    page.wait_for_selector("html[lang=es]", timeout=5_000)
    assert page.inner_text("#quick-exit") == "Salida rápida"
    assert page.get_attribute("#text", "placeholder") == "Escribe un mensaje…"
    assert page.inner_text("#send") == "Enviar"
    _send_and_wait(page, "english please")
    page.wait_for_selector("html[lang=en]", timeout=5_000)
    assert page.inner_text("#quick-exit") == "Quick exit"
    assert page.inner_text("#send") == "Send"


def test_spanish_erase_question_has_spanish_buttons(spanish_browser: Any) -> None:
    page = spanish_browser
    _send_and_wait(page, "hola, necesito comida en fresno")
    _send_and_wait(page, "borra mis mensajes")
    assert "¿Quieres que borre toda esta conversación?" in page.locator(".msg.bot").last.inner_text()
    page.get_by_role("button", name="No, déjala").click()
    page.wait_for_selector(".msg.bot >> text=Va, no se borró nada.", timeout=15_000)


@pytest.fixture
def advocate(browser: Any, stack: Stack) -> Iterator[Any]:
    with advocate_at_desk(browser, stack, "browser-lucia") as page:
        yield page


def test_desk_shows_the_language_and_the_advocate_writes_in_it(spanish_browser: Any, advocate: Any) -> None:
    youth = spanish_browser
    _send_and_wait(youth, "hola, quiero hablar con una persona de verdad")
    youth.wait_for_selector(".msg.bot >> text=/en la fila/", timeout=15_000)
    item = advocate.locator("#queue li[data-state=queued]").filter(has=advocate.locator(".lang-es")).first
    item.wait_for(timeout=5_000)
    assert item.locator(".lang").inner_text() == "Español (Spanish)"
    item.click()
    advocate.wait_for_selector("#conv-meta .lang[data-language=es]", timeout=5_000)
    assert "Español" in advocate.inner_text("#conv-meta")
    advocate.click("#claim")
    advocate.wait_for_selector("#own-tools:not([hidden])", timeout=5_000)
    youth.wait_for_selector(".msg.bot >> text=Se unió una defensora", timeout=5_000)
    advocate.fill("#reply", "Hola, aquí estoy contigo. ¿Estás en un lugar seguro?")
    advocate.click("#send-reply")
    # The advocate's words arrive as written (never translated), labelled in Spanish.
    bubble = youth.locator(".msg.advocate").last
    bubble.wait_for(timeout=5_000)
    assert bubble.inner_text().splitlines() == ["Defensora", "Hola, aquí estoy contigo. ¿Estás en un lugar seguro?"]
    advocate.check("#outcomes input[value=emotional_support]")
    advocate.click("#return-bot")
    youth.wait_for_selector(".msg.bot >> text=/bot|conmigo/", timeout=5_000)
