"""Carrier keywords and the "delete my messages" request, as they arrive in an SMS body.

Carriers (CTIA handbook, Twilio's default opt-out handling) act on a message that *is* the keyword: any
case, surrounding whitespace and punctuation ignored ("Stop.", " STOP! "). A sentence that merely contains
one ("stop hurting me", "i want this to end") is conversation and goes through the crisis layer as usual —
getting that wrong would silence someone at the worst moment, so matching is exact by design.

YES opts back in only while opted out: otherwise it is an answer to the bot's question.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from pathlib import Path

from bot.language import fold
from bot.texts import language_texts
from resources.hotlines import fill_lines

CONTENT_DIR = Path(__file__).parent / "content"


class Keyword(enum.StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    DELETE = "delete"


OPT_OUT_WORDS = frozenset(["stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit", "revoke",
                           "opt out", "optout"])
OPT_IN_WORDS = frozenset(["start", "unstop"])
OPT_IN_WHEN_OPTED_OUT = frozenset(["yes"])
# "ayuda" alone is the Spanish HELP: the same help text (which names the 24/7 lines), in Spanish.
HELP_WORDS = frozenset(["help", "info", "ayuda"])

_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u2060\ufeff]")
_INNER_SEPARATORS = re.compile(r"[\s\-_]+")

_POLITE = (r"(?:please|pls|plz|can you|can u|could you|could u|would you|will you|i want you to|i want to|"
           r"i wanna|i'd like to|id like to|i would like to|i would like you to|i need you to|i need to|"
           r"how do i|how can i|how to|i want|just|ok|okay|yes|hey|hi)")
_NOUNS = (r"(?:messages?|msgs?|texts?|txts?|data|chats?|conversations?|convos?|history|info|information|"
          r"number|phone number|records?|stuff|everything|it all)")
_DELETE = re.compile(
    rf"(?:{_POLITE}\s+)*"
    r"(?:"
    r"(?:delete|erase)"  # on its own
    r"|(?:delete|erase|wipe|remove|clear|destroy|get rid of)"
    r"(?:\s+(?:all(?: of)?|every|of))?(?:\s+(?:my|our|the|these|this|those|your|ur))?"
    rf"(?:\s+(?:whole|entire|old|text|chat|sms))?\s+{_NOUNS}"
    # "it" / "me" only with verbs that cannot mean anything else: "i want to get rid of it" is not about
    # this chat (it may be about a pregnancy), and must reach the conversation.
    r"|(?:delete|erase|wipe)\s+(?:it|me|all|it all)"
    r"|forget\s+(?:me|my number|everything|about me|my messages|this conversation|this chat)"
    r")"
    r"(?:\s+(?:with you|from (?:you|your \w+)|here|now|please|pls|plz|asap|right now|thanks|thank you|thx|"
    r"too|also|for me))*"
)


# Spanish requests, matched on the folded text (accents off: "bórralo" and "borralo" are one word on a phone).
# The same shape as the English: a polite lead-in, a verb of erasing, what to erase, a polite tail — the whole
# message, so "no borres mis mensajes" and "él me hizo borrar mis mensajes" stay conversation.
_POLITE_ES = (r"(?:por favor|porfa|plis|oye|hola|ok|si|solo|nomas|puedes|pueden|podrias|podrian|me puedes|"
              r"me podrias|quiero|quisiera|necesito|ocupo|como|como puedo|como le hago para|quiero que)")
_NOUNS_ES = (r"(?:mensajes?|msjs?|mensajitos|textos?|datos|chats?|conversacion(?:es)?|historial|informacion|info|"
             r"numero|(?:numero de )?(?:telefono|celular|cel)|registros?)")
_DELETE_ES = re.compile(
    rf"(?:{_POLITE_ES}\s+)*"
    r"(?:"
    # Not "borre"/"elimine": folded, they are also "borré" (I deleted), which is news, not a request.
    r"(?:borra|borrar|borren|elimina|eliminar|eliminen)"  # on its own
    r"|(?:borra|borrar|borren|borro|elimina|eliminar|eliminen|quita|quitar|limpia|limpiar)"
    r"(?:\s+(?:todos|todas|todo))?(?:\s+(?:mis|mi|los|las|el|la|esta|este|estos|estas|nuestros|nuestras|"
    r"nuestra|nuestro))?(?:\s+(?:todos|todas))?"
    rf"\s+{_NOUNS_ES}"
    r"|(?:borra|borrar|borren|elimina|eliminar)\s+todo"
    r"|(?:borralo|borrala|borralos|borralas|borrame|borrenme|eliminalo|eliminame)(?:\s+todo)?"
    r"|(?:olvidame|olvidate de mi|olvidense de mi)"
    r")"
    r"(?:\s+(?:por favor|porfa|plis|ya|ahorita|ahora|gracias|de aqui|de tu sistema|de su sistema|tambien|"
    r"todo|todos|completo|completa))*"
)

# Answers to "Erase this whole conversation?" (compared without outer punctuation, commas or accents: "Sí,
# bórrala" is "si borrala").
CONFIRM_WORDS = frozenset(["yes", "y", "si", "yes delete", "yes erase", "yes erase it", "delete", "erase",
                           "erase it", "confirm", "ok", "okay", "yes please", "yep", "yeah",
                           "si borrala", "borrala", "si borralo", "borralo", "si por favor", "si porfa", "claro",
                           "si claro", "si borra todo", "confirmo", "dale", "simon"])
REFUSE_WORDS = frozenset(["no", "n", "nope", "no thanks", "keep", "keep it", "no keep it", "cancel", "nah",
                          "no dejala", "dejala", "no gracias", "mejor no", "no la borres", "no borres nada", "nel",
                          "guardala", "no dejalo", "dejalo"])


def _answer(body: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", fold(normalize(body)))).strip()


def is_confirmation(body: str) -> bool:
    return _answer(body) in CONFIRM_WORDS


def is_refusal(body: str) -> bool:
    return _answer(body) in REFUSE_WORDS


def normalize(text: str) -> str:
    """Case-folded, compatibility-normalized ("ＳＴＯＰ"), invisible characters and outer punctuation gone,
    inner spaces, hyphens and underscores as one space ("opt-out" → "opt out")."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).casefold()
    text = text.strip("".join(ch for ch in set(text) if _is_outer(ch)))
    return _INNER_SEPARATORS.sub(" ", text).strip()


def _is_outer(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch).startswith("P")


def classify(body: str, opted_out: bool = False) -> Keyword | None:
    """The keyword this whole message is, or None when it is conversation."""
    word = normalize(body)
    if word in OPT_OUT_WORDS:
        return Keyword.OPT_OUT
    if word in OPT_IN_WORDS or (opted_out and word in OPT_IN_WHEN_OPTED_OUT):
        return Keyword.OPT_IN
    if word in HELP_WORDS:
        return Keyword.HELP
    if is_delete_request(body):
        return Keyword.DELETE
    return None


def is_delete_request(body: str) -> bool:
    """ "delete my messages", "pls erase everything", "can you delete this conversation?", "DELETE", "borra mis
    mensajes" — but not "he made me delete my messages", "don't delete my messages" or "no borres mis mensajes"
    (the request must be the whole message)."""
    text = normalize(body).replace("’", "'")
    text = re.sub(r"[^\w\s']", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return bool(text) and (_DELETE.fullmatch(text) is not None or _DELETE_ES.fullmatch(fold(text)) is not None)


def _texts(language: str) -> dict[str, str]:
    return language_texts(CONTENT_DIR, language)


def sms_text(key: str, language: str = "en") -> str:
    """A text of the SMS channel's own (help, opted_out, opted_in, delete_confirm, media_not_read)."""
    return fill_lines(_texts(language)[key], language=language if (CONTENT_DIR / f"{language}.yml").exists() else "en")
