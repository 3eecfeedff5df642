"""Turns what someone wrote into a directory query: needs, place, age, preferences, who is asking.

The NLU model marks intents; this parser is the tested authority on the words themselves, so
"need somewhere safe to sleep tonight im in east oakland, im 16" always means shelter, East Oakland, 16.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from resources.geo import Gazetteer, Place, normalize
from resources.models import CATEGORIES

NEEDS_FILE = Path(__file__).parent / "data" / "needs_en.yaml"

_SELF_AGE = re.compile(
    r"\b(?:i'?m|i am|im|age|aged|i just turned|turned)\s+(\d{1,2})\b"
    r"|\b(\d{1,2})\s*(?:yo|y/o|y\.o\.|yrs? old|years? old)\b(?!\s+(?:son|daughter|kid|child|girl|boy))",
    re.I,
)
_OTHER_AGE = re.compile(
    r"\b(?:my|our|a|the)\s+(\d{1,2})\s*(?:-|\s)?(?:yo|y/o|yr old|year old|years old|year-old)\b"
    r"|\b(?:she'?s|he'?s|they'?re|she is|he is|they are)\s+(\d{1,2})\b"
    r"|\b(?:daughter|son|kid|child|girl|boy|granddaughter|grandson|niece|nephew|client|youth|teen)"
    r"\s+(?:is|who is|who'?s|turned|just turned)\s+(\d{1,2})\b",
    re.I,
)
_BARE_AGE = re.compile(r"^\s*(\d{1,2})\s*$")
_MY_AGE_KID = re.compile(r"\bmy\s+\d{1,2}\s*(?:yo|y/o|year|yr)", re.I)
_SKIP_WORDS = re.compile(
    r"\b(skip|rather not|don'?t want to say|dont wanna say|not telling|anywhere|statewide|idk where|"
    r"don'?t know where|no location|prefer not)\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    categories: tuple[str, ...]
    place: Place | None
    age: int | None
    tags: tuple[str, ...]
    caregiver: bool
    skip_location: bool


@dataclass(frozen=True, slots=True)
class _Lexicon:
    categories: dict[str, str]  # phrase → category
    tags: dict[str, str]  # phrase → tag
    caregiver: tuple[str, ...]
    longest: int


@cache
def _lexicon(path: Path = NEEDS_FILE) -> _Lexicon:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    categories = {normalize(p): code for code, phrases in raw["categories"].items() for p in phrases}
    unknown = set(categories.values()) - set(CATEGORIES)
    if unknown:
        raise ValueError(f"{path}: unknown categories {sorted(unknown)}")
    tags = {normalize(p): tag for tag, phrases in raw["tags"].items() for p in phrases}
    caregiver = tuple(normalize(p) for p in raw["caregiver_words"])
    longest = max(len(p.split()) for p in [*categories, *tags])
    return _Lexicon(categories, tags, caregiver, longest)


def categories_in(text: str) -> tuple[str, ...]:
    """Need categories named in the text, in the order they appear; longest phrase wins at each spot."""
    lexicon = _lexicon()
    return tuple(dict.fromkeys(_scan(normalize(text), lexicon.categories, lexicon.longest)))


def category_for(phrase: str) -> str | None:
    """The category of a short phrase such as an NLU entity or a button value ("shelter", "plan b")."""
    if phrase in CATEGORIES:
        return phrase
    found = categories_in(phrase)
    return found[0] if found else None


def parse_request(text: str, gazetteer: Gazetteer) -> ParsedRequest:
    lexicon = _lexicon()
    words = normalize(text)
    tags = tuple(dict.fromkeys(_scan(words, lexicon.tags, lexicon.longest)))
    padded = f" {words} "
    caregiver = bool(_MY_AGE_KID.search(text)) or any(f" {p} " in padded for p in lexicon.caregiver)
    return ParsedRequest(
        categories=categories_in(text),
        place=gazetteer.find_in_text(text),
        age=parse_age(text),
        tags=tags,
        caregiver=caregiver,
        skip_location=bool(_SKIP_WORDS.search(text)),
    )


def parse_age(text: str) -> int | None:
    """The age of the young person the message is about, if it says (5–25; other numbers are not ages)."""
    for pattern in (_OTHER_AGE, _SELF_AGE, _BARE_AGE):
        for match in pattern.finditer(text):
            value = next(int(g) for g in match.groups() if g is not None)
            if 5 <= value <= 25:
                return value
    return None


def _scan(words: str, phrases: dict[str, str], longest: int) -> list[str]:
    tokens = words.split()
    found: list[str] = []
    i = 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 0, -1):
            value = phrases.get(" ".join(tokens[i : i + size]))
            if value is not None:
                found.append(value)
                i += size
                break
        else:
            i += 1
    return found
