"""Chat messages as SMS bodies: choices, compact cards, GSM-7, splitting, and numbered replies."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.replies import PERSON_BUTTON, engine_unavailable_messages
from channels.sms.format import (
    MAX_BODY_CHARS,
    Choice,
    card_lines,
    choice_payload,
    gsm_friendly,
    is_gsm7,
    offered_choices,
    render,
    segments,
    sms_length,
    split_body,
)

CARD: dict[str, Any] = {
    "id": "x", "name": "Sacramento Youth Shelter", "organization": "Youth Org", "category": "shelter",
    "description": "A long description nobody reads on a lock screen.", "phone": "(916) 555-0100",
    "phone_dial": "+19165550100", "text": None, "url": "https://example.org/shelter",
    "address": "1500 Main St, Sacramento, CA 95823", "open_now": True, "hours": "24/7", "opens_next": None,
    "distance_km": 2.4, "verified_on": "2026-11-01", "source_url": "https://example.org", "alert": None,
}


def test_card_is_compact() -> None:
    assert card_lines(CARD) == "Sacramento Youth Shelter\nCall (916) 555-0100\nOpen 24/7\nSacramento (1.5 mi)"


def test_card_without_phone_shows_url_and_address() -> None:
    card = {**CARD, "phone": None, "open_now": False, "opens_next": "Mon 9 AM", "distance_km": None}
    assert card_lines(card) == ("Sacramento Youth Shelter\nhttps://example.org/shelter\nOpens Mon 9 AM\n"
                                "1500 Main St, Sacramento, CA 95823")


def test_card_confidential_address_and_text_line() -> None:
    card = {**CARD, "text": "741741", "address": "Oakland — address shared when you call (kept private for safety)",
            "open_now": None, "hours": "Mon–Fri 9 AM–5 PM", "distance_km": None, "alert": "Call first"}
    assert card_lines(card) == ("Sacramento Youth Shelter\n! Call first\nCall (916) 555-0100, Text 741741\n"
                                "Mon–Fri 9 AM–5 PM\nOakland")
    assert "https://" not in card_lines(card)


def test_buttons_become_numbered_choices() -> None:
    reply = render([{"text": "Where are you?", "buttons": [{"title": "Find a bed", "payload": "/bed"},
                                                          {"title": "Food", "payload": "/food"}, PERSON_BUTTON]}])
    assert reply.bodies == ["Where are you?\n\n1) Find a bed\n2) Food\n3) Talk to a person\nReply 1, 2 or 3."]
    assert [c.payload for c in reply.choices] == ["/bed", "/food", "/talk_to_person"]
    assert choice_payload("2", reply.choices) == "/food"


def test_one_choice_and_duplicate_payloads() -> None:
    messages = [{"text": "a", "buttons": [PERSON_BUTTON]}, {"text": "b", "buttons": [PERSON_BUTTON]}]
    reply = render(messages)
    assert reply.bodies[0].endswith("1) Talk to a person\nReply 1.")
    assert len(reply.choices) == 1


def test_engine_down_reply_is_gsm7_and_one_body() -> None:
    reply = render(engine_unavailable_messages())
    assert len(reply.bodies) == 1 and is_gsm7(reply.bodies[0])
    assert "1-800-786-2929, text 66008" in reply.bodies[0]  # "·" became ", " not "-"


@pytest.mark.parametrize(("text", "expected"), [
    ("It’s “fine” — really…", "It's \"fine\" - really..."),
    ("• one\n• two", "- one\n- two"),
    ("Mañana, ¿sí?", "Mañana, ¿sí?"),  # ñ and ¿ are GSM-7; í is not and stays
])
def test_gsm_friendly(text: str, expected: str) -> None:
    assert gsm_friendly(text) == expected


def test_gsm_and_segments() -> None:
    assert is_gsm7("Hola, ¿dónde estás?") is False
    assert is_gsm7("Mañana ¿qué?") is True  # ñ, ¿ and é are all GSM-7
    assert is_gsm7("Mañana à 5 €") is True
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2
    assert segments("í" * 70) == 1 and segments("í" * 71) == 2
    assert sms_length("😀") == 2


def test_long_output_splits_at_paragraphs_and_numbers_parts() -> None:
    paragraphs = [f"Paragraph {i}. " + "word " * 60 for i in range(12)]
    parts = split_body("\n\n".join(p.strip() for p in paragraphs))
    assert len(parts) > 1
    assert all(sms_length(p) <= MAX_BODY_CHARS for p in parts)
    assert [p.split(" ", 1)[0] for p in parts] == [f"({i}/{len(parts)})" for i in range(1, len(parts) + 1)]
    for part in parts:  # every cut is at a paragraph
        assert part.split(" ", 1)[1].startswith("Paragraph")


def test_short_output_is_not_numbered() -> None:
    assert split_body("  hello  ") == ["hello"]
    assert split_body("   ") == []


@pytest.mark.parametrize(("reply", "expected"), [
    ("1", "/a"), (" 2 ", "/b"), ("2.", "/b"), ("#3", "/c"), ("(1)", "/a"), ("1)", "/a"), ("option 2", "/b"),
    ("two", "/b"), ("Tres", "/c"), ("１", "/a"), ("3\ufe0f\u20e3", "/c"), ("find a BED", "/a"),
    ("4", None), ("0", None), ("12", None), ("1 2", None), ("i need 1 bed", None), ("", None), ("one more thing", None),
])
def test_choice_payload(reply: str, expected: str | None) -> None:
    offered = [Choice(1, "Find a bed", "/a"), Choice(2, "Food", "/b"), Choice(3, "Talk to a person", "/c")]
    assert choice_payload(reply, offered) == expected


def test_no_choices_offered_means_plain_text() -> None:
    assert choice_payload("1", []) is None


# -- properties ----------------------------------------------------------------------------------------

buttons = st.lists(st.fixed_dictionaries({"title": st.text(min_size=1, max_size=30),
                                          "payload": st.text(min_size=1, max_size=30)}), max_size=12)


@settings(max_examples=300)
@given(buttons)
def test_every_offered_number_maps_back(button_list: list[dict[str, str]]) -> None:
    choices = offered_choices([{"text": "x", "buttons": button_list}])
    assert len(choices) <= 9
    for choice in choices:
        assert choice_payload(str(choice.number), choices) == choice.payload
        assert choice_payload(f" {choice.number}. ", choices) == choice.payload
    assert choice_payload(str(len(choices) + 1), choices) is None


@settings(max_examples=300)
@given(st.text(max_size=60), buttons)
def test_choice_payload_never_crashes_and_only_returns_offered(reply: str, button_list: list[dict[str, str]]) -> None:
    choices = offered_choices([{"text": "x", "buttons": button_list}])
    result = choice_payload(reply, choices)
    assert result is None or result in {c.payload for c in choices}


text_with_structure = st.lists(
    st.one_of(st.text(min_size=1, max_size=400), st.sampled_from(["\n", "\n\n", ". ", "! ", " "]),
              st.text("abcdefgh ", min_size=1, max_size=3000)),
    max_size=12,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(text_with_structure, st.integers(40, 1600))
def test_split_parts_fit_and_keep_every_word(text: str, limit: int) -> None:
    parts = split_body(text, limit)
    assert all(sms_length(p) <= limit for p in parts)
    stripped = [re.sub(r"^\(\d+/\d+\) ", "", p) for p in parts] if len(parts) > 1 else parts
    if all(sms_length(w) <= limit - 8 for w in text.split()):
        assert " ".join(stripped).split() == text.split()
    assert "".join("".join(stripped).split()) == "".join(text.split())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.fixed_dictionaries(
    {"text": st.text(max_size=500)},
    optional={"buttons": buttons, "resources": st.lists(st.fixed_dictionaries({}, optional={
        "name": st.text(max_size=40), "phone": st.none() | st.text(max_size=20),
        "text": st.none() | st.text(max_size=10),
        "url": st.none() | st.text(max_size=50), "address": st.text(max_size=80), "open_now": st.none() | st.booleans(),
        "hours": st.text(max_size=80), "opens_next": st.none() | st.text(max_size=20),
        "distance_km": st.none() | st.floats(allow_nan=True) | st.integers(), "alert": st.none() | st.text(max_size=40),
    }), max_size=5)}), max_size=4))
def test_render_never_crashes_and_fits(messages: list[dict[str, Any]]) -> None:
    reply = render(messages)
    assert all(0 < sms_length(b) <= MAX_BODY_CHARS for b in reply.bodies)
