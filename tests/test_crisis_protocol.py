"""Crisis protocol messages: right lines first, only numbers from the checked hotline list, right shape."""

from __future__ import annotations

import itertools
import re

import pytest
import yaml

from bot.crisis import CATEGORIES, CrisisVerdict
from bot.crisis.protocol import MESSAGES_DIR, contact_ids, protocol_messages
from resources.hotlines import hotlines
from tests.numbers import digits, quoted_numbers

BUTTONS = [
    {"title": "Talk to a person", "payload": "/talk_to_person"},
    {"title": "I'm safe right now", "payload": "/crisis_safe"},
]
# Anything that looks like a phone number or short code, in order of appearance.
_NUMBER_LIKE = re.compile(r"(?:\+?1[\s.-]?)?(?:\(\d{3}\)[\s.-]?)?\d(?:[\d.-]|\s(?=\d))*")


def _allowed_numbers() -> set[str]:
    allowed: set[str] = set()
    for line in hotlines().values():
        for value in (line.call, line.text):
            if value:
                allowed.add(digits(value))
                allowed |= quoted_numbers(value)
    return allowed


def _numbers_in_order(text: str) -> list[str]:
    found = []
    for match in _NUMBER_LIKE.finditer(text):
        number = digits(match.group(0).strip())
        if len(number) >= 3:
            found.append(number)
    return found


def _all_verdicts() -> list[CrisisVerdict]:
    verdicts = []
    for level in ("concern", "urgent", "imminent"):
        for size in range(len(CATEGORIES) + 1):
            for combo in itertools.combinations(CATEGORIES, size):
                if level != "concern" and not combo:
                    continue
                verdicts.append(CrisisVerdict(level, combo))
    return verdicts


ALL_VERDICTS = _all_verdicts()


def _first_text(verdict: CrisisVerdict) -> str:
    return protocol_messages(verdict)[0]["text"]


def test_none_says_nothing() -> None:
    assert protocol_messages(CrisisVerdict()) == []


@pytest.mark.parametrize("verdict", ALL_VERDICTS, ids=lambda v: f"{v.level}-{'+'.join(v.categories) or 'none'}")
def test_every_number_comes_from_the_hotline_list(verdict: CrisisVerdict) -> None:
    allowed = _allowed_numbers()
    for message in protocol_messages(verdict):
        text = message["text"]
        assert quoted_numbers(text) <= allowed, text
        for number in _numbers_in_order(text):
            assert number in allowed, (number, text)


@pytest.mark.parametrize("verdict", ALL_VERDICTS, ids=lambda v: f"{v.level}-{'+'.join(v.categories) or 'none'}")
def test_message_shape(verdict: CrisisVerdict) -> None:
    messages = protocol_messages(verdict)
    assert len(messages) == 1
    message = messages[0]
    assert set(message) == {"text", "buttons"} and message["text"].strip()
    if verdict.is_crisis:
        assert message["buttons"] == BUTTONS
    else:
        assert message["buttons"] == []
    lowered = message["text"].lower()
    assert "what's your name" not in lowered and "what is your name" not in lowered
    assert len(message["text"]) < 600  # short enough to read on a phone in a hurry


@pytest.mark.parametrize("verdict", [v for v in ALL_VERDICTS if v.is_crisis], ids=str)
def test_911_first_when_someone_may_be_in_danger_now(verdict: CrisisVerdict) -> None:
    numbers = _numbers_in_order(_first_text(verdict))
    emergency = digits(hotlines()["emergency"].call or "")
    if verdict.level == "imminent" or {"danger_now", "medical_emergency"} & set(verdict.categories):
        assert numbers[0] == emergency
        assert contact_ids(verdict)[0] == "emergency"
    else:
        assert emergency not in numbers


@pytest.mark.parametrize(
    ("category", "line_id"),
    [
        ("suicidal", "lifeline988"),
        ("self_harm", "lifeline988"),
        ("trafficked_now", "nhth"),
        ("sexual_violence", "rainn"),
        ("abuse", "childhelp"),
    ],
)
@pytest.mark.parametrize("level", ["urgent", "imminent"])
def test_the_right_line_for_each_category(category: str, line_id: str, level: str) -> None:
    line = hotlines()[line_id]
    numbers = _numbers_in_order(_first_text(CrisisVerdict(level, (category,))))
    assert digits(line.call or line.text or "") in numbers
    if level == "urgent":
        assert numbers[0] == digits(line.call or line.text or "")


def test_988_for_suicidal_even_alongside_other_categories() -> None:
    text = _first_text(CrisisVerdict("urgent", ("trafficked_now", "suicidal")))
    numbers = _numbers_in_order(text)
    assert "988" in numbers and digits(hotlines()["nhth"].call or "") in numbers


def test_concern_is_one_gentle_line() -> None:
    text = _first_text(CrisisVerdict("concern", ()))
    assert len([n for n in _numbers_in_order(text) if n in _allowed_numbers()]) == 1
    assert "988" in _numbers_in_order(_first_text(CrisisVerdict("concern", ("suicidal",))))


def test_message_texts_name_lines_by_id_and_never_type_a_number() -> None:
    for path in MESSAGES_DIR.glob("*.yml"):
        raw = path.read_text(encoding="utf-8")
        bare = re.sub(r"\{(?:line|call):\w+\}", "", raw)
        assert not re.search(r"(?<!\w)\d{3}", bare), f"{path}: name lines by id ({{line:ID}} / {{call:ID}})"
        texts = yaml.safe_load(raw)
        every_id = {*texts["check_in_line"].values(), *(i for ids in texts["contacts"].values() for i in ids)}
        assert every_id <= set(hotlines()), every_id - set(hotlines())
        assert set(texts["contacts"]) == set(CATEGORIES)
