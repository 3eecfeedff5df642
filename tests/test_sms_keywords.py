"""Carrier keywords and delete requests: exact keywords act, sentences are conversation."""

from __future__ import annotations

import re
import string

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.sms.keywords import (
    CONTENT_DIR,
    HELP_WORDS,
    OPT_IN_WORDS,
    OPT_OUT_WORDS,
    Keyword,
    classify,
    is_delete_request,
    sms_text,
)
from resources.hotlines import hotlines


@pytest.mark.parametrize("body", [
    "STOP", "stop", "Stop", " STOP ", "STOP!", "stop.", "\"stop\"", "¡Stop!", "STOPALL", "stop all", "UNSUBSCRIBE",
    "cancel", "END", "end.", "QUIT", "revoke", "OPT OUT", "opt-out", "optout", "Opt_Out", "ＳＴＯＰ", "S\u200bTOP",
    "\tstop\n",
])
def test_opt_out(body: str) -> None:
    assert classify(body) is Keyword.OPT_OUT
    assert classify(body, opted_out=True) is Keyword.OPT_OUT


@pytest.mark.parametrize("body", ["START", "start", " Unstop ", "START."])
def test_opt_in(body: str) -> None:
    assert classify(body) is Keyword.OPT_IN


def test_yes_opts_in_only_while_opted_out() -> None:
    assert classify("YES", opted_out=True) is Keyword.OPT_IN
    assert classify("yes") is None  # an answer to the bot


@pytest.mark.parametrize("body", ["HELP", "help", "Help?", "INFO", "info!"])
def test_help(body: str) -> None:
    assert classify(body) is Keyword.HELP


@pytest.mark.parametrize("body", [
    "stop hurting me", "i want this to end", "make it stop", "please stop", "stop stop", "STOP IT", "i need help",
    "help me", "can you help", "help!!! he is here", "when does it end", "quit my job", "cancel my appointment",
    "start over", "i want to start fresh", "info about shelters", "end it all", "i cant stop crying", "",
    "stop 🛑", "yes", "no",
])
def test_sentences_are_conversation(body: str) -> None:
    assert classify(body) is None


@pytest.mark.parametrize("body", [
    "delete my messages", "Delete my messages.", "DELETE", "delete", "erase", "pls delete everything",
    "please delete my data", "can you delete this conversation?", "can u delete my texts", "delete all my messages",
    "erase this chat please", "wipe my history", "clear my messages", "i want you to delete my messages",
    "how do i delete my messages", "delete my number", "delete it", "forget me", "delete my msgs pls",
    "get rid of my messages", "I’d like to delete my chat",
])
def test_delete_requests(body: str) -> None:
    assert classify(body) is Keyword.DELETE


@pytest.mark.parametrize("body", [
    "he made me delete my messages", "dont delete my messages", "i deleted my messages", "he deletes my texts",
    "i want to get rid of it", "remove me", "i need to erase him from my life", "delete him", "clear",
    "my messages got deleted", "is this deleted?",
])
def test_not_delete_requests(body: str) -> None:
    assert not is_delete_request(body)


KEYWORDS = sorted(OPT_OUT_WORDS | OPT_IN_WORDS | HELP_WORDS)
PUNCT = " .!?¡¿\"'\t\n"


@settings(max_examples=300)
@given(st.sampled_from(KEYWORDS), st.text(PUNCT, max_size=4), st.text(PUNCT, max_size=4),
       st.lists(st.booleans(), min_size=12, max_size=12))
def test_any_case_any_outer_punctuation(word: str, before: str, after: str, upper: list[bool]) -> None:
    cased = "".join(ch.upper() if up else ch for ch, up in zip(word, upper * 2, strict=False))
    assert classify(before + cased + after) is not None


WORDS = st.sampled_from(["i", "me", "you", "he", "my", "want", "need", "please", "now", "it", "this", "hurting",
                         "crying", "bed", "shelter", "mom", "tonight", "all", "over"])


@settings(max_examples=300)
@given(st.sampled_from(KEYWORDS), st.lists(WORDS, min_size=1, max_size=4), st.lists(WORDS, max_size=4))
def test_keyword_inside_a_sentence_is_never_a_keyword(word: str, before: list[str], after: list[str]) -> None:
    sentence = " ".join([*before, word, *after])
    assert classify(sentence) not in (Keyword.OPT_OUT, Keyword.OPT_IN, Keyword.HELP)


@settings(max_examples=300)
@given(st.text(max_size=200), st.booleans())
def test_never_crashes(body: str, opted_out: bool) -> None:
    assert classify(body, opted_out) in (None, *Keyword)


# -- the channel's own texts ----------------------------------------------------------------------------


def _content() -> dict[str, str]:
    return yaml.safe_load((CONTENT_DIR / "en.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("key", sorted(_content()))
def test_texts_quote_numbers_only_by_reference(key: str) -> None:
    raw = _content()[key]
    assert not re.search(r"\d{3}[\s.-]?\d{4}", raw), f"{key}: a phone number typed into content"
    assert not re.search(r"\byour (real |full |first |last )?name\b", raw, re.I), f"{key}: asks for a name"
    filled = sms_text(key)
    assert "{" not in filled


@pytest.mark.parametrize("key", sorted(_content()))
def test_spanish_texts_exist_and_quote_numbers_only_by_reference(key: str) -> None:
    raw = yaml.safe_load((CONTENT_DIR / "es.yml").read_text(encoding="utf-8"))[key]
    assert not re.search(r"\d{3}[\s.-]?\d{4}", raw), f"{key}: a phone number typed into content"
    assert not re.search(r"\b(tu|su) nombre\b", raw, re.I), f"{key}: asks for a name"
    filled = sms_text(key, "es")
    assert "{" not in filled


def test_spanish_help_offers_988_with_the_spanish_option() -> None:
    text = sms_text("help", "es")
    assert "marca 2" in text and "STOP" in text and "911" in text


def test_help_names_the_24_7_lines_and_how_to_stop() -> None:
    text = sms_text("help")
    for line in ("nrs", "crisistextline", "nhth"):
        assert hotlines()[line].name in text
    assert "STOP" in text and "911" in text
    assert all(ch in string.printable or ord(ch) < 0x250 or ch == "·" for ch in text)


# -- Spanish --------------------------------------------------------------------------------------------

SPANISH_DELETE = [
    "borra mis mensajes", "Bórralo todo", "quiero borrar mis mensajes", "¿puedes borrar esta conversación?",
    "porfa borra mi número", "elimina mis datos", "borra el chat", "olvídame", "borra todos mis mensajes",
    "cómo borro mis mensajes", "BORRA MIS MENSAJES", "borrar", "borra todo por favor", "me puedes borrar mi historial?",
]
SPANISH_NOT_DELETE = [
    "no borres mis mensajes", "él me hizo borrar mis mensajes", "borré mis mensajes", "eliminé mis datos",
    "mi mamá borra mis mensajes", "ya se borraron mis mensajes?", "quiero borrarlo de mi vida", "borra a ese",
    "necesito que alguien me ayude a borrar las fotos que él tiene",
]


@pytest.mark.parametrize("body", SPANISH_DELETE)
def test_spanish_delete_requests(body: str) -> None:
    assert classify(body) is Keyword.DELETE


@pytest.mark.parametrize("body", SPANISH_NOT_DELETE)
def test_spanish_sentences_about_deleting_are_conversation(body: str) -> None:
    assert not is_delete_request(body)


@settings(max_examples=300)
@given(st.sampled_from(SPANISH_DELETE), st.sampled_from(["no", "nunca", "él me dijo que", "mi novio quiere que",
                                                         "no quiero", "no me", "ya"]))
def test_a_spanish_request_after_other_words_is_not_a_request(request: str, lead: str) -> None:
    """The request must be the whole message, as in English: "no borres…", "él me dijo que borre…" are news."""
    assert not is_delete_request(f"{lead} {request}")


@pytest.mark.parametrize(("body", "confirmed", "refused"), [
    ("Sí", True, False), ("si", True, False), ("Sí, bórrala", True, False), ("YES", True, False),
    ("No, déjala", False, True), ("no gracias", False, True), ("NO", False, True), ("mejor no", False, True),
    ("sí necesito ayuda", False, False), ("no sé", False, False),
])
def test_spanish_answers_to_the_erase_question(body: str, confirmed: bool, refused: bool) -> None:
    from channels.sms.keywords import is_confirmation, is_refusal

    assert (is_confirmation(body), is_refusal(body)) == (confirmed, refused)


def test_ayuda_alone_is_help_but_a_sentence_with_it_is_conversation() -> None:
    assert classify("AYUDA") is Keyword.HELP and classify("¡Ayuda!") is Keyword.HELP
    for sentence in ("ayuda por favor me quiere pegar", "necesito ayuda", "ayuda me"):
        assert classify(sentence) is None
