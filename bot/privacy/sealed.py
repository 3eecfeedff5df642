"""Sealed storage for the one identifier we must keep: the phone number we answer later replies to.

AES-256-GCM (the `cryptography` package) with a key from the environment (`SEALING_KEY`, 32 random bytes,
base64). A sealed value is bound to its context (associated data, e.g. the conversation's lookup key), so a
ciphertext copied onto another row does not open there. Several keys may be configured for rotation
(`SEALING_KEY` = "new,old"): the first seals, all of them open, and each token names its key by a short id.

Generate a key: `python -m bot.privacy.sealed genkey`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import sys
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_ENV = "SEALING_KEY"
_VERSION = b"\x01"
_NONCE_BYTES = 12
_KEY_ID_BYTES = 4


class SealingConfigError(RuntimeError):
    """The key is missing or malformed; the message says how to fix it (and never shows the key)."""


class SealedDataError(ValueError):
    """A sealed value could not be opened: wrong key, wrong context, or damaged (never says more)."""


def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _decode_key(text: str, position: int) -> bytes:
    value = text.strip()
    try:
        key = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        try:
            key = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
        except (binascii.Error, ValueError):
            key = b""
    if len(key) != 32:
        raise SealingConfigError(
            f"{KEY_ENV} key #{position + 1} is not 32 bytes of base64; generate one with "
            "`python -m bot.privacy.sealed genkey`"
        )
    return key


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"sealing-key-id\x00" + key).digest()[:_KEY_ID_BYTES]


@dataclass(frozen=True)
class Sealer:
    keys: tuple[bytes, ...] = field(repr=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise SealingConfigError(f"{KEY_ENV} holds no key")
        if any(len(k) != 32 for k in self.keys):
            raise SealingConfigError(f"every {KEY_ENV} key must be 32 bytes")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Sealer:
        value = (os.environ if environ is None else environ).get(KEY_ENV, "")
        if not value.strip():
            raise SealingConfigError(
                f"{KEY_ENV} is not set: generate one with `python -m bot.privacy.sealed genkey` and keep it "
                "outside the database and its backups"
            )
        return cls(tuple(_decode_key(part, i) for i, part in enumerate(value.split(",")) if part.strip()))

    def seal(self, plaintext: str, context: str = "") -> str:
        """A URL-safe string to store; a new random nonce every time, so equal inputs give unequal outputs."""
        key = self.keys[0]
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), _aad(context))
        return base64.urlsafe_b64encode(_VERSION + _key_id(key) + nonce + sealed).decode()

    def open(self, token: str, context: str = "") -> str:
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
            raise SealedDataError("not a sealed value") from exc
        header = 1 + _KEY_ID_BYTES + _NONCE_BYTES
        if len(raw) < header + 16 or raw[:1] != _VERSION:
            raise SealedDataError("not a sealed value")
        key_id, nonce, sealed = raw[1 : 1 + _KEY_ID_BYTES], raw[1 + _KEY_ID_BYTES : header], raw[header:]
        for key in self.keys:
            if _key_id(key) == key_id:
                try:
                    return AESGCM(key).decrypt(nonce, sealed, _aad(context)).decode()
                except (InvalidTag, UnicodeDecodeError) as exc:
                    raise SealedDataError("sealed value does not open with this key and context") from exc
        raise SealedDataError("sealed with a key that is not configured")


def _aad(context: str) -> bytes:
    return b"youth-navigator/sealed/v1\x00" + context.encode()


if __name__ == "__main__":
    if sys.argv[1:] == ["genkey"]:
        print(generate_key())
    else:
        print("usage: python -m bot.privacy.sealed genkey", file=sys.stderr)
        sys.exit(2)
