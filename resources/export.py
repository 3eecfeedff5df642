"""`python -m resources export OUT.json`: the whole directory as HSDS 3.0, and a canonical dump for comparing.

The file is an HSDS paged list response (`contents`: organizations, each with its `services`), valid
against the official compiled `organization.json`; each service is valid against `service.json` too.
HSDS ids are UUIDs: ours are slugs, so each entity gets a stable UUID (uuid5 of its slug) and carries the
slug in a `youth-navigator/curation` attribute `id`, as it carries `source_url`, `confidential`, `cost`,
`statewide` and `retired_on`, which HSDS has no fields for. Categories and tags are taxonomy terms.

Confidential locations are written with city and county only: no street, no ZIP, and the coordinates of the
city's centre (the store never keeps a confidential location's real point).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from resources.models import Location, Organization, Service, ServiceAtLocation
from resources.taxonomy import CATEGORY_TAXONOMY, CURATION_TAXONOMY, TAG_TAXONOMY

_NAMESPACE = uuid.UUID("6f1c7a52-3d0b-5b8e-9a51-2f4c8e7d9b10")
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
PROFILE = "https://openreferral.org/hsds/3.0"


def as_uuid(kind: str, value: str) -> str:
    """Our id as an HSDS UUID: unchanged when it already is one, else a stable uuid5."""
    try:
        return str(uuid.UUID(value)) if len(value) == 36 else str(uuid.uuid5(_NAMESPACE, f"{kind}:{value}"))
    except ValueError:
        return str(uuid.uuid5(_NAMESPACE, f"{kind}:{value}"))


def _term(taxonomy: str, code: str, name: str) -> dict[str, Any]:
    return {"id": as_uuid("term", f"{taxonomy}/{code}"), "code": code, "name": name,
            "description": f"{taxonomy}: {name}", "taxonomy": taxonomy}


def _attribute(kind: str, owner_id: str, taxonomy: str, code: str, value: str | None = None) -> dict[str, Any]:
    attr: dict[str, Any] = {
        "id": as_uuid("attribute", f"{kind}:{owner_id}:{taxonomy}:{code}"),
        "link_id": as_uuid(kind, owner_id),
        "link_type": "curation" if taxonomy == CURATION_TAXONOMY else "classification",
        "link_entity": kind,
        "taxonomy_term": _term(taxonomy, code, code.replace("_", " ")),
    }
    if value is not None:
        attr["value"] = value
    return attr


def _curation(kind: str, owner_id: str, facts: dict[str, str | None]) -> list[dict[str, Any]]:
    return [_attribute(kind, owner_id, CURATION_TAXONOMY, code, value) for code, value in facts.items()
            if value is not None]


def _clock(minutes: int) -> str:
    minutes = min(minutes, 1439) if minutes == 1440 else minutes % 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _schedules(service: Service) -> list[dict[str, Any]]:
    spans: dict[tuple[int, int], list[int]] = {}
    if service.always_open:
        spans[(0, 1440)] = list(range(7))
    else:
        for s in sorted(service.schedules, key=lambda s: (s.opens_min, s.closes_min, s.weekday)):
            spans.setdefault((s.opens_min, s.closes_min), []).append(s.weekday)
    schedules = []
    for (opens, closes), days in spans.items():
        schedule: dict[str, Any] = {
            "id": as_uuid("schedule", f"{service.id}:{opens}:{closes}"),
            "service_id": as_uuid("service", service.id),
            "freq": "WEEKLY",
            "byday": ",".join(_DAYS[d] for d in sorted(set(days))),
            "opens_at": _clock(opens),
            "closes_at": _clock(closes),
            "timezone": -8,
        }
        if service.always_open:
            schedule["description"] = "Open 24 hours, every day"
        notes = []
        if closes > 1440:
            notes.append("overnight: closes the next day")
        if service.closed_on_holidays and not service.always_open:
            notes.append("closed on California state holidays")
        if notes:
            schedule["notes"] = "; ".join(notes)
        schedules.append(schedule)
    return schedules


def _location(location: Location) -> dict[str, Any]:
    address = location.address
    data: dict[str, Any] = {
        "id": as_uuid("location", location.id),
        "location_type": "physical",
        "organization_id": as_uuid("organization", location.organization_id),
        "latitude": location.latitude,
        "longitude": location.longitude,
        "addresses": [{
            "id": as_uuid("address", location.id),
            "location_id": as_uuid("location", location.id),
            # Confidential: the street and ZIP are never stored, so never written.
            "address_1": "" if location.confidential or address is None else (address.address_1 or ""),
            "city": address.city if address else location.county,
            "region": location.county,
            "state_province": "CA",
            "postal_code": "" if location.confidential or address is None else (address.postal_code or ""),
            "country": "US",
            "address_type": "physical",
        }],
        "attributes": _curation("location", location.id, {
            "id": location.id, "confidential": "true" if location.confidential else None}),
    }
    if location.name:
        data["name"] = location.name
    return data


def service_document(service: Service) -> dict[str, Any]:
    sid = service.id
    doc: dict[str, Any] = {
        "id": as_uuid("service", sid),
        "organization_id": as_uuid("organization", service.organization_id),
        "name": service.name,
        "description": service.description or "",
        "status": service.status,
        "assured_date": service.verified_on.isoformat(),
        "phones": [
            {"id": as_uuid("phone", p.id), "service_id": as_uuid("service", sid), "number": p.number,
             "type": p.type}
            for p in sorted(service.phones, key=lambda p: p.id)
        ],
        "schedules": _schedules(service),
        "service_areas": [
            {"id": as_uuid("service_area", a.id), "service_id": as_uuid("service", sid), "name": a.name,
             "extent_type": a.extent_type}
            for a in sorted(service.service_areas, key=lambda a: a.id)
        ],
        "languages": [
            {"id": as_uuid("language", f"{sid}:{lang.code}"), "service_id": as_uuid("service", sid),
             "code": lang.code}
            for lang in sorted(service.languages, key=lambda lang: lang.code)
        ],
        "service_at_locations": [
            {"id": as_uuid("service_at_location", sal.id), "service_id": as_uuid("service", sid),
             "location_id": as_uuid("location", sal.location_id), "location": _location(sal.location)}
            for sal in sorted(service.service_at_locations, key=lambda sal: sal.id)
        ],
        "attributes": [
            *(_attribute("service", sid, CATEGORY_TAXONOMY, c.category)
              for c in sorted(service.categories, key=lambda c: c.category)),
            *(_attribute("service", sid, TAG_TAXONOMY, t.tag) for t in sorted(service.tags, key=lambda t: t.tag)),
            *_curation("service", sid, {
                "id": sid, "source_url": service.source_url, "statewide": "true" if service.statewide else "false",
                "cost": service.cost, "retired_on": service.retired_on.isoformat() if service.retired_on else None,
                "closed_on_holidays": "true" if service.closed_on_holidays else None,
            }),
        ],
    }
    for key, value in (("url", service.url), ("email", service.email), ("alert", service.alert),
                       ("minimum_age", service.minimum_age), ("maximum_age", service.maximum_age)):
        if value is not None:
            doc[key] = value
    return doc


def organization_document(org: Organization) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": as_uuid("organization", org.id),
        "name": org.name,
        "description": org.description or "",
        "attributes": _curation("organization", org.id, {"id": org.id}),
        "services": [service_document(s) for s in sorted(org.services, key=lambda s: s.id)],
    }
    if org.url:
        doc["website"] = org.url
    if org.email:
        doc["email"] = org.email
    return doc


def _organizations(session: Session) -> Iterator[Organization]:
    yield from session.scalars(
        select(Organization).order_by(Organization.id).options(
            selectinload(Organization.services).selectinload(Service.service_at_locations)
            .joinedload(ServiceAtLocation.location).joinedload(Location.address))
    )


def export_document(session: Session) -> dict[str, Any]:
    contents = [organization_document(org) for org in _organizations(session)]
    return {"total_items": len(contents), "total_pages": 1, "page_number": 1, "size": len(contents),
            "first_page": True, "last_page": True, "empty": not contents, "contents": contents}


def write_export(session: Session, out: Path) -> int:
    document = export_document(session)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(out)
    return sum(len(org["services"]) for org in document["contents"])


def canonical_dump(session: Session) -> dict[str, Any]:
    """Everything the directory says, ids and all, in a stable order: equal dumps mean equal directories."""
    organizations = {}
    services = {}
    for org in _organizations(session):
        organizations[org.id] = {"name": org.name, "description": org.description, "url": org.url,
                                 "email": org.email}
        for s in org.services:
            services[s.id] = {
                "organization_id": s.organization_id, "name": s.name, "description": s.description,
                "url": s.url, "email": s.email, "status": s.status, "alert": s.alert,
                "minimum_age": s.minimum_age, "maximum_age": s.maximum_age, "cost": s.cost,
                "always_open": s.always_open, "source_url": s.source_url,
                "verified_on": s.verified_on.isoformat(), "statewide": s.statewide,
                "retired_on": s.retired_on.isoformat() if s.retired_on else None,
                "closed_on_holidays": s.closed_on_holidays,
                "categories": sorted(c.category for c in s.categories), "tags": sorted(t.tag for t in s.tags),
                "languages": sorted(lang.code for lang in s.languages),
                "phones": sorted((p.id, p.type, p.number) for p in s.phones),
                "hours": sorted((h.weekday, h.opens_min, h.closes_min) for h in s.schedules),
                "service_areas": sorted(a.name for a in s.service_areas),
                "locations": sorted(
                    (sal.location.id, sal.location.name, sal.location.latitude, sal.location.longitude,
                     sal.location.county, sal.location.confidential,
                     *((sal.location.address.address_1, sal.location.address.city, sal.location.address.postal_code)
                       if sal.location.address else (None, None, None)))
                    for sal in s.service_at_locations
                ),
            }
    return {"organizations": organizations, "services": services, "today": dt.date.today().isoformat()}
