"""Chat messages (bot/engine.py shape: {"text", "buttons": [{"title","payload"}], "resources": [card…]}) as
SMS bodies, and a numbered reply back to the button it chose.

- Buttons become numbered choices ("1) Find a shelter … Reply 1 or 2"); `choice_payload` maps "1", "#1",
  "1.", "one", "1️⃣" or the button's own title back to its payload, given the buttons last offered.
- Resource cards become a few short lines: name, how to reach them (no URL unless there is no phone or text
  line), open now / hours, city and distance. Cards rarely fit a phone's lock screen otherwise.
- Text is made GSM-7 where a look-alike exists (curly quotes, dashes, ellipsis, bullets, the "·" between
  call and text): one Unicode character turns a 160-character segment into 70, which triples the cost and
  splits a message into pieces that arrive out of order. Letters stay as they are: "á" has no GSM-7 form,
  and dropping accents changes Spanish words.
- Output longer than Twilio's 1,600-character limit is split at paragraph, then line, sentence and word
  boundaries, and each part is numbered "(1/2)", because parts can arrive in any order.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_BODY_CHARS = 1600  # Twilio rejects longer bodies (error 21617)
MAX_CHOICES = 9  # one digit to reply with
_PART_MARKER_RESERVE = len("(99/99) ")

# GSM 03.38 default alphabet and its extension table (extension characters take two septets).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")
_LOOK_ALIKES = {
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'", "ʼ": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "―": "-", "‐": "-", "‑": "-", "‒": "-", "−": "-",
    "…": "...", "•": "-", "‧": "-", "∙": "-", "●": "-", "▪": "-",
    "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u202f": " ", "\u200a": " ", "\t": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "", "\u00ad": "",
    "×": "x", "÷": "/", "→": "->", "←": "<-", "™": "", "®": "", "©": "(c)", "✓": "", "✔": "",
}
_MIDDLE_DOT = re.compile(r"\s*·\s*")

ChatMessage = Mapping[str, Any]

# The few words the channel adds around a card and a set of choices, per conversation language (the card's
# own facts — hours, "opens 8am tomorrow" — come from the directory already in that language).
LABELS: dict[str, dict[str, str]] = {
    "en": {"call": "Call", "text": "Text", "open_24_7": "Open 24/7", "open_now": "Open now", "opens": "Opens",
           "closed_now": "Closed now", "reply": "Reply", "or": "or"},
    "es": {"call": "Llama al", "text": "Manda texto al", "open_24_7": "Abierto 24/7", "open_now": "Abierto ahora",
           "opens": "Abre", "closed_now": "Cerrado ahora", "reply": "Responde", "or": "o"},
}


def _labels(language: str) -> dict[str, str]:
    return LABELS.get(language, LABELS["en"])


@dataclass(frozen=True, slots=True)
class Choice:
    number: int
    title: str
    payload: str


@dataclass(frozen=True, slots=True)
class SmsReply:
    bodies: list[str]
    # What "1", "2"… mean in the next inbound message; store with the conversation (replaces the last set).
    choices: list[Choice] = field(default_factory=list)


# -- characters ----------------------------------------------------------------------------------------


def gsm_friendly(text: str) -> str:
    """Look-alike punctuation replaced by its GSM-7 form; letters and everything else left alone."""
    text = unicodedata.normalize("NFC", text)
    text = _MIDDLE_DOT.sub(", ", text)  # "call 1-800-… · text 66008": a dash here would read as a digit group
    return "".join(_LOOK_ALIKES.get(ch, ch) if ch not in GSM7_BASIC else ch for ch in text)


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def sms_length(text: str) -> int:
    """Characters as Twilio's 1,600 limit counts them, conservatively: UTF-16 code units (an emoji is 2)."""
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    """How many SMS segments a body costs (GSM-7: 160, or 153 each when concatenated; UCS-2: 70 / 67)."""
    if is_gsm7(text):
        septets = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = sms_length(text)
    return 1 if units <= 70 else math.ceil(units / 67)


# -- cards and choices ---------------------------------------------------------------------------------

_CITY_IN_ADDRESS = re.compile(r",\s*([^,]+?),\s*CA\b")


def card_lines(card: Mapping[str, Any], language: str = "en") -> str:
    """A resource card in a few lines. The directory's phone numbers are quoted as the card gives them."""
    words = _labels(language)
    lines = [str(card.get("name") or card.get("organization") or "").strip()]
    if card.get("alert"):
        lines.append(f"! {card['alert']}")
    reach = []
    if card.get("phone"):
        reach.append(f"{words['call']} {card['phone']}")
    if card.get("text"):
        reach.append(f"{words['text']} {card['text']}")
    if reach:
        lines.append(", ".join(reach))
    elif card.get("url"):
        lines.append(str(card["url"]))
    status = _status(card, words)
    if status:
        lines.append(status)
    where = _where(card, walk_in_only=not reach)
    if where:
        lines.append(where)
    return "\n".join(line for line in lines if line)


def _status(card: Mapping[str, Any], words: Mapping[str, str]) -> str:
    hours = str(card.get("hours") or "").strip()
    if card.get("open_now") is True:
        if hours == "24/7":
            return words["open_24_7"]
        return words["open_now"] + (f" ({hours})" if hours and len(hours) <= 40 else "")
    if card.get("open_now") is False:
        return f"{words['opens']} {card['opens_next']}" if card.get("opens_next") else words["closed_now"]
    return hours if len(hours) <= 60 else ""


def _where(card: Mapping[str, Any], walk_in_only: bool) -> str:
    address = str(card.get("address") or "").strip()
    if walk_in_only:
        place = address  # no phone: the address is how to reach them
    elif " — " in address:
        place = address.split(" — ", 1)[0]
    elif match := _CITY_IN_ADDRESS.search(address):
        place = match.group(1)
    else:
        place = address if len(address) <= 40 else ""
    distance = card.get("distance_km")
    if isinstance(distance, int | float) and not isinstance(distance, bool) and distance >= 0:
        miles = f"{distance * 0.621:.1f} mi"
        place = f"{place} ({miles})" if place else miles
    return place


def _choice_prompt(choices: Sequence[Choice], language: str = "en") -> str:
    words = _labels(language)
    lines = [f"{c.number}) {c.title}" for c in choices]
    numbers = [str(c.number) for c in choices]
    reply = numbers[0] if len(numbers) == 1 else f"{', '.join(numbers[:-1])} {words['or']} {numbers[-1]}"
    return "\n".join([*lines, f"{words['reply']} {reply}."])


def offered_choices(messages: Iterable[ChatMessage]) -> list[Choice]:
    """Every button of the reply, numbered in order; a payload offered twice is offered once."""
    choices: list[Choice] = []
    seen: set[str] = set()
    for message in messages:
        for button in message.get("buttons") or []:
            payload = str(button.get("payload", ""))
            title = str(button.get("title", "")).strip() or payload
            if payload and payload not in seen and len(choices) < MAX_CHOICES:
                seen.add(payload)
                choices.append(Choice(len(choices) + 1, title, payload))
    return choices


# -- the reply -----------------------------------------------------------------------------------------


def render(messages: Sequence[ChatMessage], max_chars: int = MAX_BODY_CHARS, language: str = "en") -> SmsReply:
    """The bot's messages for one inbound text, as SMS bodies (usually one) and the choices they offer, with
    the channel's own words ("Reply 1 or 2", "Call", "Open now") in the conversation's language."""
    blocks: list[str] = []
    for message in messages:
        text = str(message.get("text") or "").strip()
        if text:
            blocks.append(text)
        blocks.extend(card_lines(card, language) for card in message.get("resources") or []
                      if isinstance(card, Mapping))
    choices = offered_choices(messages)
    if choices:
        blocks.append(_choice_prompt(choices, language))
    body = gsm_friendly("\n\n".join(b for b in blocks if b.strip()))
    return SmsReply(bodies=split_body(body, max_chars) if body.strip() else [], choices=choices)


_BOUNDARIES = (
    re.compile(r"(?<=\n\n)"),  # paragraphs
    re.compile(r"(?<=\n)"),  # lines
    re.compile(r"(?<=[.!?…]\s)|(?<=[.!?…][\"')]\s)"),  # sentences
    re.compile(r"(?<=\s)"),  # words
)


def split_body(text: str, max_chars: int = MAX_BODY_CHARS) -> list[str]:
    """Parts of at most `max_chars` (as Twilio counts), cut at the largest boundary that fits, numbered
    "(1/3) " when there is more than one. Nothing is lost but whitespace at the cuts."""
    if max_chars <= _PART_MARKER_RESERVE + 10:
        raise ValueError("max_chars too small to split into numbered parts")
    text = text.strip()
    if sms_length(text) <= max_chars:
        return [text] if text else []
    budget = max_chars - _PART_MARKER_RESERVE
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, budget, 0):
        if sms_length(current + piece) <= budget:
            current += piece
            continue
        if current.strip():
            parts.append(current.strip())
        current = piece
    if current.strip():
        parts.append(current.strip())
    total = len(parts)
    return [f"({i}/{total}) {part}" for i, part in enumerate(parts, 1)] if total > 1 else parts


def _pieces(text: str, budget: int, level: int) -> list[str]:
    """`text` cut into pieces that each fit `budget` and together are exactly `text`."""
    if sms_length(text) <= budget:
        return [text]
    if level == len(_BOUNDARIES):
        return _hard_cut(text, budget)
    pieces: list[str] = []
    for piece in _BOUNDARIES[level].split(text):
        if piece:
            pieces.extend(_pieces(piece, budget, level + 1))
    return pieces


def _hard_cut(text: str, budget: int) -> list[str]:
    """A word longer than a whole part (a pasted link): cut it, never inside a surrogate pair."""
    pieces: list[str] = []
    current = ""
    for ch in text:
        if sms_length(current + ch) > budget:
            pieces.append(current)
            current = ""
        current += ch
    if current:
        pieces.append(current)
    return pieces


# -- the next inbound message ----------------------------------------------------------------------------

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
                 "ocho": 8, "nueve": 9}
_CHOICE = re.compile(r"(?:(?:option|number|no|num|choice|opcion|opción|#)\s*)?#?\(?(\d{1,2}|[a-zñó]+)\)?[.)]?")
_KEYCAP = re.compile(r"^([0-9])\ufe0f?\u20e3$")


def choice_payload(reply: str, offered: Sequence[Choice]) -> str | None:
    """The payload a reply picks from the choices last offered, or None when the reply is something else
    (then it is conversation, as typed)."""
    if not offered:
        return None
    text = unicodedata.normalize("NFKC", reply).strip().casefold()
    text = text.strip(" \t\r\n.!?,;:'\"")
    keycap = _KEYCAP.match(reply.strip())
    number: int | None = int(keycap.group(1)) if keycap else None
    if number is None and (match := _CHOICE.fullmatch(text)):
        token = match.group(1)
        number = int(token) if token.isascii() and token.isdigit() else _NUMBER_WORDS.get(token)
    if number is not None:
        for choice in offered:
            if choice.number == number:
                return choice.payload
        return None
    squashed = " ".join(text.split())
    for choice in offered:
        if squashed and squashed == " ".join(choice.title.casefold().split()):
            return choice.payload
    return None
