"""Writes validated records into the directory tables: upsert by id, all in the caller's transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from resources.hotlines import Hotline
from resources.models import (
    Address,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceCategory,
    ServiceTag,
)
from resources.records import OrganizationRecord, Problem, ServiceRecord, validate_service


@dataclass(slots=True)
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate(organizations: list[OrganizationRecord]) -> list[Problem]:
    seen: set[str] = set()
    org_seen: set[str] = set()
    problems: list[Problem] = []
    for org in organizations:
        if org.id in org_seen:
            problems.append(Problem(org.where, "id", f"duplicate organization id {org.id!r}"))
        org_seen.add(org.id)
        for service in org.services:
            problems.extend(validate_service(service, seen))
    return problems


def upsert_organizations(session: Session, organizations: list[OrganizationRecord]) -> ImportReport:
    """Validate everything first; write nothing unless all of it is valid."""
    report = ImportReport(problems=validate(organizations))
    if report.problems:
        return report
    for org in organizations:
        existing = session.get(Organization, org.id)
        if existing is None:
            existing = Organization(id=org.id, name=org.name)
            session.add(existing)
        existing.name, existing.description = org.name, org.description
        existing.url, existing.email = org.url, org.email
        for service in org.services:
            before = _fingerprint(session.get(Service, service.id))
            _write_service(session, org.id, service)
            session.flush()
            after = _fingerprint(session.get(Service, service.id))
            if before is None:
                report.created.append(service.id)
            elif before != after:
                report.updated.append(service.id)
            else:
                report.unchanged.append(service.id)
    return report


def _write_service(session: Session, org_id: str, record: ServiceRecord) -> None:
    service = session.get(Service, record.id)
    if service is None:
        service = Service(id=record.id, organization_id=org_id)
        session.add(service)
    else:
        # Child rows are rewritten whole: simpler and exact, and a service has only a handful of them.
        for child in (ServiceCategory, ServiceTag, Phone, Schedule, Language, ServiceArea, ServiceAtLocation):
            session.execute(delete(child).where(child.service_id == record.id))
        session.expire(service)
    service.organization_id = org_id
    service.name, service.description = record.name, record.description
    service.url, service.email = record.url, record.email
    service.status, service.alert = record.status, record.alert
    service.minimum_age, service.maximum_age = record.min_age, record.max_age
    service.cost, service.always_open = record.cost, record.always_open
    service.source_url, service.verified_on = record.source_url, record.verified_on
    service.statewide = record.statewide
    session.add_all(ServiceCategory(service_id=record.id, category=c) for c in dict.fromkeys(record.categories))
    session.add_all(ServiceTag(service_id=record.id, tag=t) for t in dict.fromkeys(record.tags))
    session.add_all(Language(service_id=record.id, code=c) for c in dict.fromkeys(record.languages))
    if record.phone:
        session.add(Phone(id=f"{record.id}-voice", service_id=record.id, number=record.phone, type="voice"))
    if record.text:
        session.add(Phone(id=f"{record.id}-text", service_id=record.id, number=record.text, type="text"))
    session.add_all(
        Schedule(id=f"{record.id}-{i}", service_id=record.id, weekday=o.weekday, opens_min=o.opens_min,
                 closes_min=o.closes_min)
        for i, o in enumerate(record.openings)
    )
    session.add_all(
        ServiceArea(id=f"{record.id}-area-{i}", service_id=record.id, name=name,
                    extent_type="state" if name in ("California", "United States") else "county")
        for i, name in enumerate(record.service_areas)
    )
    if record.location is not None:
        _write_location(session, org_id, record)


def _write_location(session: Session, org_id: str, record: ServiceRecord) -> None:
    loc = record.location
    assert loc is not None
    location_id = loc.id or f"{record.id}-loc"
    location = session.get(Location, location_id)
    if location is None:
        location = Location(id=location_id, organization_id=org_id)
        session.add(location)
    location.organization_id = org_id
    location.name = loc.name
    location.latitude, location.longitude = loc.latitude, loc.longitude
    location.county, location.confidential = loc.county, loc.confidential
    address = session.scalar(select(Address).where(Address.location_id == location_id))
    if address is None:
        address = Address(id=f"{location_id}-addr", location_id=location_id, city=loc.city)
        session.add(address)
    address.address_1 = None if loc.confidential else loc.address_1
    address.city, address.region, address.postal_code = loc.city, loc.county, loc.postal_code
    session.add(ServiceAtLocation(id=f"{record.id}@{location_id}", service_id=record.id, location_id=location_id))


def _fingerprint(service: Service | None) -> tuple[object, ...] | None:
    if service is None:
        return None
    location = service.service_at_locations[0].location if service.service_at_locations else None
    return (
        service.name, service.description, service.status, service.alert, service.minimum_age,
        service.maximum_age, service.cost, service.always_open, service.source_url, service.verified_on,
        service.url, service.email, service.statewide,
        sorted(c.category for c in service.categories), sorted(t.tag for t in service.tags),
        sorted(lang.code for lang in service.languages), sorted((p.type, p.number) for p in service.phones),
        sorted((s.weekday, s.opens_min, s.closes_min) for s in service.schedules),
        sorted(a.name for a in service.service_areas),
        None if location is None else (location.latitude, location.longitude, location.confidential,
                                       location.address.address_1 if location.address else None),
    )


def hotline_organizations(hotlines: dict[str, Hotline]) -> list[OrganizationRecord]:
    """The 24/7 lines as directory services, so search can offer them beside local options."""
    organizations = []
    for line in hotlines.values():
        service = ServiceRecord(
            id=f"hotline-{line.id}",
            name=line.name,
            description=line.serves,
            categories=list(line.categories),
            source_url=line.source_url or "reference:shared/reference/hotlines.csv",
            verified_on=dt.date.fromisoformat(line.verified_on),
            phone=line.call,
            text=line.text,
            url=line.url,
            always_open=True,
            statewide=line.county is None,
            service_areas=[line.county] if line.county else ["United States"],
            where=f"hotlines.yaml: {line.id}",
        )
        organizations.append(
            OrganizationRecord(id=f"hotline-{line.id}", name=line.name, description=line.serves, url=line.url,
                               services=[service], where=service.where)
        )
    return organizations

