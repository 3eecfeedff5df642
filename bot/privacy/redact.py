"""Redaction of what identifies a person in a message a youth typed, before it is stored or handed on.

Replaced by typed placeholders: phone numbers → [phone], emails → [email], street addresses, units and
PO boxes → [address], card / SSN-like numbers → [number], "my name is …"-style names → [name], social
handles → [handle]. Kept on purpose: city, county and ZIP code (the search needs "95823", "east oakland",
"fresno county"), ages, times, prices, and the national hotline numbers from resources/data/hotlines.yaml
("i called 1-800-786-2929 and nobody answered" is context for the advocate, and identifies nobody).
A ZIP+4 keeps its ZIP and loses the +4, which narrows a place down to a few houses.

Two passes, for reasons:
1. Character patterns on the raw text (numbers, emails, @handles, PO boxes). A phone number is written in
   too many ways for tokens — "(916)555-0123" tokenizes as "(", "916)555", "-", "0123" — so separators,
   look-alike dashes and invisible characters between digits are matched character by character.
   This pass runs before tokenization, so those values never reach spaCy's string store.
2. spaCy token rules (blank English pipeline, `Matcher`, as in bot/crisis/) on the result: street addresses
   (number + street name + suffix, then apartment/unit), names after "my name is", "call me", "im called",
   "me llamo", and "my snap is …" handles.

Only user text goes through here; the bot's own replies quote hotline numbers and are never redacted.
The redactor errs on the side of hiding: a false "[name]" costs a word, a missed name can cost a life.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import spacy
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc

PLACEHOLDERS = ("phone", "email", "address", "number", "name", "handle")
# The tokenizer interns every word it sees (including names people type); rebuild before that grows.
MAX_INTERNED_STRINGS = 200_000
# Redacting a placeholder-free text twice is the same as once for everything we have seen, but a fixed
# point is cheap to check and makes idempotency a guarantee rather than a hope.
MAX_PASSES = 4

# -- pass 1: character patterns ---------------------------------------------------------------------------

# Between digits people type spaces, dots, dashes of every kind, and sometimes invisible characters.
_SEP = r"[\s.\-‐‑‒–—―−_\u200b-\u200d\u2060\ufeff]"
_SEP02 = _SEP + r"{0,2}"
_NANP = re.compile(
    rf"(?<![\d+])(?:(?:\+\s?)?1{_SEP02})?(?:\(\s*\d{{3}}\s*\)|\d{{3}}){_SEP02}\d{{3}}{_SEP02}\d{{4}}(?!\d)"
)
# "+44 20 7946 0958", "+52 (55) 1234 5678": a plus, then 8–15 digits in groups (digit count checked).
_INTERNATIONAL = re.compile(rf"(?<![\d+])\+\s?\d{{1,4}}(?:{_SEP02}\(?\d{{1,5}}\)?){{1,6}}(?!\d)")
_LOCAL = re.compile(rf"(?<![\d+])\d{{3}}{_SEP}\s?\d{{4}}(?![\d]|{_SEP}\d)|(?<![\d+])\d{{7}}(?!\d)")
# Cards: 13–19 digits, contiguous or in groups of four with one consistent separator, or Amex 4-6-5 (also
# one consistent separator, so "2002000000 90001", a phone then a ZIP, is not read as a card).
_CARD = re.compile(
    r"(?<!\d)(?:\d{4}([ \-]?)\d{4}\1\d{4}\1\d{1,7}|\d{4}([ \-]?)\d{6}\2\d{5})(?!\d)"
)
# SSN-like: 3-2-4 with one consistent separator (or none).
_SSN = re.compile(r"(?<!\d)\d{3}([ .\-]?)\d{2}\1\d{4}(?!\d)")
_ZIP4 = re.compile(r"(?<!\d)(\d{5})[\-‐‑–]\d{4}(?!\d)")
# Long digit runs that none of the above explained (account numbers, IDs): 8+ digits in a row.
_LONG_DIGITS = re.compile(r"(?<!\d)\d{8,}(?!\d)")
# Each pattern may only start where a word starts: without that, a long run of letters is quadratic.
_EMAIL = re.compile(r"(?<![^\s<>()\[\]{},;:\"])[^\s@<>()\[\]{},;:\"]+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}")
# "jay dot doe at gmail dot com" and "jay(at)yahoo.com": spelled-out emails, only with a known provider or a
# bracketed "at", so "meet at school" stays.
_SPELLED_EMAIL = re.compile(
    r"(?<![\w.+\-])[\w.+\-]+(?:\s+dot\s+[\w+\-]+)*\s*(?:\(at\)|\[at\]|\{at\}|\s+at\s+)\s*"
    # Only providers that are not also words: "he yells at me", "staring at me" are not emails.
    r"(?:(?:gmail|yahoo|hotmail|outlook|icloud|aol|proton(?:mail)?|msn|ymail)\b"
    r"|[\w\-]+(?=\s*(?:\(dot\)|\[dot\])))"
    r"(?:\s*(?:\.|\(dot\)|\[dot\]|\s+dot\s+)\s*[a-z]{2,6})*",
    re.IGNORECASE,
)
_AT_HANDLE = re.compile(r"(?<![\w@.])@(?=[\w.]*[^\W\d_])[\w.]{2,30}")
_PO_BOX = re.compile(r"\b(?:p\.?\s*o\.?|post\s+office)\s*box\s*#?\s*\d+\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Finding:
    start: int
    end: int
    label: str
    replacement: str


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _national(digits: str) -> str:
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


@cache
def hotline_numbers() -> frozenset[str]:
    """Digits of every number in the hotline table: quoting one back identifies nobody."""
    from resources.hotlines import hotlines

    numbers = set()
    for line in hotlines().values():
        for value in (line.call, line.text):
            digits = _national(_digits(value or ""))
            if len(digits) >= 3:
                numbers.add(digits)
    return frozenset(numbers)


def _character_findings(text: str, keep_numbers: frozenset[str]) -> list[Finding]:
    findings: list[Finding] = []

    def add(matches: Iterable[re.Match[str]], label: str) -> None:
        for match in matches:
            findings.append(Finding(match.start(), match.end(), label, f"[{label}]"))

    add(_EMAIL.finditer(text), "email")
    add(_SPELLED_EMAIL.finditer(text), "email")
    add(_AT_HANDLE.finditer(text), "handle")
    add(_PO_BOX.finditer(text), "address")
    kept: list[tuple[int, int]] = []  # hotline numbers: nothing inside them is redacted either
    for pattern in (_NANP, _LOCAL):
        for match in pattern.finditer(text):
            if _national(_digits(match.group(0))) in keep_numbers:
                kept.append(match.span())
            else:
                findings.append(Finding(match.start(), match.end(), "phone", "[phone]"))
    for match in _INTERNATIONAL.finditer(text):
        if 8 <= len(_digits(match.group(0))) <= 15:
            findings.append(Finding(match.start(), match.end(), "phone", "[phone]"))
    add(_CARD.finditer(text), "number")
    add(_SSN.finditer(text), "number")
    add(_LONG_DIGITS.finditer(text), "number")
    for match in _ZIP4.finditer(text):
        findings.append(Finding(match.start(), match.end(), "zip", match.group(1)))
    return [f for f in findings if not any(start <= f.start and f.end <= end for start, end in kept)]


# -- pass 2: token rules ---------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STREET_SUFFIXES = _words("""
street st avenue ave av boulevard blvd road rd drive dr lane ln way court ct place pl circle cir terrace ter
parkway pkwy highway hwy trail trl loop square sq alley aly plaza plz crescent cres expressway expy freeway fwy
row run walk path pike point pt alameda camino calle paseo
""")
STREET_SUFFIXES = STREET_SUFFIXES | {f"{s}." for s in STREET_SUFFIXES}
# Words that cannot be part of a street name: "walked 5 miles down the street" is not an address.
NOT_STREET_WORDS = _words("""
miles mile blocks block min mins minutes hours hrs days years yrs weeks months people kids guys girls times
dollars bucks of the a an to from on in at down up by near off and or my his her their our your is was i im
me we they he she it its this that there here across around past behind along into onto for with
""")
UNIT_WORDS = frozenset(["apt", "apt.", "apartment", "unit", "suite", "ste", "ste.", "#", "no.", "number"])
UNIT_WORDS_AFTER_STREET = UNIT_WORDS | {"room", "rm", "rm.", "bldg", "bldg.", "building", "space", "spc", "lot",
                                        "trailer", "floor", "fl", "fl."}
ROUTE_WORDS = frozenset(["highway", "hwy", "hwy.", "route", "rte", "rte.", "sr", "us", "state"])
# After "my name is": words that say something other than a name ("my name is not important").
NOT_A_NAME = _words("""
not a an the secret private none nothing important unknown anonymous whatever idk kinda like so too really
just and but is was none no nobody someone somebody anything hidden confidential unimportant irrelevant
""")
# After "call me": words that make it a request, not a name ("call me back", "call me at …").
CALL_ME_FOLLOWERS = _words("""
back later now tomorrow tonight today asap at on when if please pls plz whenever anytime again soon maybe
crazy a an the whatever anything something sometime first after before ok okay instead here there please
right and or but so cause because in by from to lol u you ur this that
""") | STOP_WORDS
# A second or third name word in a lowercase message must not be one of these ("my name is jay need help").
NAME_TAIL_STOP = STOP_WORDS | NOT_A_NAME | _words("""
need needs want wants looking help im i'm age years yrs old from live living staying stay here and
pls please thanks thank hi hello hey ok okay yes no nope yeah yep can could would should will
""")
SOCIAL_PLATFORMS = ["snap", "snapchat", "sc", "ig", "insta", "instagram", "tiktok", "tt", "twitter", "x", "fb",
                    "facebook", "discord", "kik", "telegram", "whatsapp", "wa", "threads", "cashapp", "venmo"]
NOT_A_HANDLE = NOT_A_NAME | _words("""
private public down hacked gone deleted blocked banned off dead locked disabled broken same new old
lol lmao lmfao omg smh fr ngl tbh idk rn bruh bro account acc page profile dms story stories posts
""")

_WORD = r"^[^\W\d_][\w'’.\-]*$"
_STREET_WORD = r"^(?:[^\W\d_][\w'’.\-]*|\d{1,3}(?:st|nd|rd|th))$"
_HOUSE_NUMBER = r"^\d{1,6}(?:[A-Za-z]|-[A-Za-z0-9]{1,3})?$"
_HANDLE_VALUE = r"^@?[\w.]{2,30}$"
_PUNCT_RUN = re.compile(r"[^\w\s]{6,}")


def _name_triggers() -> list[list[dict[str, object]]]:
    name = {"TEXT": {"REGEX": _WORD}, "LOWER": {"NOT_IN": sorted(NOT_A_NAME)}}
    is_word = {"LOWER": {"IN": ["is", "'s", "’s", "s", "=", ":"]}}
    title_name = {**name, "IS_TITLE": True}
    not_request = {"LOWER": {"NOT_IN": sorted(CALL_ME_FOLLOWERS)}}
    return [
        # "my name is jay", "my name's Jay", "my nickname: jay" — but not "he yelled my name out the window".
        [{"LOWER": "my"}, {"LOWER": {"IN": ["name", "name's", "nickname"]}}, is_word,
         {"LOWER": {"IN": ["is", ":"]}, "OP": "?"}, name],
        [{"LOWER": "my"}, {"LOWER": {"IN": ["name", "nickname"]}}, title_name],
        [{"LOWER": "my"}, {"LOWER": "names"}, {**name, "LOWER": {"NOT_IN": sorted(NOT_A_NAME | STOP_WORDS)}}],
        [{"LOWER": {"IN": ["name", "names"]}}, {"LOWER": {"IN": ["is", "'s", "’s", ":"]}}, name],
        [{"LOWER": "i"}, {"LOWER": {"IN": ["'m", "’m", "m", "am"]}}, {"LOWER": {"IN": ["called", "named"]}}, name],
        # "you can call me jay" names oneself; "they call me worthless" is an insult the advocate must read, so
        # other "call me" phrases need a capitalized name ("they call me Jay", "call me Destiny").
        [{"LOWER": {"IN": ["u", "you", "ya"]}}, {"LOWER": "can"}, {"LOWER": "just", "OP": "?"}, {"LOWER": "call"},
         {"LOWER": "me"}, {**name, **not_request}],
        [{"LOWER": "just"}, {"LOWER": "call"}, {"LOWER": "me"}, {**name, **not_request}],
        [{"LOWER": {"IN": ["they", "people", "everyone", "everybody", "friends"]}},
         {"LOWER": {"IN": ["all", "just"]}, "OP": "?"},
         {"LOWER": {"IN": ["call", "calls"]}}, {"LOWER": "me"}, {**title_name, **not_request}],
        [{"LOWER": "i"}, {"LOWER": "go"}, {"LOWER": "by"}, name],
        [{"LOWER": "me"}, {"LOWER": "llamo"}, name],
        [{"LOWER": "mi"}, {"LOWER": "nombre"}, {"LOWER": "es"}, name],
    ]


@dataclass
class _Pipeline:
    nlp: Language
    matcher: Matcher


def _build_pipeline() -> _Pipeline:
    nlp = spacy.blank("en")
    matcher = Matcher(nlp.vocab)
    street_word = {"TEXT": {"REGEX": _STREET_WORD}, "LOWER": {"NOT_IN": sorted(NOT_STREET_WORDS)}}
    house = {"TEXT": {"REGEX": _HOUSE_NUMBER}}
    matcher.add("address", [
        [house, {"ORTH": ",", "OP": "?"}, {**street_word, "OP": "{1,4}"}, {"LOWER": {"IN": sorted(STREET_SUFFIXES)}}],
        [house, {**street_word, "OP": "{0,2}"}, {"LOWER": {"IN": sorted(ROUTE_WORDS)}},
         {"LOWER": {"IN": ["route", "highway"]}, "OP": "?"}, {"TEXT": {"REGEX": r"^\d{1,4}[A-Za-z]?$"}}],
    ], greedy="LONGEST")
    unit_value = {"TEXT": {"REGEX": r"^#?(?=[\w\-]*\d)[\w\-]{1,6}$"}}
    matcher.add("unit", [
        [{"LOWER": {"IN": sorted(UNIT_WORDS - {"#", "no.", "number"})}}, {"ORTH": {"IN": [".", "#", ":"]}, "OP": "*"},
         unit_value],
        [{"ORTH": "#"}, {"TEXT": {"REGEX": r"^\d{1,5}[A-Za-z]?$"}}],
    ], greedy="LONGEST")
    matcher.add("unit_after_street", [
        [{"LOWER": {"IN": sorted(UNIT_WORDS_AFTER_STREET)}}, {"ORTH": {"IN": [".", "#", ":"]}, "OP": "*"},
         unit_value],
    ], greedy="LONGEST")
    matcher.add("name", _name_triggers())
    not_request = {"LOWER": {"NOT_IN": sorted(CALL_ME_FOLLOWERS)}}
    capitalized = {"TEXT": {"REGEX": _WORD}, "IS_TITLE": True, **not_request}
    matcher.add("call_me", [[{"LOWER": "call"}, {"LOWER": "me"}, capitalized]])
    matcher.add("handle", [[
        {"LOWER": {"IN": ["my", "add", "dm", "hmu"]}}, {"LOWER": {"IN": ["me", "on"]}, "OP": "*"},
        {"LOWER": {"IN": SOCIAL_PLATFORMS}},
        {"LOWER": {"IN": ["is", "'s", ":", "name", "username", "handle", "user", "@", "at"]}, "OP": "*"},
        {"TEXT": {"REGEX": _HANDLE_VALUE}, "LOWER": {"NOT_IN": sorted(NOT_A_HANDLE | STOP_WORDS)}},
    ]])
    return _Pipeline(nlp=nlp, matcher=matcher)


def _token_findings(doc: Doc, matcher: Matcher) -> list[Finding]:
    strings = doc.vocab.strings
    findings: list[Finding] = []
    addresses: list[tuple[int, int]] = []
    after_street: list[tuple[int, int]] = []
    for match_id, start, end in matcher(doc):
        label = strings[match_id]
        if label == "address" or label == "unit":
            addresses.append((start, end))
        elif label == "unit_after_street":
            after_street.append((start, end))
        elif label in ("name", "call_me"):
            first = end - 1  # every trigger pattern ends on the first name word
            span = doc[first:_extend_name(doc, end)]
            findings.append(Finding(span.start_char, span.end_char, "name", "[name]"))
        elif label == "handle":
            token = doc[end - 1]
            findings.append(Finding(token.idx, token.idx + len(token.text), "handle", "[handle]"))
    # "room 3", "space 12", "lot 5" are units only right after a street address (else "a room 3 nights").
    address_ends = {end for _, end in addresses}
    for start, end in after_street:
        previous = start - 1 if start > 0 and doc[start - 1].text == "," else start
        if previous in address_ends or start in address_ends:
            addresses.append((start, end))
    for start, end in addresses:
        span = doc[start:end]
        findings.append(Finding(span.start_char, span.end_char, "address", "[address]"))
    return findings


def _extend_name(doc: Doc, end: int) -> int:
    """Add up to two more name words: capitalized after a capitalized first name ("Maria Lopez"), or any
    word that is not an everyday word in a lowercase message ("maria lopez"). Hyphens join ("Mary-Jane")."""
    first = doc[end - 1]
    added = 0
    while end < len(doc) and added < 2:
        token = doc[end]
        if token.text in ("-", "'", "’") and end + 1 < len(doc) and re.match(_WORD, doc[end + 1].text) \
                and not token.whitespace_ and not doc[end - 1].whitespace_:
            end += 2
            continue
        if not re.match(_WORD, token.text) or token.lower_ in NAME_TAIL_STOP:
            break
        if first.is_title and not token.is_title and not token.is_upper:
            break
        if not (first.is_title and token.is_title) and _starts_place(doc, end):
            break  # "my name is jay fresno county shelter": the place stays for the search
        end += 1
        added += 1
    return end


def _starts_place(doc: Doc, i: int) -> bool:
    from resources.geo import gazetteer

    places = gazetteer()
    words = [doc[j].lower_ for j in range(i, min(i + 3, len(doc)))]
    return any(places.by_name(" ".join(words[:n])) is not None for n in range(1, len(words) + 1))


# -- the redactor ----------------------------------------------------------------------------------------


class Redactor:
    """Build once, share freely: `redact` may be called from many threads at once."""

    def __init__(self, keep_numbers: Iterable[str] | None = None) -> None:
        self._keep = frozenset(keep_numbers) if keep_numbers is not None else hotline_numbers()
        self._lock = threading.Lock()
        self._pipeline = _build_pipeline()

    def redact(self, text: str) -> str:
        """The text with every identifying value replaced by its placeholder; idempotent."""
        for _ in range(MAX_PASSES):
            redacted = self._redact_once(text)
            if redacted == text:
                break
            text = redacted
        return text

    def findings(self, text: str) -> list[str]:
        """The labels of what one pass would replace (for counts in logs; never the values)."""
        labels = [f.label for f in _merge(_character_findings(text, self._keep), text)]
        staged = _apply(text, _merge(_character_findings(text, self._keep), text))
        labels += [f.label for f in _merge(_token_findings(*self._doc(staged)), staged)]
        return [label for label in labels if label in PLACEHOLDERS]

    def _redact_once(self, text: str) -> str:
        text = _apply(text, _merge(_character_findings(text, self._keep), text))
        return _apply(text, _merge(_token_findings(*self._doc(text)), text))

    def _doc(self, text: str) -> tuple[Doc, Matcher]:
        pipeline = self._pipeline
        if len(pipeline.nlp.vocab.strings) > MAX_INTERNED_STRINGS:
            with self._lock:
                if self._pipeline is pipeline:
                    self._pipeline = _build_pipeline()
                pipeline = self._pipeline
        # spaCy's tokenizer is quadratic on long runs of punctuation ("((((…"); such runs hold nothing to
        # redact, so they are blanked in the copy it reads. Same length, so every offset still fits `text`.
        shadow = _PUNCT_RUN.sub(lambda m: " " * len(m.group()), text)
        return pipeline.nlp.make_doc(shadow), pipeline.matcher


def _merge(findings: list[Finding], text: str) -> list[Finding]:
    """Overlapping findings become one; the longer one names it (a card number contains a phone-like run)."""
    merged: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.start, -(f.end - f.start))):
        if merged and finding.start < merged[-1].end:
            last = merged[-1]
            if finding.end > last.end:
                longer = finding if finding.end - finding.start > last.end - last.start else last
                label = longer.label if longer.label != "zip" else last.label
                merged[-1] = Finding(last.start, finding.end, label, f"[{label}]" if label != "zip" else
                                     last.replacement)
            continue
        gap = text[merged[-1].end : finding.start] if merged else ""
        if merged and merged[-1].label == finding.label == "address" and _ADDRESS_GAP.fullmatch(gap):
            merged[-1] = Finding(merged[-1].start, finding.end, "address", "[address]")
            continue
        merged.append(finding)
    return merged


_ADDRESS_GAP = re.compile(r"[\s,.]{0,4}")


def _apply(text: str, findings: list[Finding]) -> str:
    for finding in sorted(findings, key=lambda f: f.start, reverse=True):
        text = text[: finding.start] + finding.replacement + text[finding.end :]
    return text


@cache
def default_redactor() -> Redactor:
    return Redactor()


def redact(text: str) -> str:
    """Redact with the process-wide redactor (built on first use, ~50 ms)."""
    return default_redactor().redact(text)
