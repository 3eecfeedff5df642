"""Reads the curated seed files (resources/data/seed/*.yaml) into records, with file:line for every problem."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from resources.geo import Gazetteer
from resources.records import (
    DAYS,
    LocationRecord,
    OpeningRecord,
    OrganizationRecord,
    Problem,
    ServiceRecord,
    TranslationRecord,
    parse_time,
)

SEED_DIR = Path(__file__).parent / "data" / "seed"
_LINE_KEY = "__line__"


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line each mapping starts on, so problems can point at it."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[_LINE_KEY] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def seed_files(seed_dir: Path = SEED_DIR) -> list[Path]:
    return sorted(seed_dir.glob("*.yaml"))


def read_curated_file(path: Path, gazetteer: Gazetteer) -> tuple[list[OrganizationRecord], list[Problem]]:
    label = _label(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return [], [Problem(label, "file", f"not readable YAML: {exc}")]
    if not isinstance(raw, dict) or not isinstance(raw.get("organizations"), list):
        return [], [Problem(label, "organizations", "the file needs a top-level 'organizations' list")]
    county = str(raw.get("county", "")).strip()
    problems: list[Problem] = []
    organizations: list[OrganizationRecord] = []
    for org in raw["organizations"]:
        if not isinstance(org, dict):
            problems.append(Problem(label, "organizations", "each organization must be a mapping"))
            continue
        record = _organization(org, county, label, gazetteer, problems)
        if record is not None:
            organizations.append(record)
    return organizations, problems


def _organization(
    org: dict[str, Any], county: str, label: str, gazetteer: Gazetteer, problems: list[Problem]
) -> OrganizationRecord | None:
    where = f"{label}:{org.get(_LINE_KEY, '?')}"
    missing = [key for key in ("id", "name", "services") if not org.get(key)]
    if missing:
        problems.extend(Problem(where, key, "is required") for key in missing)
        return None
    services = []
    for svc in org["services"]:
        if not isinstance(svc, dict):
            problems.append(Problem(where, "services", "each service must be a mapping"))
            continue
        record = _service(svc, org, county, label, gazetteer, problems)
        if record is not None:
            services.append(record)
    return OrganizationRecord(
        id=str(org["id"]),
        name=str(org["name"]),
        description=str(org.get("description", "")),
        url=org.get("url"),
        email=org.get("email"),
        services=services,
        where=where,
    )


def _service(
    svc: dict[str, Any],
    org: dict[str, Any],
    county: str,
    label: str,
    gazetteer: Gazetteer,
    problems: list[Problem],
) -> ServiceRecord | None:
    where = f"{label}:{svc.get(_LINE_KEY, '?')}"
    before = len(problems)
    for key in ("id", "name", "categories"):
        if not svc.get(key):
            problems.append(Problem(where, key, "is required"))
    verified = _date(svc.get("verified_on", org.get("verified_on")), where, problems)
    always_open, openings = _hours(svc.get("hours"), where, problems)
    location = _location(svc.get("location"), county, where, gazetteer, problems)
    min_age = _opt_int(svc.get("min_age"), "min_age", where, problems)
    max_age = _opt_int(svc.get("max_age"), "max_age", where, problems)
    if verified is None or any(p.field in ("id", "name", "categories") for p in problems[before:]):
        return None
    # Other problems are already reported; the record is still returned so that validation can report
    # what else is wrong with it in the same run (nothing is written while any problem stands).
    categories = svc["categories"] if isinstance(svc["categories"], list) else [svc["categories"]]
    return ServiceRecord(
        id=str(svc["id"]),
        name=str(svc["name"]),
        description=str(svc.get("description", "")),
        categories=[str(c) for c in categories],
        source_url=str(svc.get("source_url") or org.get("source_url") or ""),
        verified_on=verified,
        phone=_opt(svc.get("phone")),
        text=_opt(svc.get("text")),
        email=_opt(svc.get("email")),
        url=_opt(svc.get("url")),
        min_age=min_age,
        max_age=max_age,
        languages=[str(code) for code in (svc.get("languages") or ["en"])],
        translations=_translations(svc.get("translations"), where, problems),
        tags=[str(tag) for tag in (svc.get("tags") or [])],
        cost=_opt(svc.get("cost")),
        always_open=always_open,
        openings=openings,
        closed_on_holidays=_flag(svc.get("closed_on_holidays", False), "closed_on_holidays", where, problems),
        status=str(svc.get("status", "active")),
        alert=_opt(svc.get("alert")),
        statewide=bool(svc.get("statewide", False)),
        service_areas=[county] if county and location is None else [],
        location=location,
        where=where,
    )


def _translations(value: Any, where: str, problems: list[Problem]) -> list[TranslationRecord]:
    """`translations: {es: {name, description, source_url}}` — checked further by records.validate."""
    if value is None:
        return []
    if not isinstance(value, dict):
        problems.append(Problem(where, "translations", "must map a language code to {name, description, source_url}"))
        return []
    found = []
    for language, entry in value.items():
        if language == _LINE_KEY:
            continue
        if not isinstance(entry, dict):
            problems.append(Problem(where, "translations", f"{language}: must be {{name, description, source_url}}"))
            continue
        found.append(TranslationRecord(language=str(language), source_url=str(entry.get("source_url") or ""),
                                       name=_opt(entry.get("name")), description=_opt(entry.get("description"))))
    return found


def _flag(value: Any, name: str, where: str, problems: list[Problem]) -> bool:
    if isinstance(value, bool):
        return value
    problems.append(Problem(where, name, f"must be true or false, not {value!r}"))
    return False


def _hours(value: Any, where: str, problems: list[Problem]) -> tuple[bool, list[OpeningRecord]]:
    if value is None:
        return False, []
    if isinstance(value, str):
        if value.strip().lower() in ("24/7", "24 hours", "always"):
            return True, []
        problems.append(Problem(where, "hours", f"use \"24/7\" or a list of openings, not {value!r}"))
        return False, []
    if not isinstance(value, list):
        problems.append(Problem(where, "hours", "must be \"24/7\" or a list of {days, opens, closes}"))
        return False, []
    openings: list[OpeningRecord] = []
    for item in value:
        if not isinstance(item, dict):
            problems.append(Problem(where, "hours", f"each opening must be a mapping, not {item!r}"))
            continue
        at = f"{where.rsplit(':', 1)[0]}:{item.get(_LINE_KEY, '?')}"
        opens = parse_time(str(item.get("opens", "")))
        closes = parse_time(str(item.get("closes", "")))
        days = item.get("days") or []
        if opens is None or closes is None:
            problems.append(Problem(at, "hours", f"opens/closes must be HH:MM, got {item.get('opens')!r}–"
                                    f"{item.get('closes')!r}"))
            continue
        if item.get("overnight") and closes <= opens:
            closes += 1440
        unknown = [d for d in days if str(d).lower() not in DAYS]
        if unknown or not days:
            problems.append(Problem(at, "days", f"days must be some of {' '.join(DAYS)}, got {days!r}"))
            continue
        openings.extend(OpeningRecord(DAYS.index(str(d).lower()), opens, closes) for d in days)
    return False, openings


def _location(
    value: Any, county: str, where: str, gazetteer: Gazetteer, problems: list[Problem]
) -> LocationRecord | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not value.get("city"):
        problems.append(Problem(where, "location", "needs at least a city"))
        return None
    zip_code = _opt(value.get("zip"))
    place = (gazetteer.by_zip(zip_code) if zip_code else None) or gazetteer.by_name(str(value["city"]))
    if "latitude" in value and "longitude" in value:
        lat, lon = float(value["latitude"]), float(value["longitude"])
    elif place is not None:
        lat, lon = place.latitude, place.longitude
    else:
        problems.append(Problem(where, "location", f"unknown California city/ZIP {value['city']!r}/{zip_code!r}"))
        return None
    return LocationRecord(
        id="",  # filled by the store from the service id
        city=str(value["city"]),
        county=(place.county if place else county) or county,
        latitude=lat,
        longitude=lon,
        address_1=None if value.get("confidential") else _opt(value.get("address")),
        postal_code=zip_code,
        confidential=bool(value.get("confidential", False)),
        name=_opt(value.get("name")),
    )


def _date(value: Any, where: str, problems: list[Problem]) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.append(Problem(where, "verified_on", f"needs a date YYYY-MM-DD, got {value!r}"))
        return None


def _opt(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _opt_int(value: Any, name: str, where: str, problems: list[Problem]) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        problems.append(Problem(where, name, f"must be a whole number, got {value!r}"))
        return None


def _label(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
