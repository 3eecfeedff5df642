"""Structured logs that cannot carry what identifies a youth.

One JSON object per line: time, level, logger, message and the record's `extra` fields. Nothing at INFO
logs message text (the code logs events and counts); as a second line of defence every formatted line is
scrubbed: phone-like digit runs, emails, bearer/basic credentials and long random tokens (conversation
tokens, keys) are replaced before the line is written — also in exception text.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
from typing import Any

_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()) | {"message", "asctime"}
_SCRUBS = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]+"), r"\1 [secret]"),
    (re.compile(r"[^\s@<>()\[\]{},;:\"']+@[\w\-]+(?:\.[\w\-]+)+"), "[email]"),
    (re.compile(r"(?<![\w(])\+?\(?\d[\d\s().\-]{6,}\d(?![\w])"), "[number]"),
    (re.compile(r"(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]{24,}(?![A-Za-z0-9_\-])"), "[id]"),
)


def scrub(text: str) -> str:
    for pattern, replacement in _SCRUBS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return scrub(json.dumps(entry, default=str, ensure_ascii=False))


def configure_logging(level: str | None = None) -> None:
    """The gateway's logging: JSON lines on stderr at LOG_LEVEL (default INFO)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel((level or os.environ.get("LOG_LEVEL") or "INFO").upper())
    # aiohttp's access log would write every URL (conversation ids) and client address: off.
    logging.getLogger("aiohttp.access").disabled = True
