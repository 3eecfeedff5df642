"""Parsing and checking what the desk's pages send. Pure functions: each returns (value, None) or
(None, "what is wrong"), so handlers answer 400 with a reason and nothing is stored."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

MAX_TEXT = 2000
MAX_QUERY = 200
MAX_TAGS = 8
_ID = re.compile(r"[1-9][0-9]{0,17}")
_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
_RESOURCE_ID = re.compile(r"[A-Za-z0-9._:-]{1,120}")

Result = tuple[Any, str | None]


def parse_json(raw: bytes) -> Result:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, "body must be UTF-8 JSON"
    if not isinstance(body, dict):
        return None, "body must be a JSON object"
    return body, None


def parse_id(value: str) -> int | None:
    return int(value) if _ID.fullmatch(value) else None


def _clean(text: str) -> str:
    return text.replace("\x00", "").strip()


def parse_text(body: dict[str, Any], key: str = "text", max_chars: int = MAX_TEXT) -> Result:
    value = body.get(key)
    if not isinstance(value, str):
        return None, f'"{key}" must be a string'
    text = _clean(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return None, f'"{key}" must be valid Unicode'
    if not text:
        return None, f'"{key}" is empty'
    if len(text) > max_chars:
        return None, f'"{key}" is longer than {max_chars} characters'
    return text, None


def parse_login(body: dict[str, Any]) -> Result:
    name, password = body.get("name"), body.get("password")
    if not isinstance(name, str) or not _NAME.fullmatch(name.strip()):
        return None, "name and password are required"
    if not isinstance(password, str) or not 1 <= len(password) <= 1024:
        return None, "name and password are required"
    return (name.strip(), password), None


def parse_duty(body: dict[str, Any]) -> Result:
    value = body.get("on_duty")
    if not isinstance(value, bool):
        return None, '"on_duty" must be true or false'
    return value, None


def parse_wrap_up(body: dict[str, Any], allowed: Sequence[str]) -> Result:
    to = body.get("to")
    if to not in ("bot", "closed"):
        return None, '"to" must be "bot" or "closed"'
    tags = body.get("outcome", [])
    if not isinstance(tags, list) or len(tags) > MAX_TAGS or not all(isinstance(t, str) for t in tags):
        return None, f'"outcome" must be a list of at most {MAX_TAGS} tags'
    unknown = [t for t in tags if t not in allowed]
    if unknown:
        return None, "unknown outcome tag"
    return (list(dict.fromkeys(tags)), to), None


def parse_transfer(body: dict[str, Any]) -> Result:
    value = body.get("to")
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**53:
        return None, '"to" must be an advocate id'
    return value, None


def parse_query(value: str | None) -> Result:
    text = _clean(value or "")
    if not text:
        return None, "type what to look for, like: shelter in oakland"
    if len(text) > MAX_QUERY:
        return None, f"a search is at most {MAX_QUERY} characters"
    return text, None


def parse_resource(body: dict[str, Any]) -> Result:
    resource_id, query = body.get("resource_id"), body.get("q")
    if not isinstance(resource_id, str) or not _RESOURCE_ID.fullmatch(resource_id):
        return None, '"resource_id" must be the id of a search result'
    parsed, problem = parse_query(query if isinstance(query, str) else None)
    if problem:
        return None, problem
    return (resource_id, parsed), None
