"""Plain records every import format is turned into, and the checks they must pass before storage.

Curated YAML, HSDS JSON and HSDS CSV all become `OrganizationRecord`s; only valid records reach the
database, and every problem is reported with where it came from (`file:line` or a JSON path).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field

from resources.models import CATEGORIES, TAGS

DAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,119}$")
_TIME_RE = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)(?::[0-5]\d)?$")
_ZIP_RE = re.compile(r"^\d{5}$")
_LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_URL_RE = re.compile(r"^https?://[^\s]+$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SHORT_CODES = {"911", "988", "211", "311", "711"}


@dataclass(frozen=True, slots=True)
class Problem:
    where: str  # "seed/alameda.yaml:42" or "file.json: $.services[3]"
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.message}"


@dataclass(slots=True)
class OpeningRecord:
    weekday: int  # 0 = Monday
    opens_min: int
    closes_min: int  # may exceed 1440 for openings past midnight


@dataclass(slots=True)
class LocationRecord:
    id: str
    city: str
    county: str
    latitude: float
    longitude: float
    address_1: str | None = None
    postal_code: str | None = None
    confidential: bool = False
    name: str | None = None


@dataclass(frozen=True, slots=True)
class TranslationRecord:
    """A service's name/description in another language, as its own page in that language states them."""

    language: str
    source_url: str
    name: str | None = None
    description: str | None = None


@dataclass(slots=True)
class ServiceRecord:
    id: str
    name: str
    description: str
    categories: list[str]
    source_url: str
    verified_on: dt.date
    phone: str | None = None
    text: str | None = None
    email: str | None = None
    url: str | None = None
    min_age: int | None = None
    max_age: int | None = None
    languages: list[str] = field(default_factory=lambda: ["en"])
    # Its name/description in other languages, each from a page of its own in that language (cited).
    translations: list[TranslationRecord] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    cost: str | None = None
    always_open: bool = False
    openings: list[OpeningRecord] = field(default_factory=list)
    closed_on_holidays: bool = False  # on California state holidays (resources/schedule.py)
    status: str = "active"
    alert: str | None = None
    statewide: bool = False
    service_areas: list[str] = field(default_factory=list)
    location: LocationRecord | None = None
    where: str = ""
    # More places the service is delivered at (HSDS service_at_locations beyond the first).
    extra_locations: list[LocationRecord] = field(default_factory=list)
    # Where a field came from when it is not `where` itself: our field name → (where, source field name),
    # e.g. "phone" → ("feed.json: $.services[2].phones[0]", "number"), so problems point at the exact spot.
    origins: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Set by `python -m resources retire`; an import never reactivates a retired service.
    retired_on: dt.date | None = None

    def locations(self) -> list[LocationRecord]:
        return ([self.location] if self.location is not None else []) + self.extra_locations


@dataclass(slots=True)
class OrganizationRecord:
    id: str
    name: str
    description: str
    url: str | None
    services: list[ServiceRecord]
    email: str | None = None
    where: str = ""


def parse_time(value: str) -> int | None:
    """"HH:MM" (24-hour) → minutes since midnight; "24:00" is allowed as the end of a day."""
    match = _TIME_RE.match(value.strip())
    if not match:
        return None
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    return minutes if minutes <= 1440 else None


_KEYPAD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "22233344455566677778889999")
_US_PHONE = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?([2-9]\d{2})\)?[\s.-]?([2-9]\d{2})[\s.-]?(\d{4})(?!\d)")


def dial_digits(number: str) -> str | None:
    """The 10 digits to dial for a US number as a page prints it ("(916) 875-5437 (875-KIDS)",
    "1-833-SCC-KIDS", "916-SUPPORT"), or None if it is not one. Letters map to the phone keypad."""
    stripped = number.strip()
    if (match := _US_PHONE.search(stripped)) is not None:
        return "".join(match.groups())
    # "415-441-KIDS (5437)": the brackets spell the letters out again; drop them before using the keypad.
    spelled = re.sub(r"(?<=[A-Za-z])\s*\(\d+\)", "", stripped)
    keyed = re.sub(r"\D", "", spelled.upper().translate(_KEYPAD))
    if len(keyed) == 11 and keyed.startswith("1"):
        keyed = keyed[1:]
    if len(keyed) == 10 and keyed[0] in "23456789" and re.fullmatch(r"[\d\sA-Za-z().+-]+", spelled):
        return keyed
    return None


_INTERNATIONAL = re.compile(r"^\+[1-9][\d\s().-]{6,20}$")


def phone_problem(number: str) -> str | None:
    if re.sub(r"\D", "", number) in _SHORT_CODES and len(number.strip()) <= 5:
        return None
    if dial_digits(number):
        return None
    # "+44 1234 234567": an international number in E.164 style (7–15 digits after the +).
    if _INTERNATIONAL.match(number.strip()) and 7 <= len(re.sub(r"\D", "", number)) <= 15:
        return None
    return f"not a US phone number (nor a +country number): {number!r}"


def text_problem(value: str) -> str | None:
    """A text line is a phone number, a short code, or "KEYWORD to SHORTCODE"."""
    stripped = value.strip()
    if re.fullmatch(r"\d{5,6}", stripped):
        return None
    if re.fullmatch(r"[A-Za-z][A-Za-z ]{0,30} to [\d-]{5,12}", stripped):
        return None
    if (keyword := re.fullmatch(r"[A-Za-z]{2,20} to (.+)", stripped)) and phone_problem(keyword.group(1)) is None:
        return None
    return None if phone_problem(stripped) is None else f"not a text number or keyword: {value!r}"


def validate_service(record: ServiceRecord, seen_ids: set[str]) -> list[Problem]:
    problems: list[Problem] = []

    def bad(field_name: str, message: str) -> None:
        where, source_field = record.origins.get(field_name, (record.where, field_name))
        problems.append(Problem(where, source_field, message))

    if not _ID_RE.match(record.id):
        bad("id", f"must be 1–120 letters, digits or . _ : - (got {record.id!r})")
    elif record.id in seen_ids:
        bad("id", f"duplicate id {record.id!r}")
    seen_ids.add(record.id)
    if not record.name.strip():
        bad("name", "is empty")
    if not record.categories:
        bad("categories", "needs at least one category")
    for code in record.categories:
        if code not in CATEGORIES:
            bad("categories", f"unknown category {code!r} (known: {', '.join(CATEGORIES)})")
    for tag in record.tags:
        if tag not in TAGS:
            bad("tags", f"unknown tag {tag!r}")
    if not (_URL_RE.match(record.source_url or "") or record.source_url.startswith("reference:")):
        bad("source_url", "every service needs the http(s) page its facts were read from")
    if record.verified_on > dt.date.today() + dt.timedelta(days=1):
        bad("verified_on", f"is in the future ({record.verified_on})")
    if record.phone and (msg := phone_problem(record.phone)):
        bad("phone", msg)
    if record.text and (msg := text_problem(record.text)):
        bad("text", msg)
    if record.url and not _URL_RE.match(record.url):
        bad("url", f"not an http(s) URL: {record.url!r}")
    for label, age in (("min_age", record.min_age), ("max_age", record.max_age)):
        if age is not None and not 0 <= age <= 120:
            bad(label, f"out of range: {age}")
    if record.min_age is not None and record.max_age is not None and record.min_age > record.max_age:
        bad("max_age", f"max_age {record.max_age} is below min_age {record.min_age}")
    for code in record.languages:
        if not _LANG_RE.match(code):
            bad("languages", f"not a language code: {code!r}")
    seen_languages: set[str] = set()
    for translation in record.translations:
        if not _LANG_RE.match(translation.language) or translation.language == "en":
            bad("translations", f"not another language's code: {translation.language!r}")
        elif translation.language in seen_languages:
            bad("translations", f"{translation.language!r} given twice")
        seen_languages.add(translation.language)
        if not _URL_RE.match(translation.source_url or ""):
            bad("translations", f"{translation.language}: needs the http(s) page in that language it was read from")
        if not (translation.name or translation.description):
            bad("translations", f"{translation.language}: needs a name or a description")
        if translation.name is not None and len(translation.name) > 300:
            bad("translations", f"{translation.language}: name is longer than 300 characters")
    for opening in record.openings:
        if opening.closes_min <= opening.opens_min:
            bad("hours", "closes_at is before opens_at "
                f"({_fmt(opening.opens_min)}–{_fmt(opening.closes_min)})")
    if record.status not in ("active", "inactive", "defunct", "temporarily closed"):
        bad("status", f"unknown status {record.status!r}")
    for i, loc in enumerate(record.locations()):
        suffix = "" if i == 0 else f"#{i}"
        if not math.isfinite(loc.latitude) or not -90 <= loc.latitude <= 90:
            bad("latitude" + suffix, f"out of range (-90..90): {loc.latitude}")
        if not math.isfinite(loc.longitude) or not -180 <= loc.longitude <= 180:
            bad("longitude" + suffix, f"out of range (-180..180): {loc.longitude}")
        if loc.postal_code and not _ZIP_RE.match(loc.postal_code):
            bad("zip" + suffix, f"not a 5-digit ZIP: {loc.postal_code!r}")
        if not loc.city.strip():
            bad("city" + suffix, "is empty")
        if loc.id and not _ID_RE.match(loc.id):
            bad("location_id" + suffix, f"must be 1–120 letters, digits or . _ : - (got {loc.id!r})")
    if len(record.name) > 300:
        bad("name", f"is longer than 300 characters ({len(record.name)})")
    for label, value, limit in (("url", record.url, 500), ("email", record.email, 200),
                                ("source_url", record.source_url, 1000), ("phone", record.phone, 80),
                                ("text", record.text, 80)):
        if value is not None and len(value) > limit:
            bad(label, f"is longer than {limit} characters")
    if record.email and not _EMAIL_RE.match(record.email):
        bad("email", f"not an email address: {record.email!r}")
    return problems


def _fmt(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
