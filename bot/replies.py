"""Replies the gateway composes itself, when the engine cannot answer (texts in bot/content/)."""

from __future__ import annotations

from pathlib import Path

from bot.texts import language_texts
from resources.hotlines import fill_lines

CONTENT_DIR = Path(__file__).parent / "content"

PERSON_BUTTON = {"title": "Talk to a person", "payload": "/talk_to_person"}


def _texts(language: str) -> dict[str, str]:
    return language_texts(CONTENT_DIR, language)


def gateway_text(key: str, language: str = "en") -> str:
    return fill_lines(_texts(language)[key], language=language if (CONTENT_DIR / f"{language}.yml").exists() else "en")


def gateway_text_with(key: str, language: str = "en", **values: object) -> str:
    """A gateway text with `{name}` values filled in (after the lines, so a value can never name a line)."""
    text = gateway_text(key, language)
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def engine_unavailable_messages(language: str = "en") -> list[dict[str, object]]:
    return [{"text": gateway_text("engine_unavailable", language)}]
