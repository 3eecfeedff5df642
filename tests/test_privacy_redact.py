"""Redaction of user text: examples a privacy officer would read, then properties over generated messages.

The planted values below are fictional (555-01xx numbers, example.* style domains, made-up streets).
"""

from __future__ import annotations

import csv
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from bot.privacy.redact import Redactor, default_redactor, hotline_numbers, redact

ROOT = Path(__file__).resolve().parents[1]

# -- examples ------------------------------------------------------------------------------------------

PHONES = [
    "(916) 555-0123", "(916)555-0123", "916-555-0123", "916.555.0123", "916 555 0123", "9165550123",
    "+19165550123", "+1 916 555 0123", "1-916-555-0123", "1 (916) 555-0123", "+1 (916) 555-0123",
    "916–555–0123", "916\u200b555\u200b0123", "555-0123", "5550123", "+44 20 7946 0958", "+52 55 1234 5678",
    "９１６-５５５-０１２３",
]


@pytest.mark.parametrize("phone", PHONES)
def test_phone_formats(phone: str) -> None:
    out = redact(f"you can reach me at {phone} after 9")
    assert out == "you can reach me at [phone] after 9"


@pytest.mark.parametrize(("text", "expected"), [
    ("email jay.doe+x@gmail.com pls", "email [email] pls"),
    ("JAY_99@Example.org", "[email]"),
    ("jay dot doe at gmail dot com", "[email]"),
    ("jay(at)yahoo(dot)com", "[email]"),
    ("meet at school at 3", "meet at school at 3"),
    ("i live at 1500 W. Shaw Ave., Apt #12, Fresno, CA 93711", "i live at [address], Fresno, CA 93711"),
    ("staying at 42 Martin Luther King Jr Blvd unit 3 in east oakland", "staying at [address] in east oakland"),
    ("123 Main St", "[address]"),
    ("2201 5th street, room 4", "[address]"),
    ("1234 Highway 99 near fresno", "[address] near fresno"),
    ("send it to PO Box 123, Sacramento", "send it to [address], Sacramento"),
    ("apt 4B", "[address]"),
    ("I walked 5 miles down Main St", "I walked 5 miles down Main St"),
    ("i need a room 3 nights", "i need a room 3 nights"),
    ("card 4111 1111 1111 1111 exp 12/27", "card [number] exp 12/27"),
    ("ssn 123-45-6789", "ssn [number]"),
    ("its 123456789", "its [number]"),
    ("amex 3782 822463 10005", "amex [number]"),
    ("my name is Maria Lopez and im 16 in east oakland", "my name is [name] and im 16 in east oakland"),
    ("my name is maria lopez. i need a bed", "my name is [name]. i need a bed"),
    ("my name is jay fresno county shelter pls", "my name is [name] fresno county shelter pls"),
    ("My name's Destiny", "My name's [name]"),
    ("im called Jay", "im called [name]"),
    ("i'm named Mary-Jane", "i'm named [name]"),
    ("they call me Jay", "they call me [name]"),
    ("you can call me jay", "you can call me [name]"),
    ("they call me jay", "they call me jay"),  # lowercase after "they call me" is too often an insult
    ("my parents call me worthless", "my parents call me worthless"),
    ("he yelled my name out the window", "he yelled my name out the window"),
    ("my mom yells at me a lot", "my mom yells at me a lot"),
    ("hes on the platform staring at me", "hes on the platform staring at me"),
    ("call me Destiny pls", "call me [name] pls"),
    ("call me back", "call me back"),
    ("call me at 3", "call me at 3"),
    ("my name is not important", "my name is not important"),
    ("me llamo Ana García", "me llamo [name]"),
    ("mi nombre es Ana", "mi nombre es [name]"),
    ("add me on snap jay_123", "add me on snap [handle]"),
    ("dm @lil.jay", "dm [handle]"),
    ("my ig is private", "my ig is private"),
])
def test_examples(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "i need a shelter in 95823", "east oakland", "fresno county", "im 16", "at 10:30 tonight",
    "it costs $1,500", "born 2008", "12/25/2024", "stop hurting me", "i called 1-800-786-2929 and nobody answered",
    "text HOME to 741741", "text 233733", "call 988", "call 911 now", "i want this to end",
    "my zip is 95823", "3 kids and 2 dogs", "between 5th and main",
])
def test_keeps_what_search_and_advocates_need(text: str) -> None:
    assert redact(text) == text


def _crisis_corpus() -> list[str]:
    rows: list[str] = []
    for name in ("eval_en.tsv", "holdout2_en.tsv"):
        with (ROOT / "tests" / "crisis" / name).open(encoding="utf-8") as handle:
            rows += [row["text"] for row in csv.DictReader(handle, delimiter="\t")]
    return rows


def test_the_crisis_corpus_passes_unchanged() -> None:
    """2,200 real-shaped messages from youth (no identifiers in them): redaction must not garble one word of
    what the crisis layer, the engine and the advocate read ("call me worthless", "yells at me")."""
    corpus = _crisis_corpus()
    assert len(corpus) > 2000
    changed = [(text, redact(text)) for text in corpus if redact(text) != text]
    assert changed == []


def test_zip_plus_four_keeps_the_zip_only() -> None:
    assert redact("im near 95823-1234") == "im near 95823"


def test_hotline_numbers_come_from_the_table() -> None:
    numbers = hotline_numbers()
    assert "8007862929" in numbers and "741741" in numbers  # NRS call, Crisis Text Line
    assert Redactor(keep_numbers=()).redact("i called 1-800-786-2929") == "i called [phone]"


def test_placeholders_only_for_what_it_found() -> None:
    r = default_redactor()
    assert sorted(r.findings("call 916-555-0123 or jay@example.com, my name is Jay")) == ["email", "name", "phone"]


# -- properties ----------------------------------------------------------------------------------------

HOTLINES = hotline_numbers()
digit = st.sampled_from("0123456789")
area = st.tuples(st.sampled_from("23456789"), digit, digit).map("".join)
line4 = st.tuples(digit, digit, digit, digit).map("".join)
PHONE_FORMATS = [
    "({a}) {e}-{n}", "({a}){e}-{n}", "{a}-{e}-{n}", "{a}.{e}.{n}", "{a} {e} {n}", "{a}{e}{n}", "+1{a}{e}{n}",
    "+1 {a} {e} {n}", "1-{a}-{e}-{n}", "+1 ({a}) {e}-{n}", "{a}–{e}–{n}", "{e}-{n}", "1 {a} {e} {n}",
]


@st.composite
def phones(draw: st.DrawFn) -> str:
    a, e, n = draw(area), draw(area), draw(line4)
    assume(a + e + n not in HOTLINES and e + n not in HOTLINES)
    return draw(st.sampled_from(PHONE_FORMATS)).format(a=a, e=e, n=n)


label = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)
emails = st.builds(
    lambda first, rest, dom, tld: f"{first}{rest}@{dom}.{tld}",
    st.sampled_from("abcdefghijklmnopqrstuvwxyz"), st.text("abcdefghijklmnopqrstuvwxyz0123456789._+-", max_size=12),
    label, st.sampled_from(["com", "org", "net", "edu", "io", "co.uk", "COM"]),
) | st.emails(domains=st.sampled_from(["example.com", "mail.example.org", "EXAMPLE.NET"]))

STREETS = ["Main", "Oak", "Shaw", "Martin Luther King Jr", "5th", "El Camino", "San Pablo", "MacArthur", "Elm",
           "Stockton", "Florin", "Broadway", "E 14th", "W. Olive", "Cesar Chavez"]
SUFFIXES = ["St", "St.", "Street", "Ave", "Ave.", "Avenue", "Blvd", "Boulevard", "Rd", "Road", "Dr", "Drive",
            "Ln", "Lane", "Way", "Ct", "Court", "Pl", "Pkwy", "Hwy", "STREET", "ave"]
UNITS = ["", " Apt 4B", ", Apt #12", " Unit 3", " #7", ", Suite 210", " apt 2", ", Room 5"]
addresses = st.builds(
    lambda number, street, suffix, unit: f"{number} {street} {suffix}{unit}",
    st.integers(1, 99999), st.sampled_from(STREETS), st.sampled_from(SUFFIXES), st.sampled_from(UNITS),
)
FIRST_NAMES = ["Maria", "Jay", "Destiny", "Alex", "Jordan", "Ana", "Mary-Jane", "Kiara", "Nguyen", "Luz", "Tre"]
name_phrases = st.builds(
    lambda trigger, name, end: (f"{trigger} {name}{end}", name),
    st.sampled_from(["my name is", "My name is", "my name's", "im called", "i'm called", "you can call me",
                     "me llamo", "i go by"]),
    st.sampled_from(FIRST_NAMES) | st.sampled_from(FIRST_NAMES).map(str.lower),
    st.sampled_from([".", ",", " and", "!"]),
)
cards = st.builds(lambda g: " ".join(g), st.lists(line4, min_size=4, max_size=4))
ssns = st.builds(lambda a, b, c: f"{a}-{b}-{c}", area, st.tuples(digit, digit).map("".join), line4)

CITIES = ["east oakland", "Fresno", "sacramento", "Los Angeles", "fresno county", "San Jose", "oakland", "Stockton"]
zips = st.integers(90001, 96162).map(str)
WORDS = ["i", "need", "a", "bed", "tonight", "help", "please", "shelter", "in", "near", "food", "clinic", "im",
         "scared", "ok", "thanks", "where", "can", "go", "my", "mom", "kicked", "me", "out", "16", "yes", "no"]
fillers = st.lists(st.sampled_from(WORDS), max_size=6).map(" ".join)
SEPARATORS = [" ", ", ", ". ", "\n", " - ", "! "]


@st.composite
def messages(draw: st.DrawFn) -> tuple[str, list[str], list[str]]:
    """A message with planted identifiers (returned) and places that must survive (returned)."""
    pieces: list[str] = []
    planted: list[str] = []
    kept: list[str] = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["phone", "email", "address", "name", "card", "ssn", "city", "zip", "filler"]))
        if kind == "phone":
            value = draw(phones())
            planted.append(value)
        elif kind == "email":
            value = draw(emails)
            planted.append(value)
        elif kind == "address":
            value = draw(addresses)
            planted.append(value)
        elif kind == "name":
            value, name = draw(name_phrases)
            planted.append(name)
        elif kind == "card":
            value = draw(cards)
            planted.append(value)
        elif kind == "ssn":
            value = draw(ssns)
            planted.append(value)
        elif kind in ("city", "zip"):
            value = draw(st.sampled_from(CITIES) if kind == "city" else zips)
            kept.append(value)
            value = draw(st.sampled_from(["in ", "near ", "", "at "])) + value
        else:
            value = draw(fillers)
        pieces.append(value)
    text = ""
    for piece in pieces:
        text += piece + draw(st.sampled_from(SEPARATORS))
    return text, planted, kept


def _word_in(word: str, text: str) -> bool:
    return re.search(rf"(?<![\w@.+-]){re.escape(word)}(?![\w@-])", text, re.IGNORECASE) is not None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages())
@example(("call me at 916 555 0123\n95823 ", ["916 555 0123"], ["95823"]))
def test_planted_values_never_survive_and_places_do(message: tuple[str, list[str], list[str]]) -> None:
    text, planted, kept = message
    out = redact(text)
    for value in planted:
        assert not _word_in(value, out), (text, out, value)
        digits = re.sub(r"\D", "", value)
        if len(digits) >= 7:
            assert digits[-7:] not in re.sub(r"\D", "", out.replace("[", " [")), (text, out, value)
    for place in kept:
        assert _word_in(place, out), (text, out, place)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_never_crashes_and_is_idempotent_on_any_text(text: str) -> None:
    once = redact(text)
    assert isinstance(once, str)
    assert redact(once) == once


@settings(max_examples=300, deadline=None)
@given(messages())
def test_idempotent_on_realistic_messages(message: tuple[str, list[str], list[str]]) -> None:
    once = redact(message[0])
    assert redact(once) == once


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(WORDS + CITIES + ["95823", "fresno county", "?", "!"]), max_size=15).map(" ".join))
def test_ordinary_messages_pass_unchanged(text: str) -> None:
    assert redact(text) == text


def test_speed_per_message() -> None:
    """Reported in the SMS/privacy notes: p50 and p99 on realistic messages, after warm-up."""
    corpus = [
        "hi i need somewhere to sleep tonight in east oakland im 16",
        "my name is Maria Lopez and my number is (916) 555-0123, i live at 1500 W Shaw Ave Apt 12 Fresno",
        "can u email me at jay.doe@example.com or text 916.555.0199",
        "stop hurting me",
        "is there a clinic near 95823 that is open now? i dont have insurance and my mom doesnt know" * 3,
        "x" * 1600,
    ]
    redactor = default_redactor()
    for text in corpus:
        redactor.redact(text)
    timings = []
    for _ in range(50):
        for text in corpus:
            start = time.perf_counter()
            redactor.redact(text)
            timings.append(time.perf_counter() - start)
    timings.sort()
    p50, p99 = timings[len(timings) // 2], timings[int(len(timings) * 0.99)]
    print(f"\nredaction: p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms over {len(timings)} messages")
    assert p99 < 0.05


@pytest.mark.parametrize("text", [
    "(" * 2000, "(a" * 1000, "a." * 1000, "x" * 2000, "1 " * 1000, "1-" * 1000, "a@" + "b." * 1000 + "1",
    "x at " * 400, "my name is " * 180, "12 " * 600 + "st", "😀" * 1000, " dot " * 400,
])
def test_adversarial_messages_stay_fast(text: str) -> None:
    redactor = default_redactor()
    redactor.redact("warm up")
    start = time.perf_counter()
    redactor.redact(text)
    assert time.perf_counter() - start < 0.1


def test_a_phone_then_a_zip_keeps_the_zip() -> None:
    """Found by hypothesis: an Amex-shaped 4-6-5 run must use one separator, or "2002000000 90001" became a card."""
    from bot.privacy.redact import Redactor

    assert Redactor().redact("text me 2002000000 90001").endswith("[phone] 90001")
