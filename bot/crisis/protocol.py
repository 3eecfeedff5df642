"""What the assistant says first when the detector finds crisis language.

Urgent and imminent: one message that leads with who to reach (911 first when someone may be in danger
right now), then a warm line, then an offer of a live advocate with two buttons. Concern: one gentle
check-in with a single line. None: nothing. Every number is rendered from resources.hotlines; the texts
in messages/<language>.yml name lines by id only.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.crisis.verdict import CrisisVerdict
from resources.hotlines import Hotline, fill_lines, hotlines

MESSAGES_DIR = Path(__file__).parent / "messages"
EMERGENCY = "emergency"
# Someone may be hurt or in danger right now: 911 goes first.
EMERGENCY_CATEGORIES = frozenset({"danger_now", "medical_emergency"})

ChatMessage = dict[str, Any]


@cache
def protocol_texts(language: str = "en") -> Mapping[str, Any]:
    """Read-only texts shipped with the code: parsed once per language."""
    return yaml.safe_load((MESSAGES_DIR / f"{language}.yml").read_text(encoding="utf-8"))


def protocol_messages(
    verdict: CrisisVerdict, language: str = "en", lines: Mapping[str, Hotline] | None = None
) -> list[ChatMessage]:
    if verdict.level == "none":
        return []
    texts = protocol_texts(language)
    table = dict(hotlines() if lines is None else lines)
    if verdict.level == "concern":
        return [{"text": _check_in(verdict, texts, table, language), "buttons": []}]
    return [{"text": _crisis_text(verdict, texts, table, language), "buttons": [dict(b) for b in texts["buttons"]]}]


def contact_ids(verdict: CrisisVerdict, language: str = "en") -> list[str]:
    """Hotline ids to show for an urgent or imminent verdict, most important first."""
    texts = protocol_texts(language)
    ids: list[str] = []
    if verdict.level == "imminent" or EMERGENCY_CATEGORIES & set(verdict.categories):
        ids.append(EMERGENCY)
    for category in verdict.categories:
        ids.extend(i for i in texts["contacts"].get(category, ()) if i not in ids)
    return ids or [texts["check_in_line"]["default"]]


def _crisis_text(
    verdict: CrisisVerdict, texts: Mapping[str, Any], table: dict[str, Hotline], language: str = "en"
) -> str:
    contacts = []
    for line_id in contact_ids(verdict, language):
        if line_id == EMERGENCY:
            contacts.append(fill_lines(texts["emergency_lead"], table, language))
        else:
            contacts.append("• " + fill_lines(f"{{line:{line_id}}}", table, language))
    first = verdict.categories[0] if verdict.categories else "default"
    warm = texts["warm"].get(first, texts["warm"]["default"])
    return "\n".join(contacts) + "\n\n" + warm + "\n\n" + texts["offer"]


def _check_in(
    verdict: CrisisVerdict, texts: Mapping[str, Any], table: dict[str, Hotline], language: str = "en"
) -> str:
    choices = texts["check_in_line"]
    line_id = next((choices[c] for c in verdict.categories if c in choices), choices["default"])
    return fill_lines(texts["check_in"].replace("{line}", f"{{line:{line_id}}}"), table, language)
