"""The crisis layer as the conversation core uses it: one verdict and the protocol messages per message.

Every message is read by the detector of the conversation's language *and* by the other language's
detector, and the more serious verdict wins: Spanish-speaking youth write Spanglish ("i cant anymore, ya
no puedo"), and the first message of a conversation may arrive before its language is known.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from bot.crisis.detector import PATTERNS_DIR, CrisisDetector
from bot.crisis.protocol import MESSAGES_DIR, protocol_messages
from bot.crisis.verdict import CRISIS_LEVELS, CrisisVerdict, level_rank

ChatMessage = dict[str, Any]
log = logging.getLogger(__name__)
SCREEN_LANGUAGES = tuple(sorted(p.stem for p in PATTERNS_DIR.glob("*.yml")))


class BilingualDetector:
    """One detector per language, built once; `detect` reads the text with all of them.

    The conversation's language is read by its full detector (its rules and its statistical model: English and
    Spanish each have one); the other language only by its rules (`rule_pass`). A model trained on one language's
    messages is no judge of another's: the English model calls "me muero de hambre" a crisis."""

    def __init__(self, detectors: dict[str, CrisisDetector] | None = None, use_model: bool = True) -> None:
        self._detectors: dict[str, CrisisDetector] = dict(detectors or {})
        self._use_model = use_model
        self._lock = threading.Lock()

    def detector(self, language: str) -> CrisisDetector:
        found = self._detectors.get(language)
        if found is None:
            with self._lock:
                found = self._detectors.get(language)
                if found is None:
                    found = self._detectors[language] = CrisisDetector(language, use_model=self._use_model)
        return found

    def detect(self, text: str, language: str = "en") -> CrisisVerdict:
        primary = language if language in SCREEN_LANGUAGES else "en"
        best = self.detector(primary).detect(text)
        for other in SCREEN_LANGUAGES:
            if other == primary:
                continue
            try:
                verdict = self.detector(other).rule_pass(text).verdict
            except Exception:  # the conversation language's reading stands; never break the conversation
                log.exception("crisis rules for %s failed on a message", other)
                continue
            if level_rank(verdict.level) > level_rank(best.level):
                best = verdict
        return best


class CrisisScreen:
    """Built once per process (the detectors load their lexicons and models once); `screen` is cheap."""

    def __init__(self, detector: CrisisDetector | None = None) -> None:
        self.detector = detector or CrisisDetector()
        lexicon = getattr(self.detector, "lexicon", None)
        self.languages = BilingualDetector({getattr(lexicon, "language", "en"): self.detector})
        for language in SCREEN_LANGUAGES:  # built at start-up, so no message waits for a lexicon to compile
            self.languages.detector(language)

    def screen(self, text: str, language: str = "en") -> tuple[dict[str, Any], list[ChatMessage]]:
        verdict = self.languages.detect(text, language)
        # Protocol texts exist per language; a language without its own file still gets the English lines.
        texts_language = language if (MESSAGES_DIR / f"{language}.yml").exists() else "en"
        return verdict.to_dict(), protocol_messages(verdict, texts_language)


def is_crisis(verdict: dict[str, Any]) -> bool:
    return verdict.get("level") in CRISIS_LEVELS
