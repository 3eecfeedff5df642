"""The crisis layer as the conversation core uses it: one verdict and the protocol messages per message."""

from __future__ import annotations

from typing import Any

from bot.crisis.detector import CrisisDetector
from bot.crisis.protocol import MESSAGES_DIR, protocol_messages
from bot.crisis.verdict import CRISIS_LEVELS

ChatMessage = dict[str, Any]


class CrisisScreen:
    """Built once per process (the detector loads its lexicon and model once); `screen` is cheap."""

    def __init__(self, detector: CrisisDetector | None = None) -> None:
        self.detector = detector or CrisisDetector()

    def screen(self, text: str, language: str = "en") -> tuple[dict[str, Any], list[ChatMessage]]:
        verdict = self.detector.detect(text)
        # Protocol texts exist per language; a language without its own file still gets the English lines.
        texts_language = language if (MESSAGES_DIR / f"{language}.yml").exists() else "en"
        return verdict.to_dict(), protocol_messages(verdict, texts_language)


def is_crisis(verdict: dict[str, Any]) -> bool:
    return verdict.get("level") in CRISIS_LEVELS
