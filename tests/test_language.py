"""bot/language.py: the conversation's language from its messages (py3langid + everyday words + switches)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.language import LANGUAGES, detect_language, explicit_switch

SPANISH = ["necesito un lugar pa dormir en fresno", "ando en la calle", "mi hija de crianza se fue anoche",
           "hola", "gracias", "ya no quiero vivir", "me corrieron de mi casa y no tengo donde quedarme",
           "soy trabajadora social, busco albergues", "necesito comida near 95823", "donde hay una clinica"]
ENGLISH = ["i need somewhere to sleep tonight", "hi", "thanks", "where can i get food in oakland",
           "i'm a foster parent and my daughter is missing", "i want to talk to a person", "help"]


@pytest.mark.parametrize("text", SPANISH)
def test_a_first_spanish_message_starts_a_spanish_conversation(text: str) -> None:
    assert detect_language(text, None) == "es"


@pytest.mark.parametrize("text", ENGLISH)
def test_a_first_english_message_starts_an_english_conversation(text: str) -> None:
    assert detect_language(text, None) == "en"


@pytest.mark.parametrize(("text", "expected"), [
    ("español", "es"), ("Español", "es"), ("ES", "es"), ("es", "es"), ("en español por favor", "es"),
    ("spanish please", "es"), ("¿hablas español?", "es"), ("english", "en"), ("English please", "en"),
    ("EN", "en"), ("inglés", "en"), ("in english", "en"), ("can we talk in english", "en"),
])
def test_explicit_switches_win_whatever_came_before(text: str, expected: str) -> None:
    assert explicit_switch(text) == expected
    for previous in (None, "en", "es"):
        assert detect_language(text, previous) == expected


@pytest.mark.parametrize("text", ["ok", "95823", "fresno", "thanks", "i need food porfa", "si", "lol", "👍"])
def test_a_spanish_conversation_is_not_flipped_by_short_or_mixed_messages(text: str) -> None:
    assert detect_language(text, "es") == "es"


@pytest.mark.parametrize("text", ["ok", "95823", "gracias", "si", "fresno", "lol"])
def test_an_english_conversation_is_not_flipped_by_short_messages(text: str) -> None:
    assert detect_language(text, "en") == "en"


def test_button_payloads_keep_the_conversation_language() -> None:
    assert detect_language('/find_resource{"need": "food"}', "es") == "es"
    assert detect_language("/crisis_safe", "es") == "es"


def test_a_clear_message_in_the_other_language_switches() -> None:
    assert detect_language("where can i sleep tonight im in fresno", "es") == "en"
    assert detect_language("mi hija de crianza se fue y no se donde esta", "en") == "es"


@given(st.text(max_size=300), st.sampled_from([None, "en", "es", "fr", ""]))
@settings(max_examples=300, deadline=None)
def test_always_answers_en_or_es_and_never_raises(text: str, previous: str | None) -> None:
    assert detect_language(text, previous) in LANGUAGES


@given(st.text(alphabet="0123456789 .,!?-:)(", max_size=40), st.sampled_from(["en", "es"]))
@settings(max_examples=200, deadline=None)
def test_messages_without_words_keep_the_conversation_language(text: str, previous: str) -> None:
    assert detect_language(text, previous) == previous


@given(st.sampled_from(["español", "spanish", "ES", "english", "EN", "inglés"]),
       st.sampled_from(["", "!", "?", " ", "."]))
@settings(max_examples=60, deadline=None)
def test_switches_survive_case_and_punctuation(word: str, tail: str) -> None:
    expected = "es" if word.lower() in ("español", "spanish", "es") else "en"
    assert detect_language(word.upper() + tail, "en" if expected == "es" else "es") == expected
