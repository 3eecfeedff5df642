"""Turns the gateway's crisis verdict into what the dialogue understands: the `crisis` intent.

Runs inside the Rasa engine (its own small module so the .venv tests can check it without Rasa). An urgent
or imminent verdict replaces the text with an intent payload, so an active form is interrupted by a rule
whatever NLU would have made of the words; the words themselves never reach the engine's tracker.
"""

from __future__ import annotations

import json
from typing import Any

CRISIS_LEVELS = frozenset({"urgent", "imminent"})


def engine_text(text: str, metadata: dict[str, Any]) -> str:
    verdict = metadata.get("crisis") if isinstance(metadata, dict) else None
    if not isinstance(verdict, dict) or verdict.get("level") not in CRISIS_LEVELS:
        return text
    categories = [c for c in verdict.get("categories") or [] if isinstance(c, str)]
    entities = {"crisis_level": verdict["level"]}
    if categories:
        entities["crisis_category"] = categories[0]
    return "/crisis" + json.dumps(entities)
