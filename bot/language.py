"""Which language a conversation is in: "en" or "es". Pure: no I/O beyond loading the shipped model once.

`detect_language(text, previous)` reads one inbound message given the conversation's language so far
(None for the first message) and returns the language to answer in:

1. An explicit switch wins at once: "español", "en español por favor", "ES", "spanish please" → es;
   "english", "inglés", "EN", "in english please" → en.
2. Otherwise the message is read by py3langid (langid.py's model, shipped inside the wheel: nothing is
   downloaded at run time), restricted to English and Spanish, together with a short list of everyday words
   of each language — a language-ID model is unreliable on "hola", "ok", "95823".
3. Hysteresis: once a conversation has a language, it changes only when a message of at least three words is
   clearly in the other language and holds none of the current language's everyday words. Spanglish
   ("i need food porfa", "thanks") keeps a Spanish conversation in Spanish; a place, a ZIP, "ok" never flips it.

A message that says nothing either way, or a button payload ("/crisis_safe"), keeps `previous`, or "en" for a
first message.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import cache
from typing import Any

LANGUAGES = ("en", "es")
DEFAULT = "en"
# langid must be at least this sure, on a message of at least MIN_WORDS words, to decide on its own.
CONFIDENT = 0.9
SWITCH_CONFIDENT = 0.95
MIN_WORDS = 3
MAX_CHARS = 2_000

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
# Explicit requests, matched against the whole message (accents off, lower case, punctuation dropped).
_TO_SPANISH = re.compile(
    r"^(?:(?:en|in)\s+)?(?:espanol|spanish)(?:\s+(?:por\s+favor|porfa|plis|please|pls))?$"
    r"|^es$"
    r"|^(?:por\s+favor\s+)?(?:en\s+)?espanol(?:\s+por\s+favor)?$"
    r"|^(?:hablas?|hablan|habla\s+usted)\s+espanol$"
    r"|^(?:prefiero|quiero)\s+(?:hablar\s+)?(?:en\s+)?espanol(?:\s+por\s+favor)?$"
    r"|^(?:can\s+(?:we|you)\s+)?(?:talk|speak|write|text)\s+(?:in\s+)?spanish(?:\s+please)?$"
    r"|^(?:yo\s+)?hablo\s+espanol$"
    r"|^(?:do\s+you\s+)?speak\s+spanish$"
)
_TO_ENGLISH = re.compile(
    r"^(?:(?:en|in)\s+)?(?:english|ingles)(?:\s+(?:por\s+favor|porfa|plis|please|pls))?$"
    r"|^en$"
    r"|^(?:hablas?|hablan|habla\s+usted)\s+ingles$"
    r"|^(?:prefiero|quiero)\s+(?:hablar\s+)?(?:en\s+)?ingles(?:\s+por\s+favor)?$"
    r"|^(?:can\s+(?:we|you)\s+)?(?:talk|speak|write|text)\s+(?:in\s+)?english(?:\s+please)?$"
    r"|^(?:do\s+you\s+)?speak\s+english$"
    r"|^english\s+only$"
)
def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Everyday words that only one of the two languages uses (accents off). Words both share ("no", "me", "a",
# "ok", place names) are in neither list.
_SPANISH_WORDS = _word_set("""
hola holi buenas buenos gracias grax porfa favor ayuda ayudame necesito ocupo quiero queria tengo estoy ando
donde que como cuando quien porque pero tambien para pa con una unos unas el la los las mi mis tu yo soy eres
es esta estas de del en al y o si comida casa calle hambre nada bien sale orale nel simon mas lugar ahorita
hoy noche albergue salvo persona hablar dormir quedarme adios hija hijo mama papa crianza trabajadora social
nadie vivir morir puedo puedes sabes hay algo alguien aqui alla ya muy mucho poco sola solo tienes
""")
_ENGLISH_WORDS = _word_set("""
hi hello hey thanks thank thx you your i i'm im i'll ive need want help where what how when who why the to my
is are am and please pls plz yes yeah yea nah food shelter sleep stay place bye okay can get find near person
talk safe tonight somewhere anymore don't dont with for of in it that this have just know think like got
going gonna wanna daughter son kid mom dad foster worker clinic lawyer anything someone nobody
""")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def explicit_switch(text: str) -> str | None:
    """"español", "ES", "en español por favor" → "es"; "english", "EN", "inglés" → "en"; else None."""
    bare = " ".join(_WORD.findall(fold(text[:200])))
    if _TO_SPANISH.match(bare):
        return "es"
    if _TO_ENGLISH.match(bare):
        return "en"
    return None


def detect_language(text: str, previous: str | None = None) -> str:
    """The language to answer this message in ("en" or "es"), given the conversation's language so far."""
    current = previous if previous in LANGUAGES else None
    if not isinstance(text, str) or not text.strip() or text.lstrip().startswith("/"):
        # Nothing to read, or a button payload ("/find_resource{...}"): payloads are not in any language.
        return current or DEFAULT
    switch = explicit_switch(text)
    if switch is not None:
        return switch
    words = _WORD.findall(fold(text[:MAX_CHARS]))
    if not words:
        return current or DEFAULT
    spanish = sum(w in _SPANISH_WORDS for w in words)
    english = sum(w in _ENGLISH_WORDS for w in words)
    model_language, confidence = _classify(text[:MAX_CHARS])
    if current is None:
        if len(words) >= MIN_WORDS and confidence >= CONFIDENT and not _contradicted(model_language, spanish, english):
            return model_language
        if spanish != english:
            return "es" if spanish > english else "en"
        return model_language if confidence >= CONFIDENT else DEFAULT
    other = "es" if current == "en" else "en"
    own_words = spanish if current == "es" else english
    other_words = english if current == "es" else spanish
    if own_words:
        return current
    if len(words) >= MIN_WORDS and model_language == other and confidence >= SWITCH_CONFIDENT and other_words >= 1:
        return other
    if other_words >= 2 and len(words) >= MIN_WORDS:
        return other
    return current


def _contradicted(language: str, spanish: int, english: int) -> bool:
    """The everyday words clearly point the other way ("necesito un shelter near me" is Spanglish)."""
    return (spanish - english >= 2) if language == "en" else (english - spanish >= 2)


_lock = threading.Lock()


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def _classify(text: str) -> tuple[str, float]:
    with _lock:  # the identifier keeps scratch state; one caller at a time (it takes well under a millisecond)
        language, confidence = _identifier().classify(text)
    return str(language), float(confidence)
