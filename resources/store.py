"""Writes validated records into the directory tables: upsert by id, all in the caller's transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from resources.geo import gazetteer, haversine_km
from resources.hotlines import Hotline
from resources.models import (
    Address,
    ChangeLog,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    SearchPoint,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceCategory,
    ServiceTag,
    ServiceTranslation,
)
from resources.records import LocationRecord, OrganizationRecord, Problem, ServiceRecord, validate_service


@dataclass(slots=True)
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Not errors: things the curator should know (terms ignored, hours left out, retired kept retired).
    warnings: list[Problem] = field(default_factory=list)

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
        if not org.name.strip():
            problems.append(Problem(org.where, "name", "is empty"))
        elif len(org.name) > 300:
            problems.append(Problem(org.where, "name", "is longer than 300 characters"))
        for service in org.services:
            problems.extend(validate_service(service, seen))
    return problems


def upsert_organizations(
    session: Session, organizations: list[OrganizationRecord], source: str = "", write_orgs: set[str] | None = None
) -> ImportReport:
    """Validate everything first; write nothing unless all of it is valid.

    `write_orgs`: ids of the organizations whose own fields to write (default: all). An import that only
    names an organization by id (a services.csv row, a service with `organization_id`) leaves it as it is.
    """
    report = ImportReport(problems=validate(organizations))
    if report.problems:
        return report
    now = dt.datetime.now(dt.UTC)
    existing_services = _existing_ids(session, Service, [s.id for o in organizations for s in o.services])
    existing_locations = _existing_ids(
        session, Location, [loc.id for o in organizations for s in o.services for loc in _located(s)]
    )
    bulk = _Bulk()
    for org in organizations:
        if write_orgs is None or org.id in write_orgs:
            existing = session.get(Organization, org.id)
            if existing is None:
                existing = Organization(id=org.id, name=org.name)
                session.add(existing)
            existing.name, existing.description = org.name, org.description
            existing.url, existing.email = org.url, org.email
        for service in org.services:
            if service.id not in existing_services:
                # New service: plain multi-row inserts, no per-row round trips (100k services in seconds).
                bulk.add(session, org.id, service, existing_locations)
                report.created.append(service.id)
                session.add(ChangeLog(service_id=service.id, at=now, action="created", source=source))
                continue
            bulk.flush(session)
            before = _fingerprint(session.get(Service, service.id))
            kept_retired = _write_service(session, org.id, service)
            session.flush()
            after = _fingerprint(session.get(Service, service.id))
            if kept_retired:
                report.warnings.append(Problem(service.where, "status", "the service was retired by a curator and "
                                               "stays inactive (`python -m resources retire --undo ID` to restore)"))
            if before != after:
                report.updated.append(service.id)
                session.add(ChangeLog(service_id=service.id, at=now, action="updated", source=source,
                                      detail=_diff(before, after)))
            else:
                report.unchanged.append(service.id)
        if write_orgs is None or org.id in write_orgs:
            session.flush()
        bulk.flush_if_big(session)
    bulk.flush(session)
    session.flush()
    return report


def _existing_ids(session: Session, model: type[Service] | type[Location], ids: list[str]) -> set[str]:
    found: set[str] = set()
    unique = list(dict.fromkeys(i for i in ids if i))
    for start in range(0, len(unique), 500):
        chunk = unique[start:start + 500]
        found.update(session.scalars(select(model.id).where(model.id.in_(chunk))))
    return found


def _located(record: ServiceRecord) -> list[LocationRecord]:
    """The service's locations with their ids filled in (curated files leave them to the store)."""
    located = record.locations()
    for i, loc in enumerate(located):
        if not loc.id:
            loc.id = f"{record.id}-loc" if i == 0 else f"{record.id}-loc{i}"
    return located


def private_point(loc: LocationRecord) -> tuple[float, float]:
    """Where a confidential location is placed: its city's centre (never the real point), or ~11 km rounding."""
    place = gazetteer().by_name(loc.city)
    if place is not None and haversine_km(place.latitude, place.longitude, loc.latitude, loc.longitude) < 60:
        return place.latitude, place.longitude
    return round(loc.latitude, 1), round(loc.longitude, 1)


def _location_values(org_id: str, loc: LocationRecord) -> tuple[dict[str, object], dict[str, object]]:
    lat, lon = private_point(loc) if loc.confidential else (loc.latitude, loc.longitude)
    location = {"id": loc.id, "organization_id": org_id, "name": loc.name, "latitude": lat, "longitude": lon,
                "county": loc.county, "confidential": loc.confidential}
    address = {"id": f"{loc.id}-addr", "location_id": loc.id, "city": loc.city, "region": loc.county,
               "address_1": None if loc.confidential else loc.address_1,
               "postal_code": None if loc.confidential else loc.postal_code, "state_province": "CA",
               "country": "US"}
    return location, address


def _child_rows(record: ServiceRecord) -> dict[type, list[dict[str, object]]]:
    rows: dict[type, list[dict[str, object]]] = {
        ServiceCategory: [{"service_id": record.id, "category": c} for c in dict.fromkeys(record.categories)],
        ServiceTag: [{"service_id": record.id, "tag": t} for t in dict.fromkeys(record.tags)],
        Language: [{"service_id": record.id, "code": c} for c in dict.fromkeys(record.languages)],
        ServiceTranslation: [{"service_id": record.id, "language": t.language, "name": t.name,
                              "description": t.description, "source_url": t.source_url}
                             for t in record.translations],
        Phone: [],
        Schedule: [
            {"id": f"{record.id}-{i}", "service_id": record.id, "weekday": o.weekday, "opens_min": o.opens_min,
             "closes_min": o.closes_min}
            for i, o in enumerate(record.openings)
        ],
        ServiceArea: [
            {"id": f"{record.id}-area-{i}", "service_id": record.id, "name": name,
             "extent_type": "state" if name in ("California", "United States") else "county"}
            for i, name in enumerate(dict.fromkeys(record.service_areas))
        ],
    }
    if record.phone:
        rows[Phone].append({"id": f"{record.id}-voice", "service_id": record.id, "number": record.phone,
                            "type": "voice", "description": None})
    if record.text:
        rows[Phone].append({"id": f"{record.id}-text", "service_id": record.id, "number": record.text,
                            "type": "text", "description": None})
    return rows


def _service_values(org_id: str, record: ServiceRecord, retired_on: dt.date | None) -> dict[str, object]:
    return {
        "id": record.id, "organization_id": org_id, "name": record.name, "description": record.description,
        "url": record.url, "email": record.email,
        "status": "inactive" if retired_on else record.status, "alert": record.alert,
        "minimum_age": record.min_age, "maximum_age": record.max_age, "cost": record.cost,
        "always_open": record.always_open, "source_url": record.source_url, "verified_on": record.verified_on,
        "statewide": record.statewide, "retired_on": retired_on, "closed_on_holidays": record.closed_on_holidays,
    }


class _Bulk:
    """Rows for new services, inserted table by table in batches."""

    def __init__(self) -> None:
        self.rows: dict[type, list[dict[str, object]]] = {}
        self.count = 0
        self.new_locations: set[str] = set()

    def add(self, session: Session, org_id: str, record: ServiceRecord, existing_locations: set[str]) -> None:
        self.rows.setdefault(Service, []).append(_service_values(org_id, record, record.retired_on))
        for model, rows in _child_rows(record).items():
            self.rows.setdefault(model, []).extend(rows)
        service = _service_values(org_id, record, record.retired_on)
        for loc in _located(record):
            location, address = _location_values(org_id, loc)
            if loc.id in existing_locations:
                _write_location(session, org_id, loc)  # a place already in the directory: update it
            elif loc.id not in self.new_locations:
                self.new_locations.add(loc.id)
                self.rows.setdefault(Location, []).append(location)
                self.rows.setdefault(Address, []).append(address)
            self.rows.setdefault(SearchPoint, []).extend(_search_points(service, record.categories, location))
            self.rows.setdefault(ServiceAtLocation, []).append(
                {"id": f"{record.id}@{loc.id}", "service_id": record.id, "location_id": loc.id})
        self.count += 1

    def flush_if_big(self, session: Session) -> None:
        if self.count >= 2000:
            self.flush(session)

    def flush(self, session: Session) -> None:
        if not self.count:
            return
        session.flush()  # organizations first, for the foreign keys
        for model in (Location, Address, Service, ServiceCategory, ServiceTag, Language, ServiceTranslation, Phone,
                      Schedule,
                      ServiceArea, ServiceAtLocation, SearchPoint):
            if rows := self.rows.get(model):
                session.execute(insert(model), rows)
        self.rows.clear()
        self.count = 0


def _write_service(session: Session, org_id: str, record: ServiceRecord) -> bool:
    """Rewrite an existing service; True when it stays retired although the record says otherwise."""
    service = session.get(Service, record.id)
    assert service is not None
    retired_on = record.retired_on or service.retired_on
    # Child rows are rewritten whole: simpler and exact, and a service has only a handful of them.
    for child in (ServiceCategory, ServiceTag, Phone, Schedule, Language, ServiceTranslation, ServiceArea,
                  ServiceAtLocation, SearchPoint):
        session.execute(delete(child).where(child.service_id == record.id))
    session.expire(service)
    values = _service_values(org_id, record, retired_on)
    for key, value in values.items():
        setattr(service, key, value)
    for model, rows in _child_rows(record).items():
        session.add_all(model(**row) for row in rows)
    for loc in _located(record):
        _write_location(session, org_id, loc)
        session.add(ServiceAtLocation(id=f"{record.id}@{loc.id}", service_id=record.id, location_id=loc.id))
        location, _ = _location_values(org_id, loc)
        session.add_all(SearchPoint(**row) for row in _search_points(values, record.categories, location))
    return retired_on is not None and record.retired_on is None and record.status != "inactive"


def _search_points(service: dict[str, object], categories: list[str],
                   location: dict[str, object]) -> list[dict[str, object]]:
    return [{"service_id": service["id"], "location_id": location["id"], "category": category,
             "latitude": location["latitude"], "longitude": location["longitude"], "status": service["status"],
             "minimum_age": service["minimum_age"], "maximum_age": service["maximum_age"],
             "always_open": service["always_open"]} for category in dict.fromkeys(categories)]


def sync_search_status(session: Session, service_id: str, status: str) -> None:
    """After a curator changes a service's status (retire, restore, temporarily closed)."""
    session.execute(update(SearchPoint).where(SearchPoint.service_id == service_id).values(status=status))


def rebuild_search_points(session: Session) -> int:
    """Refill search_point from the directory tables (a database built before the table existed)."""
    session.execute(delete(SearchPoint))
    source = (
        select(Service.id, Location.id, ServiceCategory.category, Location.latitude, Location.longitude,
               Service.status, Service.minimum_age, Service.maximum_age, Service.always_open)
        .join(ServiceAtLocation, ServiceAtLocation.service_id == Service.id)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .join(ServiceCategory, ServiceCategory.service_id == Service.id)
    )
    session.execute(insert(SearchPoint).from_select(
        ["service_id", "location_id", "category", "latitude", "longitude", "status", "minimum_age", "maximum_age",
         "always_open"], source))
    return session.scalar(select(func.count()).select_from(SearchPoint)) or 0


def _write_location(session: Session, org_id: str, loc: LocationRecord) -> None:
    values, address_values = _location_values(org_id, loc)
    # Other services at this place are found through their own search rows: move those too.
    session.execute(update(SearchPoint).where(SearchPoint.location_id == loc.id)
                    .values(latitude=values["latitude"], longitude=values["longitude"]))
    location = session.get(Location, loc.id)
    if location is None:
        location = Location(id=loc.id, organization_id=org_id)
        session.add(location)
    for key, value in values.items():
        setattr(location, key, value)
    address = session.scalar(select(Address).where(Address.location_id == loc.id))
    if address is None:
        address = Address(id=address_values["id"], location_id=loc.id, city=loc.city)
        session.add(address)
    for key, value in address_values.items():
        if key != "id":
            setattr(address, key, value)


_FINGERPRINT_FIELDS = (
    "name", "description", "status", "alert", "minimum_age", "maximum_age", "cost", "always_open", "source_url",
    "verified_on", "url", "email", "statewide", "retired_on", "organization_id", "categories", "tags", "languages",
    "phones", "hours", "service_areas", "locations", "closed_on_holidays", "translations",
)


def _fingerprint(service: Service | None) -> tuple[object, ...] | None:
    if service is None:
        return None
    locations = sorted(
        (sal.location.id, sal.location.latitude, sal.location.longitude, sal.location.confidential,
         sal.location.county, sal.location.name,
         None if sal.location.address is None else (sal.location.address.address_1, sal.location.address.city,
                                                    sal.location.address.postal_code))
        for sal in service.service_at_locations
    )
    return (
        service.name, service.description, service.status, service.alert, service.minimum_age,
        service.maximum_age, service.cost, service.always_open, service.source_url, service.verified_on,
        service.url, service.email, service.statewide, service.retired_on, service.organization_id,
        sorted(c.category for c in service.categories), sorted(t.tag for t in service.tags),
        sorted(lang.code for lang in service.languages), sorted((p.type, p.number) for p in service.phones),
        sorted((s.weekday, s.opens_min, s.closes_min) for s in service.schedules),
        sorted(a.name for a in service.service_areas),
        locations,
        service.closed_on_holidays,
        sorted((t.language, t.name, t.description, t.source_url) for t in service.translations),
    )


def _diff(before: tuple[object, ...] | None, after: tuple[object, ...] | None) -> str:
    if before is None or after is None:
        return ""
    return ", ".join(name for name, old, new in zip(_FINGERPRINT_FIELDS, before, after, strict=True) if old != new)


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

