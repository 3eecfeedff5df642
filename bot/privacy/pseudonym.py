"""Pseudonymous keys for people who reach us by phone: the number itself never becomes an identifier.

`PhoneKeys.lookup_key(number)` is HMAC-SHA256 over the normalized E.164 number with a secret from the
environment (`PSEUDONYM_SECRET`). Without the secret, a key cannot be turned back into a number by trying all
~10^10 North American numbers, which a plain hash would allow in minutes.

Design note for the wiring: use the key to *find* the conversation of a number (an index column), not as the
conversation id. The conversation id stays random; when a conversation is erased its row with this key goes
too, so a later text from the same phone starts a conversation that cannot be linked to the erased one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field

SECRET_ENV = "PSEUDONYM_SECRET"
MIN_SECRET_BYTES = 32
# Domain separation: the same secret must never produce the same value for two different purposes.
_CONTEXT = b"youth-navigator/phone-lookup/v1\x00"
_E164 = re.compile(r"\+[1-9]\d{7,14}")
_FORMATTING = re.compile(r"[\s().\-‐‑–—/]")


class PseudonymConfigError(RuntimeError):
    """The secret is missing or too weak; the message says how to fix it (and never shows the secret)."""


def normalize_e164(number: str, default_country_code: str = "1") -> str:
    """"(916) 555-0123", "1-916-555-0123", "+1 916 555 0123", "tel:+19165550123" → "+19165550123".

    Raises ValueError for anything that is not a dialable phone number (short codes, letters, too short).
    """
    raw = number.strip()
    if raw.lower().startswith("tel:"):
        raw = raw[4:]
    raw = _FORMATTING.sub("", raw)
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if not raw.startswith("+"):
        if not raw.isascii() or not raw.isdigit():
            raise ValueError("not a phone number")
        if default_country_code == "1" and len(raw) == 11 and raw.startswith("1"):
            raw = "+" + raw
        elif default_country_code == "1" and len(raw) == 10:
            raw = "+1" + raw
        else:
            raise ValueError("not a phone number in E.164 or a national format we know")
    if not (raw.isascii() and _E164.fullmatch(raw)):
        raise ValueError("not an E.164 phone number")
    return raw


@dataclass(frozen=True)
class PhoneKeys:
    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_SECRET_BYTES:
            raise PseudonymConfigError(f"{SECRET_ENV} must be at least {MIN_SECRET_BYTES} bytes")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> PhoneKeys:
        value = (os.environ if environ is None else environ).get(SECRET_ENV, "")
        if not value.strip():
            raise PseudonymConfigError(
                f"{SECRET_ENV} is not set: set it to a long random value, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`, and keep it as safe as the "
                "database password (whoever holds it can test whether a number has texted us)"
            )
        return cls(value.strip().encode())

    def lookup_key(self, number: str) -> str:
        """64 hex characters; the same phone number in any format gives the same key."""
        e164 = normalize_e164(number)
        return hmac.new(self.secret, _CONTEXT + e164.encode(), hashlib.sha256).hexdigest()
