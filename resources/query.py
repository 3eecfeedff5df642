"""Turns what someone wrote into a directory query: needs, place, age, preferences, who is asking.

The NLU model marks intents; this parser is the tested authority on the words themselves, so
"need somewhere safe to sleep tonight im in east oakland, im 16" always means shelter, East Oakland, 16.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from resources.geo import Gazetteer, Place, normalize
from resources.models import CATEGORIES

NEEDS_FILE = Path(__file__).parent / "data" / "needs_en.yaml"
NEEDS_FILES = {"en": NEEDS_FILE, "es": Path(__file__).parent / "data" / "needs_es.yaml"}
# The lexicons a conversation in each language reads: Spanish conversations are often Spanglish, so the
# English words count there too; English conversations keep exactly the English behaviour.
_READS = {"en": ("en",), "es": ("es", "en")}

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
_SELF_AGE_ES = re.compile(
    r"\b(?:tengo|cumpli|acabo de cumplir|edad)\s+(\d{1,2})\b"
    r"|(?<!\bde )\b(\d{1,2})\s*(?:anos|años|anitos)\b",
    re.I,
)
_OTHER_AGE_ES = re.compile(
    r"\b(?:hija|hijo|nina|niña|nino|niño|nieta|nieto|sobrina|sobrino|chamaca|chamaco|muchacha|muchacho|joven|"
    r"cliente|alumna|alumno|estudiante|adolescente)(?:\s+de\s+crianza)?\s+(?:de|tiene|que tiene|cumplio|cumplió)"
    r"\s+(\d{1,2})\b"
    r"|\b(?:ella|el|él)\s+tiene\s+(\d{1,2})\b",
    re.I,
)
_SKIP_WORDS_ES = re.compile(
    r"\b(saltar|omitir|prefiero no|no quiero decir|no te voy a decir|cualquier parte|cualquier lugar|donde sea|"
    r"todo el estado|no se donde|ni se donde|sin ubicacion)\b",
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


def fold(text: str) -> str:
    """Accents off ("clínica" -> "clinica", "niña" -> "nina"): people text both ways. ASCII text is unchanged."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def _lexicon(path: Path = NEEDS_FILE) -> _Lexicon:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    categories = {normalize(fold(p)): code for code, phrases in raw["categories"].items() for p in phrases}
    unknown = set(categories.values()) - set(CATEGORIES)
    if unknown:
        raise ValueError(f"{path}: unknown categories {sorted(unknown)}")
    tags = {normalize(fold(p)): tag for tag, phrases in raw["tags"].items() for p in phrases}
    caregiver = tuple(normalize(fold(p)) for p in raw["caregiver_words"])
    longest = max(len(p.split()) for p in [*categories, *tags])
    return _Lexicon(categories, tags, caregiver, longest)


@cache
def _lexicon_for(language: str) -> _Lexicon:
    """The lexicons a conversation in `language` reads, merged; the first language's phrase wins a clash."""
    parts = [_lexicon(NEEDS_FILES[code]) for code in reversed(_READS.get(language, ("en",)))]
    if len(parts) == 1:
        return parts[0]
    return _Lexicon(
        categories={k: v for part in parts for k, v in part.categories.items()},
        tags={k: v for part in parts for k, v in part.tags.items()},
        caregiver=tuple(dict.fromkeys(p for part in parts for p in part.caregiver)),
        longest=max(part.longest for part in parts),
    )


def categories_in(text: str, language: str = "en") -> tuple[str, ...]:
    """Need categories named in the text, in the order they appear; longest phrase wins at each spot."""
    lexicon = _lexicon_for(language)
    return tuple(dict.fromkeys(_scan(normalize(fold(text)), lexicon.categories, lexicon.longest)))


def category_for(phrase: str, language: str = "en") -> str | None:
    """The category of a short phrase such as an NLU entity or a button value ("shelter", "plan b")."""
    if phrase in CATEGORIES:
        return phrase
    found = categories_in(phrase, language)
    return found[0] if found else None


def parse_request(text: str, gazetteer: Gazetteer, language: str = "en") -> ParsedRequest:
    lexicon = _lexicon_for(language)
    text = fold(text)
    words = normalize(text)
    tags = tuple(dict.fromkeys(_scan(words, lexicon.tags, lexicon.longest)))
    padded = f" {words} "
    caregiver = bool(_MY_AGE_KID.search(text)) or any(f" {p} " in padded for p in lexicon.caregiver)
    skip = _SKIP_WORDS.search(text) or (language == "es" and _SKIP_WORDS_ES.search(text))
    return ParsedRequest(
        categories=categories_in(text, language),
        place=_find_place(text, gazetteer, language),
        age=parse_age(text, language),
        tags=tags,
        caregiver=caregiver,
        skip_location=bool(skip),
    )


# Spanish "la" is an article ("en la calle", "en la mission"); as Los Angeles it is written "LA", "L.A." or
# stands at the end ("estoy en la"). A lowercase "la" followed by another word is read as the article.
_ARTICLE_LA = re.compile(r"\bla(?=\s+[^\W\d_])")
_LOS_ANGELES = re.compile(r"\bLA\b|\bL\.A\.|\blos angeles\b", re.I)


def _find_place(text: str, gazetteer: Gazetteer, language: str) -> Place | None:
    place = gazetteer.find_in_text(text)
    if (language == "es" and place is not None and place.name == "Los Angeles" and _ARTICLE_LA.search(text)
            and not _LOS_ANGELES.search(text.replace(" la ", " "))):
        return gazetteer.find_in_text(_ARTICLE_LA.sub(" ", text))
    return place


def parse_age(text: str, language: str = "en") -> int | None:
    """The age of the young person the message is about, if it says (5–25; other numbers are not ages)."""
    patterns = (_OTHER_AGE, _SELF_AGE, _BARE_AGE)
    if language == "es":
        patterns = (_OTHER_AGE_ES, _OTHER_AGE, _SELF_AGE_ES, _SELF_AGE, _BARE_AGE)
    for pattern in patterns:
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
