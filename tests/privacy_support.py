"""Helpers for the privacy tests on the real stack: signed SMS webhooks, the stack's stores, byte scans."""

from __future__ import annotations

import secrets
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bot.launcher import Stack
from bot.privacy.pseudonym import PhoneKeys
from channels.sms.config import WEBHOOK_PATH
from tests.db import on_postgres, query, rasa_query, table_dump  # noqa: F401  (query helpers re-exported)
from tests.fakes.fake_twilio import encode_form, inbound_params, sign_webhook


def post_sms(stack: Stack, params: dict[str, str], headers: dict[str, str]) -> tuple[int, list[str]]:
    req = urllib.request.Request(stack.url + WEBHOOK_PATH, data=encode_form(params), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, []
    return status, [m.text or "" for m in ET.fromstring(raw)]


def text(stack: Stack, body: str, from_number: str, message_sid: str | None = None,
         **extra: str) -> tuple[int, list[str]]:
    """An inbound SMS, signed with the twilio package exactly as Twilio signs it (URL = PUBLIC_BASE_URL)."""
    params = inbound_params(body, from_number=from_number, message_sid=message_sid, **extra)
    return post_sms(stack, params, sign_webhook(stack.url + WEBHOOK_PATH, params))


_PHONES_GIVEN: set[str] = set()


def new_phone() -> str:
    """A number from the 555-01xx block reserved for fiction, never the same twice in a test session
    (two tests sharing a number would share a conversation)."""
    assert len(_PHONES_GIVEN) < 900, "the fictional 555-01xx numbers are nearly used up in this session"
    while True:
        area = secrets.choice(["209", "310", "415", "510", "530", "559", "619", "707", "818", "916"])
        phone = f"+1{area}55501{secrets.randbelow(100):02d}"
        if phone not in _PHONES_GIVEN:
            _PHONES_GIVEN.add(phone)
            return phone


def sms_conversation(stack: Stack, phone: str) -> str:
    """The conversation this phone's texts reach, found the way the gateway finds it: by the number's keyed
    pseudonym (never by recency, which other tests' rows can tie with)."""
    key = PhoneKeys(stack.extra_env["PSEUDONYM_SECRET"].encode()).lookup_key(phone)
    rows = query(stack, "SELECT conversation_id FROM sms_senders WHERE lookup_key = ? AND conversation_id IS NOT NULL",
                 [key])
    assert len(rows) == 1, f"expected one conversation for this phone, found {len(rows)}"
    return rows[0][0]


def sms_conversation_ids(stack: Stack) -> set[str]:
    return {row[0] for row in query(stack, "SELECT conversation_id FROM sms_senders WHERE conversation_id IS NOT NULL")}


def database_files(stack: Stack) -> list[Path]:
    """Every database file of the stack (gateway, Rasa's tracker store, their -wal/-journal companions).
    SQLite only: on PostgreSQL use `stored_occurrences`."""
    files = [p for p in stack.data_dir.rglob("*") if p.is_file() and "logs" not in p.parts]
    assert any(p.name == "navigator.db" for p in files) and any(p.name == "rasa_tracker.db" for p in files)
    return files


def stored_occurrences(stack: Stack, needles: Iterable[str]) -> dict[str, list[str]]:
    """needle → where the stack's stores still hold it: SQLite files byte for byte (deleted rows must be
    overwritten, not just unlinked), or, on PostgreSQL, any row of any table (ours and Rasa's). Physical
    removal of dead rows there is VACUUM's job, outside what the application controls."""
    if not on_postgres(stack):
        return occurrences(database_files(stack), needles)
    found: dict[str, list[str]] = {}
    dump = table_dump(stack)
    for needle in needles:
        tables = [table for table, rows in dump.items() if needle.lower() in rows]
        if tables:
            found[needle] = tables
    return found


def log_files(stack: Stack) -> list[Path]:
    files = sorted((stack.data_dir / "logs").glob("*.log"))
    assert {p.name for p in files} >= {"gateway.log", "rasa.log", "actions.log"}
    return files


def occurrences(paths: Iterable[Path], needles: Iterable[str]) -> dict[str, list[str]]:
    """needle → files whose bytes contain it (case-insensitive), for UTF-8 and UTF-16 (JSON escapes too)."""
    found: dict[str, list[str]] = {}
    contents = [(p, p.read_bytes().lower()) for p in paths]
    for needle in needles:
        forms = {needle.lower().encode(), needle.lower().encode("utf-16-le")}
        for path, data in contents:
            if any(form in data for form in forms):
                found.setdefault(needle, []).append(path.name)
    return found


def wait_for(condition: Callable[[], Any], timeout_s: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")
