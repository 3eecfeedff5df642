"""The crisis layer's answer for one message: how serious, what kind, and the words that made it so."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

LEVELS: tuple[str, ...] = ("none", "concern", "urgent", "imminent")
CRISIS_LEVELS: frozenset[str] = frozenset({"urgent", "imminent"})
# Also the order categories are reported in when two findings are equally serious: what needs 911 first.
CATEGORIES: tuple[str, ...] = (
    "danger_now",
    "medical_emergency",
    "suicidal",
    "self_harm",
    "trafficked_now",
    "sexual_violence",
    "abuse",
)


def level_rank(level: str) -> int:
    return LEVELS.index(level)


def max_level(levels: Iterable[str]) -> str:
    return max(levels, key=level_rank, default="none")


@dataclass(frozen=True, slots=True)
class CrisisVerdict:
    level: str = "none"
    categories: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"unknown crisis level {self.level!r}")
        unknown = [c for c in self.categories if c not in CATEGORIES]
        if unknown:
            raise ValueError(f"unknown crisis categories {unknown!r}")
        # Accept lists from callers and JSON; keep the frozen value hashable.
        object.__setattr__(self, "categories", tuple(self.categories))
        object.__setattr__(self, "evidence", tuple(str(e) for e in self.evidence))

    @property
    def is_crisis(self) -> bool:
        return self.level in CRISIS_LEVELS

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "categories": list(self.categories), "evidence": list(self.evidence)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CrisisVerdict:
        return cls(
            level=str(data.get("level", "none")),
            categories=tuple(data.get("categories") or ()),
            evidence=tuple(data.get("evidence") or ()),
        )
