"""The previous directory search, kept only as a test oracle: resources/search.py must return the same hits.

It loads the nearest services as full ORM objects (organization, phones, schedules, locations, ...) and ranks
those; resources/search.py does the same on plain column rows. It knows nothing of holidays, so compare the
two on services that do not close on holidays. Not used by the navigator.

Directory search: need + place + age (+ fit preferences) → ranked, explainable results.

Located services are found with a bounding-box query on the indexed (latitude, longitude) pair, then ranked
by real distance and fit in Python over that small candidate set. Services without a location near the
person (county-wide phone lines, statewide and national hotlines) come after local ones.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, exists, or_, select, text
from sqlalchemy.orm import Session, lazyload, selectinload

from resources.geo import Place, haversine_km
from resources.models import Location, Schedule, SearchPoint, Service, ServiceArea, ServiceCategory
from resources.records import dial_digits
from resources.schedule import PACIFIC, Opening, describe_hours, describe_time, is_open, next_opening, now_pacific
from resources.search import CARD_WORDS

RADII_KM = (25.0, 60.0, 150.0)
MAX_LOCAL = 24  # nearest located services ranked per search (8 pages of 3 cards); nobody pages further
# How many kilometres of distance one unit of misfit costs in the ranking.
_MISSING_TAG_KM = 12.0
_CLOSED_NOW_KM = 6.0
_STALE_KM = 8.0
_STALE_AFTER = dt.timedelta(days=365)
_NO_PHONE_KM = 15.0  # a card you can only visit or look up online is less use on a phone at night
_TEMPORARILY_CLOSED_KM = 500.0  # after everything that is open for business
_VISIBLE = ("active", "temporarily closed")
# What a card needs; service areas are not shown, so not loaded.
_LOAD = (selectinload(Service.organization), lazyload(Service.service_areas))


@dataclass(frozen=True, slots=True)
class SearchQuery:
    categories: tuple[str, ...]
    place: Place | None = None
    age: int | None = None
    tags: tuple[str, ...] = ()  # preferences: ranked up, not required
    language: str | None = None
    now: dt.datetime | None = None
    open_now: bool = False  # only services open at `now` (filtered in SQL)
    radius_km: float | None = None  # search exactly this radius instead of widening 25 → 60 → 150 km


@dataclass(frozen=True, slots=True)
class ResourceHit:
    id: str
    name: str
    organization: str
    category: str
    description: str
    phone: str | None
    text: str | None
    url: str | None
    address: str
    city: str | None
    county: str | None
    open_now: bool | None
    hours: str
    opens_next: str | None
    distance_km: float | None
    verified_on: str
    source_url: str
    alert: str | None
    tags: tuple[str, ...]
    scope: str  # local | county | statewide

    def to_card(self) -> dict[str, Any]:
        """The resource card the chat shows (gateway API field names)."""
        return {
            "id": self.id,
            "name": self.name,
            "organization": self.organization,
            "category": self.category,
            "description": self.description,
            "phone": self.phone,
            "phone_dial": dial_digits(self.phone) if self.phone else None,
            "text": self.text,
            "url": self.url,
            "address": self.address,
            "open_now": self.open_now,
            "hours": self.hours,
            "opens_next": self.opens_next,
            "distance_km": self.distance_km,
            "verified_on": self.verified_on,
            "source_url": self.source_url,
            "alert": self.alert,
        }


@dataclass(slots=True)
class SearchResult:
    hits: list[ResourceHit]
    radius_km: float | None
    widened: bool = False
    any_open_now: bool = False
    notes: list[str] = field(default_factory=list)


def search(session: Session, query: SearchQuery) -> SearchResult:
    """All matching services, best first (callers page through `hits`)."""
    now = query.now or now_pacific()
    if query.place is None:
        services = _statewide(session, query, now)
        hits = _rank(services, query, now, distances={}, scope="statewide")
        return SearchResult(hits=hits, radius_km=None, any_open_now=any(h.open_now for h in hits))

    radius = query.radius_km or RADII_KM[0]
    local: list[tuple[Service, float]] = []
    for radius in (query.radius_km,) if query.radius_km else RADII_KM:
        local = _within(session, query, radius, now)
        if len(local) >= 3:
            break
    distances = {s.id: d for s, d in local}
    local_hits = _rank([s for s, _ in local], query, now, distances, scope="local")
    seen = {h.id for h in local_hits}
    county_services = [s for s in _county_wide(session, query, now) if s.id not in seen]
    county_hits = _rank(county_services, query, now, {}, scope="county")
    seen |= {h.id for h in county_hits}
    statewide_hits = _rank([s for s in _statewide(session, query, now) if s.id not in seen], query, now, {},
                           scope="statewide")
    hits = local_hits + county_hits + statewide_hits
    return SearchResult(
        hits=hits,
        radius_km=radius,
        widened=radius != (query.radius_km or RADII_KM[0]),
        any_open_now=any(h.open_now for h in local_hits + county_hits),
    )


def _base_filter(query: SearchQuery, now: dt.datetime) -> list[Any]:
    # Temporarily closed services stay visible (last, with their alert) so nobody travels to a closed door;
    # retired ones (status inactive, retired_on set) and defunct ones never appear.
    conditions: list[Any] = [
        Service.status == "active" if query.open_now else Service.status.in_(_VISIBLE),
        # EXISTS, not IN (subquery): the category must not drive the plan (a fifth of a statewide directory
        # shares a category); the indexed bounding box, county or statewide flag does.
        Service.categories.any(ServiceCategory.category.in_(query.categories)),
    ]
    if query.open_now:
        conditions.append(or_(Service.always_open.is_(True), _open_at(Service.id, now)))
    if query.age is not None:
        conditions += [
            or_(Service.minimum_age.is_(None), Service.minimum_age <= query.age),
            or_(Service.maximum_age.is_(None), Service.maximum_age >= query.age),
        ]
    return conditions


def _open_at(service_id: Any, now: dt.datetime) -> Any:
    """EXISTS a weekly opening of that service covering `now` (today's, or last night's past midnight).

    Correlated, so it is checked only for the few candidates the index found, never for every service."""
    local = now.astimezone(PACIFIC)
    minute, today = local.hour * 60 + local.minute, local.weekday()
    return exists().where(Schedule.service_id == service_id, or_(
        and_(Schedule.weekday == today, Schedule.opens_min <= minute, Schedule.closes_min > minute),
        and_(Schedule.weekday == (today - 1) % 7, Schedule.closes_min > 1440 + minute),
    ))


def _within(session: Session, query: SearchQuery, radius_km: float, now: dt.datetime) -> list[tuple[Service, float]]:
    """Services within the radius, nearest first (at most MAX_LOCAL of them).

    Two steps, so a dense city costs little: ids and points from the indexed bounding box (plain rows), real
    distances in Python over that small set, then full records only for the nearest MAX_LOCAL.
    """
    place = query.place
    assert place is not None
    dlat = radius_km / 111.0
    dlon = radius_km / (111.0 * max(math.cos(math.radians(place.latitude)), 0.01))
    conditions: list[Any] = [
        SearchPoint.category.in_(query.categories),
        SearchPoint.latitude.between(place.latitude - dlat, place.latitude + dlat),
        SearchPoint.longitude.between(place.longitude - dlon, place.longitude + dlon),
        SearchPoint.status == "active" if query.open_now else SearchPoint.status.in_(_VISIBLE),
    ]
    if query.age is not None:
        conditions += [or_(SearchPoint.minimum_age.is_(None), SearchPoint.minimum_age <= query.age),
                       or_(SearchPoint.maximum_age.is_(None), SearchPoint.maximum_age >= query.age)]
    if query.open_now:
        conditions.append(or_(SearchPoint.always_open.is_(True), _open_at(SearchPoint.service_id, now)))
    rows = session.execute(
        select(SearchPoint.service_id, SearchPoint.latitude, SearchPoint.longitude).where(and_(*conditions))
    ).all()
    best: dict[str, float] = {}
    for service_id, lat, lon in rows:
        distance = haversine_km(place.latitude, place.longitude, lat, lon)
        if distance <= radius_km and distance < best.get(service_id, math.inf):
            best[service_id] = distance
    nearest = sorted(best, key=lambda service_id: (best[service_id], service_id))[:MAX_LOCAL]
    if not nearest:
        return []
    services = session.scalars(
        select(Service).where(Service.id.in_(nearest)).options(*_LOAD)
    ).all()
    return [(service, best[service.id]) for service in services]


def _county_wide(session: Session, query: SearchQuery, now: dt.datetime) -> Sequence[Service]:
    assert query.place is not None
    return session.scalars(
        select(Service)
        .where(
            and_(
                Service.id.in_(select(ServiceArea.service_id).where(ServiceArea.name == query.place.county)),
                *_base_filter(query, now),
            )
        )
        .options(*_LOAD)
    ).all()


def _statewide(session: Session, query: SearchQuery, now: dt.datetime) -> Sequence[Service]:
    return session.scalars(
        select(Service)
        .where(and_(text("service.statewide = 1" if session.get_bind().dialect.name == "sqlite"
                         else "service.statewide"), *_base_filter(query, now)))
        .options(*_LOAD)
    ).all()


def _rank(
    services: Sequence[Service], query: SearchQuery, now: dt.datetime, distances: dict[str, float], scope: str
) -> list[ResourceHit]:
    scored = []
    for service in services:
        hit = _hit(service, query, now, distances.get(service.id), scope)
        if not (hit.phone or hit.text or hit.url or _has_street_address(service)):
            continue  # no way to reach it: showing it would be a dead end
        penalty = hit.distance_km or 0.0
        if not (hit.phone or hit.text):
            penalty += _NO_PHONE_KM
        penalty += _MISSING_TAG_KM * sum(1 for tag in query.tags if tag not in hit.tags)
        if hit.open_now is False:
            penalty += _CLOSED_NOW_KM
        if service.status != "active":
            penalty += _TEMPORARILY_CLOSED_KM
        if now.date() - service.verified_on > _STALE_AFTER:
            penalty += _STALE_KM
        if query.language and query.language not in {lang.code for lang in service.languages}:
            penalty += _MISSING_TAG_KM / 2
        scored.append((penalty, service.name, hit))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [hit for _, _, hit in scored]


def _hit(service: Service, query: SearchQuery, now: dt.datetime, distance: float | None, scope: str) -> ResourceHit:
    # The card's fixed words per language are the search's own table: this reference checks what is found
    # and in which order, not the wording.
    language = query.language if query.language in CARD_WORDS else "en"
    words = CARD_WORDS[language]
    openings = [Opening(s.weekday, s.opens_min, s.closes_min) for s in service.schedules]
    closed = service.status != "active"
    open_now = False if closed else is_open(service.always_open, openings, now)
    upcoming = next_opening(service.always_open, openings, now) if open_now is False else None
    location = service.service_at_locations[0].location if service.service_at_locations else None
    categories = [c.category for c in service.categories]
    matched = next((c for c in query.categories if c in categories), categories[0] if categories else "")
    phones = {p.type: p.number for p in service.phones}
    own = next((t for t in service.translations if t.language == language and language != "en"), None)
    return ResourceHit(
        id=service.id,
        name=(own and own.name) or service.name,
        organization=service.organization.name,
        category=matched,
        description=(own and own.description) or service.description,
        phone=phones.get("voice"),
        text=phones.get("text"),
        url=service.url or service.organization.url,
        address=_address(location, scope, words),
        city=location.address.city if location and location.address else None,
        county=location.county if location else None,
        open_now=open_now,
        hours=describe_hours(service.always_open, openings, language=language),
        opens_next=describe_time(upcoming, now, language) if upcoming else None,
        distance_km=None if distance is None else round(distance, 1),
        verified_on=service.verified_on.isoformat(),
        source_url=service.source_url,
        alert=service.alert or (words["closed"] if closed else None),
        tags=tuple(t.tag for t in service.tags),
        scope=scope,
    )


def _has_street_address(service: Service) -> bool:
    return any(
        sal.location.address is not None and sal.location.address.address_1 and not sal.location.confidential
        for sal in service.service_at_locations
    )


def _address(location: Location | None, scope: str, words: dict[str, str]) -> str:
    if location is None:
        return words["remote"] if scope == "statewide" else words["no_location"]
    address = location.address
    city = address.city if address else location.county
    if location.confidential:
        return words["confidential"].format(city=city)
    if address is None or not address.address_1:
        return words["no_address"].format(city=city)
    zip_part = f" {address.postal_code}" if address.postal_code else ""
    return f"{address.address_1}, {address.city}, CA{zip_part}"
