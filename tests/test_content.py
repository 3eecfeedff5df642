"""Every text the product can say is checked for the rules a youth depends on, before any conversation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONTENT_FILES = [
    ROOT / "actions" / "content" / "en.yml",
    ROOT / "bot" / "content" / "en.yml",
    ROOT / "bot" / "crisis" / "messages" / "en.yml",
]
_NEGATION = re.compile(r"\b(never|won't|don't|do not|without|no need|not)\b", re.I)
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
        if re.search(r"\byour (real |full |first |last )?name\b", sentence, re.I):
            assert _NEGATION.search(sentence), f"{where}: may ask for a name: {sentence!r}"


@pytest.mark.parametrize(("where", "text"), _texts())
def test_numbers_only_by_reference(where: str, text: str) -> None:
    """Numbers are rendered from the hotline table ({line:ID} / {call:ID}), never typed into a text."""
    assert not _DIGITS.search(text), f"{where}: a phone number typed into content: {text!r}"


def test_there_is_content_to_check() -> None:
    assert len(_texts()) > 40
