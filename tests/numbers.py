"""Finds every phone number or short code a reply quotes, and the numbers it is allowed to quote."""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_HOTLINES = ROOT.parent / "shared" / "reference" / "hotlines.csv"

_PHONE = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)")
# English and Spanish ("llama al 988", "manda HOME al 741741", "marca el 911").
_SHORT = re.compile(r"\b(?:call|text|dial|to|al|marca|el)\s+(\d{3,6})\b", re.I)


def digits(number: str) -> str:
    only = re.sub(r"\D", "", number)
    return only[1:] if len(only) == 11 and only.startswith("1") else only


def quoted_numbers(text: str) -> set[str]:
    found = {digits(m.group(0)) for m in _PHONE.finditer(text)}
    found |= {m.group(1) for m in _SHORT.finditer(text)}
    return found


def first_number(text: str) -> str | None:
    """The number a reader meets first: what a youth in crisis would dial."""
    hits = [(m.start(), digits(m.group(0))) for m in _PHONE.finditer(text)]
    hits += [(m.start(1), m.group(1)) for m in _SHORT.finditer(text)]
    return min(hits)[1] if hits else None


@cache
def reference_rows() -> dict[str, dict[str, str]]:
    with REFERENCE_HOTLINES.open(encoding="utf-8") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


@cache
def reference_numbers() -> frozenset[str]:
    numbers: set[str] = set()
    for row in reference_rows().values():
        for field in ("call", "text", "serves", "notes"):
            numbers |= quoted_numbers(row[field] or "")
            if field in ("call", "text") and row[field]:
                numbers.add(digits(row[field]))
    return frozenset(n for n in numbers if n)
