"""Every text the product can say is checked for the rules a youth depends on, before any conversation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("en", "es")
CONTENT_FILES = [
    path
    for language in LANGUAGES
    for path in (
        ROOT / "actions" / "content" / f"{language}.yml",
        ROOT / "bot" / "content" / f"{language}.yml",
        ROOT / "bot" / "crisis" / "messages" / f"{language}.yml",
    )
]
_NEGATION = re.compile(r"\b(never|won't|don't|do not|without|no need|not|nunca|no|sin)\b", re.I)
_ASKS_NAME_ES = re.compile(r"\b(tu|su) (nombre|apellido)\b|\bc[oó]mo te llamas\b", re.I)
_DIGITS = re.compile(r"\d{3}[\s.-]?\d{4}")


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


def _texts() -> list[tuple[str, str]]:
    return [(path.relative_to(ROOT).as_posix(), text) for path in CONTENT_FILES
            for text in _strings(yaml.safe_load(path.read_text(encoding="utf-8")))]


@pytest.mark.parametrize(("where", "text"), _texts())
def test_never_asks_for_a_name(where: str, text: str) -> None:
    for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
        if re.search(r"\byour (real |full |first |last )?name\b", sentence, re.I) or _ASKS_NAME_ES.search(sentence):
            assert _NEGATION.search(sentence), f"{where}: may ask for a name: {sentence!r}"


@pytest.mark.parametrize(("where", "text"), _texts())
def test_numbers_only_by_reference(where: str, text: str) -> None:
    """Numbers are rendered from the hotline table ({line:ID} / {call:ID}), never typed into a text."""
    assert not _DIGITS.search(text), f"{where}: a phone number typed into content: {text!r}"


def test_there_is_content_to_check() -> None:
    assert len(_texts()) > 40


@pytest.mark.parametrize("folder", ["actions/content", "bot/content", "bot/crisis/messages"])
def test_spanish_has_every_key_of_english(folder: str) -> None:
    english = yaml.safe_load((ROOT / folder / "en.yml").read_text(encoding="utf-8"))
    spanish = yaml.safe_load((ROOT / folder / "es.yml").read_text(encoding="utf-8"))
    assert set(english) <= set(spanish), f"{folder}/es.yml lacks {sorted(set(english) - set(spanish))}"
    for key, value in english.items():
        if isinstance(value, dict):
            assert set(value) <= set(spanish[key]), f"{folder}/es.yml: {key} lacks {set(value) - set(spanish[key])}"
        if isinstance(value, list):
            assert len(value) == len(spanish[key]), f"{folder}/es.yml: {key} has a different number of buttons"
            for mine, theirs in zip(value, spanish[key], strict=True):
                if isinstance(mine, dict) and "payload" in mine:
                    assert mine["payload"] == theirs["payload"], f"{folder}/es.yml: {key} payloads differ"


def test_spanish_crisis_replies_name_the_spanish_options() -> None:
    """988 in Spanish is "press 2" plus Spanish text and chat, as ../shared/reference/hotlines.csv says."""
    from bot.crisis.protocol import protocol_messages
    from bot.crisis.verdict import CrisisVerdict

    text = protocol_messages(CrisisVerdict(level="urgent", categories=("suicidal",)), "es")[0]["text"]
    assert "marca 2" in text and "español" in text
    text = protocol_messages(CrisisVerdict(level="urgent", categories=("trafficked_now",)), "es")[0]["text"]
    assert "200 idiomas" in text
