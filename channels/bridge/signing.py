"""Request signing shared by both sides of the bridge. Standard library only (runs under Rasa's Python too).

Signature = hex HMAC-SHA256(secret, f"{timestamp}.{body}"). A request is accepted only with a fresh
timestamp, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Bridge-Signature"
TIMESTAMP_HEADER = "X-Bridge-Timestamp"
MAX_SKEW_SECONDS = 120


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {SIGNATURE_HEADER: digest, TIMESTAMP_HEADER: stamp}


def verify(secret: str, body: bytes, signature: str | None, timestamp: str | None, now: float | None = None) -> bool:
    # isdigit() alone accepts "¹" and other Unicode digits that int() refuses: ASCII digits only.
    if not secret or not signature or not timestamp or not (timestamp.isascii() and timestamp.isdigit()):
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > MAX_SKEW_SECONDS:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))
