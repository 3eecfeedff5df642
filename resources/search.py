"""Directory search: need + place + age (+ fit preferences) → ranked, explainable results.

Located services are found with a bounding-box query on the indexed (latitude, longitude) pair, then ranked
by real distance and fit in Python over that small candidate set. Services without a location near the
person (county-wide phone lines, statewide and national hotlines) come after local ones.

Everything runs on plain column rows (SQLAlchemy Core, statements built once per shape and reused with new
parameters), never on ORM objects: finding candidates reads only ids and points, and the cards of the few
candidates (at most MAX_LOCAL located ones, plus county and statewide lines) come from one small query per
child table. Loading those services as full ORM objects cost more than everything else together.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    exists,
    literal,
    not_,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from resources.geo import Place, haversine_km
from resources.models import (
    Address,
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
from resources.records import dial_digits
from resources.schedule import (
    PACIFIC,
    Opening,
    describe_hours,
    describe_time,
    holiday,
    is_open,
    next_opening,
    now_pacific,
)

RADII_KM = (25.0, 60.0, 150.0)
MAX_LOCAL = 24  # nearest located services ranked per search (8 pages of 3 cards); nobody pages further
_FIRST_REACH_KM = 8.0  # the first box looked in; it grows by _REACH_GROWTH until MAX_LOCAL are found
_REACH_GROWTH = 2.5
# How many kilometres of distance one unit of misfit costs in the ranking.
_MISSING_TAG_KM = 12.0
_CLOSED_NOW_KM = 6.0
_STALE_KM = 8.0
_STALE_AFTER = dt.timedelta(days=365)
_NO_PHONE_KM = 15.0  # a card you can only visit or look up online is less use on a phone at night
_TEMPORARILY_CLOSED_KM = 500.0  # after everything that is open for business
_VISIBLE = ("active", "temporarily closed")
# Eligibility, not preference: someone who asks for a boys-only place is not served by a girls-only one.
_EXCLUDED_BY = {"girls_only": "boys_only", "boys_only": "girls_only"}


@dataclass(frozen=True, slots=True)
class SearchQuery:
    categories: tuple[str, ...]
    place: Place | None = None
    age: int | None = None
    tags: tuple[str, ...] = ()  # preferences: ranked up, not required (girls/boys only also exclude the other)
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
    opens_at: dt.datetime | None = field(default=None, compare=False, repr=False)  # when it next opens, if closed

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
    # When nothing near is open: the earliest next opening among the local and county results ("8am tomorrow").
    first_opening: str | None = None


def search(session: Session, query: SearchQuery) -> SearchResult:
    """All matching services, best first (callers page through `hits`)."""
    now = query.now or now_pacific()
    when = _When.at(now)
    if query.place is None:
        ids = _statewide_ids(session, query, when)
        cards = _cards(session, ids, _language(query))
        hits = _rank([cards[i] for i in ids], query, now, distances={}, scope="statewide")
        return SearchResult(hits=hits, radius_km=None, any_open_now=any(h.open_now for h in hits))

    radius = query.radius_km or RADII_KM[0]
    local: dict[str, float] = {}
    for radius in (query.radius_km,) if query.radius_km else RADII_KM:
        local = _within(session, query, radius, when)
        if len(local) >= 3:
            break
    county_ids = [i for i in _county_ids(session, query, when) if i not in local]
    statewide_ids = _statewide_ids(session, query, when)
    cards = _cards(session, [*local, *county_ids, *statewide_ids], _language(query))
    local_hits = _rank([cards[i] for i in local], query, now, local, scope="local")
    seen = {h.id for h in local_hits}
    county_hits = _rank([cards[i] for i in county_ids if i not in seen], query, now, {}, scope="county")
    seen |= {h.id for h in county_hits}
    statewide_hits = _rank([cards[i] for i in statewide_ids if i not in seen], query, now, {}, scope="statewide")
    hits = local_hits + county_hits + statewide_hits
    openings = [h.opens_at for h in local_hits + county_hits if h.opens_at is not None]
    return SearchResult(
        hits=hits,
        radius_km=radius,
        widened=radius != (query.radius_km or RADII_KM[0]),
        any_open_now=any(h.open_now for h in local_hits + county_hits),
        first_opening=describe_time(min(openings), now, _language(query)) if openings else None,
    )


@dataclass(frozen=True, slots=True)
class _When:
    """`now` as the open-now filter needs it: Pacific weekday and minute, and whether today or yesterday
    (whose overnight hours may still run) is a state holiday."""

    today: int
    yesterday: int
    minute: int
    holiday_today: bool
    holiday_yesterday: bool

    @classmethod
    def at(cls, now: dt.datetime) -> _When:
        local = now.astimezone(PACIFIC)
        return cls(today=local.weekday(), yesterday=(local.weekday() - 1) % 7, minute=local.hour * 60 + local.minute,
                   holiday_today=holiday(local.date()) is not None,
                   holiday_yesterday=holiday(local.date() - dt.timedelta(days=1)) is not None)

    def params(self) -> dict[str, int]:
        return {"today": self.today, "yesterday": self.yesterday, "minute": self.minute,
                "past_midnight": 1440 + self.minute}


def _open_at(service_id: Any, holiday_today: bool, holiday_yesterday: bool) -> Any:
    """EXISTS a weekly opening of that service covering now (today's, or last night's past midnight).

    Correlated, so it is checked only for the few candidates the index found, never for every service. On a
    holiday (rare), openings that start that day do not count for services that close on holidays."""
    today = and_(Schedule.weekday == bindparam("today"), Schedule.opens_min <= bindparam("minute"),
                 Schedule.closes_min > bindparam("minute"))
    last_night = and_(Schedule.weekday == bindparam("yesterday"), Schedule.closes_min > bindparam("past_midnight"))
    if holiday_today or holiday_yesterday:
        closes = aliased(Service)
        closes_on_holidays = exists().where(closes.id == Schedule.service_id, closes.closed_on_holidays.is_(True))
        if holiday_today:
            today = and_(today, not_(closes_on_holidays))
        if holiday_yesterday:
            last_night = and_(last_night, not_(closes_on_holidays))
    return exists().where(Schedule.service_id == service_id, or_(today, last_night))


def _filters(table: Any, open_now: bool, age: bool, holiday_today: bool, holiday_yesterday: bool,
             exclude: bool) -> list[Any]:
    """Status, age, eligibility and open-now conditions on `table` (search_point or service), as bound
    parameters."""
    service_id = table.service_id if table is SearchPoint else table.id
    conditions: list[Any] = [table.status == "active" if open_now else table.status.in_(_VISIBLE)]
    if exclude:
        conditions.append(~exists().where(ServiceTag.service_id == service_id,
                                          ServiceTag.tag.in_(bindparam("excluded_tags", expanding=True))))
    if age:
        conditions += [or_(table.minimum_age.is_(None), table.minimum_age <= bindparam("age")),
                       or_(table.maximum_age.is_(None), table.maximum_age >= bindparam("age"))]
    if open_now:
        conditions.append(or_(table.always_open.is_(True),
                              _open_at(service_id, holiday_today, holiday_yesterday)))
    return conditions


def _params(query: SearchQuery, when: _When) -> dict[str, Any]:
    params: dict[str, Any] = {"categories": list(query.categories)}
    if query.age is not None:
        params["age"] = query.age
    if query.open_now:
        params.update(when.params())
    if excluded := _excluded_tags(query):
        params["excluded_tags"] = excluded
    return params


def _excluded_tags(query: SearchQuery) -> list[str]:
    return sorted({_EXCLUDED_BY[tag] for tag in query.tags if tag in _EXCLUDED_BY} - set(query.tags))


@cache
def _points_statement(*shape: bool) -> Select[Any]:
    return select(SearchPoint.service_id, SearchPoint.latitude, SearchPoint.longitude).where(
        SearchPoint.category.in_(bindparam("categories", expanding=True)),
        SearchPoint.latitude.between(bindparam("lat_min"), bindparam("lat_max")),
        SearchPoint.longitude.between(bindparam("lon_min"), bindparam("lon_max")),
        *_filters(SearchPoint, *shape),
    )


def _shape(query: SearchQuery, when: _When) -> tuple[bool, bool, bool, bool, bool]:
    """Statements are built once per shape (open now? age? a holiday today? yesterday? a service kind to
    exclude?) and reused with new parameters, so no per-query expression building or cache-key work."""
    holidays = query.open_now and when.holiday_today, query.open_now and when.holiday_yesterday
    return query.open_now, query.age is not None, *holidays, bool(_excluded_tags(query))


def _within(session: Session, query: SearchQuery, radius_km: float, when: _When) -> dict[str, float]:
    """Ids of the services within the radius and their distances, nearest first (at most MAX_LOCAL).

    Ids and points come from the covering index on search_point (plain rows); real distances are worked out in
    Python. The box grows from a few kilometres to the radius: once MAX_LOCAL services lie within `reach` km,
    nothing farther out can be among the nearest MAX_LOCAL, so a dense city never reads its whole 50 km box
    (thousands of rows, each with its open-now check). The answer is exactly the whole box's nearest."""
    reach = min(radius_km, _FIRST_REACH_KM)
    while True:
        best = _points_within(session, query, reach, when)
        if len(best) >= MAX_LOCAL or reach >= radius_km:
            break
        reach = min(radius_km, reach * _REACH_GROWTH)
    nearest = sorted(best, key=lambda service_id: (best[service_id], service_id))[:MAX_LOCAL]
    return {service_id: best[service_id] for service_id in nearest}


def _points_within(session: Session, query: SearchQuery, radius_km: float, when: _When) -> dict[str, float]:
    """Every matching service within radius_km of the place, with its distance (nearest location)."""
    place = query.place
    assert place is not None
    dlat = radius_km / 111.0
    dlon = radius_km / (111.0 * max(math.cos(math.radians(place.latitude)), 0.01))
    params = _params(query, when) | {
        "lat_min": place.latitude - dlat, "lat_max": place.latitude + dlat,
        "lon_min": place.longitude - dlon, "lon_max": place.longitude + dlon,
    }
    rows = session.execute(_points_statement(*_shape(query, when)), params).all()
    best: dict[str, float] = {}
    lat0, lon0 = place.latitude, place.longitude
    for service_id, lat, lon in rows:
        distance = haversine_km(lat0, lon0, lat, lon)
        if distance <= radius_km and distance < best.get(service_id, math.inf):
            best[service_id] = distance
    return best


def _service_conditions(*shape: bool) -> list[Any]:
    # Temporarily closed services stay visible (last, with their alert) so nobody travels to a closed door;
    # retired ones (status inactive, retired_on set) and defunct ones never appear. EXISTS, not IN (subquery):
    # the category must not drive the plan (a fifth of a statewide directory shares a category).
    return [Service.categories.any(ServiceCategory.category.in_(bindparam("categories", expanding=True))),
            *_filters(Service, *shape)]


@cache
def _county_statement(*shape: bool) -> Select[Any]:
    return select(Service.id).where(
        Service.id.in_(select(ServiceArea.service_id).where(ServiceArea.name == bindparam("county"))),
        *_service_conditions(*shape),
    ).order_by(Service.id)


@cache
def _statewide_statement(*shape: bool) -> Select[Any]:
    # Through the partial index of the few statewide services: `statewide = 1` beside other conditions on the
    # service table lets SQLite's planner prefer a scan of the whole table (the status index says "all active").
    statewide = aliased(Service)
    return select(Service.id).where(
        Service.id.in_(select(statewide.id).where(statewide.statewide)),
        *_service_conditions(*shape),
    ).order_by(Service.id)


def _county_ids(session: Session, query: SearchQuery, when: _When) -> list[str]:
    assert query.place is not None
    params = _params(query, when) | {"county": query.place.county}
    return list(session.scalars(_county_statement(*_shape(query, when)), params))


def _statewide_ids(session: Session, query: SearchQuery, when: _When) -> list[str]:
    return list(session.scalars(_statewide_statement(*_shape(query, when)), _params(query, when)))


@dataclass(slots=True)
class _Card:
    """What ranking and a card need of one service, read as plain rows."""

    id: str
    name: str
    description: str
    url: str | None
    status: str
    alert: str | None
    always_open: bool
    closed_on_holidays: bool
    verified_on: dt.date
    source_url: str
    organization: str
    organization_url: str | None
    phones: dict[str, str] = field(default_factory=dict)
    openings: list[Opening] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    languages: set[str] = field(default_factory=set)
    # (confidential, county, address_1, city, postal_code) per location, the card shows the first
    locations: list[tuple[bool, str, str | None, str | None, str | None]] = field(default_factory=list)
    # The service's own name and description in the conversation's language, when the directory has them.
    translated_name: str | None = None
    translated_description: str | None = None


_IDS = bindparam("ids", expanding=True)
_CARD_SERVICE = (
    select(Service.id, Service.name, Service.description, Service.url, Service.status, Service.alert,
           Service.always_open, Service.closed_on_holidays, Service.verified_on, Service.source_url,
           Organization.name, Organization.url)
    .join(Organization, Organization.id == Service.organization_id)
    .where(Service.id.in_(_IDS))
)
def _children(kind: str, table: Any, order: Any, *, text1: Any = None, text2: Any = None,
              numbers: tuple[Any, Any, Any] = (None, None, None)) -> Select[Any]:
    """One child table as (kind, service_id, order, text1, text2, n1, n2, n3) rows, for one UNION ALL."""
    return select(
        literal(kind, String).label("kind"), table.service_id.label("service_id"), order.label("sort_key"),
        (text1 if text1 is not None else cast(null(), String)).label("text1"),
        (text2 if text2 is not None else cast(null(), String)).label("text2"),
        *((n if n is not None else cast(null(), Integer)).label(f"n{i}") for i, n in enumerate(numbers, 1)),
    ).where(table.service_id.in_(_IDS))


# Phones, opening hours, categories, tags and languages of the candidates in one round trip.
_CARD_CHILDREN = union_all(
    _children("phone", Phone, Phone.id, text1=Phone.type, text2=Phone.number),
    _children("schedule", Schedule, Schedule.id,
              numbers=(Schedule.weekday, Schedule.opens_min, Schedule.closes_min)),
    _children("category", ServiceCategory, ServiceCategory.category, text1=ServiceCategory.category),
    _children("tag", ServiceTag, ServiceTag.tag, text1=ServiceTag.tag),
    _children("language", Language, Language.code, text1=Language.code),
).order_by("kind", "service_id", "sort_key")
_CARD_LOCATIONS = (
    select(ServiceAtLocation.service_id, Location.confidential, Location.county, Address.address_1, Address.city,
           Address.postal_code)
    .join(Location, Location.id == ServiceAtLocation.location_id)
    .outerjoin(Address, Address.location_id == Location.id)
    .where(ServiceAtLocation.service_id.in_(_IDS))
    .order_by(ServiceAtLocation.service_id, ServiceAtLocation.id)
)


_CARD_TRANSLATIONS = (
    select(ServiceTranslation.service_id, ServiceTranslation.name, ServiceTranslation.description)
    .where(ServiceTranslation.service_id.in_(_IDS), ServiceTranslation.language == bindparam("language"))
)


def _cards(session: Session, ids: list[str], language: str = "en") -> dict[str, _Card]:
    """The candidates' card data in three plain-row queries: services, their child rows, their locations;
    a fourth for another language's names and descriptions."""
    if not ids:
        return {}
    params = {"ids": list(dict.fromkeys(ids))}
    cards = {row[0]: _Card(*row) for row in session.execute(_CARD_SERVICE, params)}
    for kind, service_id, _, text1, text2, n1, n2, n3 in session.execute(_CARD_CHILDREN, params):
        card = cards[service_id]
        if kind == "schedule":
            card.openings.append(Opening(n1, n2, n3))
        elif kind == "phone":
            card.phones[text1] = text2
        elif kind == "category":
            card.categories.append(text1)
        elif kind == "tag":
            card.tags.append(text1)
        else:
            card.languages.add(text1)
    for service_id, *location in session.execute(_CARD_LOCATIONS, params):
        cards[service_id].locations.append(tuple(location))  # type: ignore[arg-type]
    if language != "en":
        for service_id, name, description in session.execute(_CARD_TRANSLATIONS, {**params, "language": language}):
            cards[service_id].translated_name = name
            cards[service_id].translated_description = description
    return cards


def _rank(
    cards: Sequence[_Card], query: SearchQuery, now: dt.datetime, distances: dict[str, float], scope: str
) -> list[ResourceHit]:
    scored = []
    for card in cards:
        hit = _hit(card, query, now, distances.get(card.id), scope)
        if not (hit.phone or hit.text or hit.url or _has_street_address(card)):
            continue  # no way to reach it: showing it would be a dead end
        penalty = hit.distance_km or 0.0
        if not (hit.phone or hit.text):
            penalty += _NO_PHONE_KM
        penalty += _MISSING_TAG_KM * sum(1 for tag in query.tags if tag not in hit.tags)
        if hit.open_now is False:
            penalty += _CLOSED_NOW_KM
        if card.status != "active":
            penalty += _TEMPORARILY_CLOSED_KM
        if now.date() - card.verified_on > _STALE_AFTER:
            penalty += _STALE_KM
        if query.language and query.language not in card.languages:
            penalty += _MISSING_TAG_KM / 2
        scored.append((penalty, card.name, card.id, hit))
    scored.sort(key=lambda item: (item[0], item[1], item[2]))
    return [hit for *_, hit in scored]


# What a card says when the directory has no fact to show, in the conversation's language (the facts
# themselves — names, descriptions — stay as the directory has them, unless it holds them in that language).
CARD_WORDS = {
    "en": {"remote": "Phone, text or online", "no_location": "Call for details",
           "confidential": "{city} — address shared when you call (kept private for safety)",
           "no_address": "{city} — call for address", "closed": "Temporarily closed — call before going"},
    "es": {"remote": "Por teléfono, texto o en línea", "no_location": "Llama para más información",
           "confidential": "{city} — te dan la dirección cuando llamas (es privada, por seguridad)",
           "no_address": "{city} — llama para pedir la dirección", "closed": "Cerrado por ahora — llama antes de ir"},
}


def _language(query: SearchQuery) -> str:
    return query.language if query.language in CARD_WORDS else "en"


def _hit(card: _Card, query: SearchQuery, now: dt.datetime, distance: float | None, scope: str) -> ResourceHit:
    language = _language(query)
    words = CARD_WORDS[language]
    closed = card.status != "active"
    holidays = card.closed_on_holidays
    open_now = False if closed else is_open(card.always_open, card.openings, now, holidays)
    upcoming = next_opening(card.always_open, card.openings, now, holidays) if open_now is False else None
    location = card.locations[0] if card.locations else None
    matched = next((c for c in query.categories if c in card.categories), card.categories[0] if card.categories
                   else "")
    return ResourceHit(
        id=card.id,
        name=card.translated_name or card.name,
        organization=card.organization,
        category=matched,
        description=card.translated_description or card.description,
        phone=card.phones.get("voice"),
        text=card.phones.get("text"),
        url=card.url or card.organization_url,
        address=_address(location, scope, words),
        city=location[3] if location else None,
        county=location[1] if location else None,
        open_now=open_now,
        hours=describe_hours(card.always_open, card.openings, holidays, language),
        opens_next=describe_time(upcoming, now, language) if upcoming else None,
        distance_km=None if distance is None else round(distance, 1),
        verified_on=card.verified_on.isoformat(),
        source_url=card.source_url,
        alert=card.alert or (words["closed"] if closed else None),
        tags=tuple(card.tags),
        scope=scope,
        opens_at=upcoming,
    )


def _has_street_address(card: _Card) -> bool:
    return any(address_1 and not confidential for confidential, _, address_1, _, _ in card.locations)


def _address(location: tuple[bool, str, str | None, str | None, str | None] | None, scope: str,
             words: dict[str, str] = CARD_WORDS["en"]) -> str:
    if location is None:
        return words["remote"] if scope == "statewide" else words["no_location"]
    confidential, county, address_1, city, postal_code = location
    city = city if city is not None else county
    if confidential:
        return words["confidential"].format(city=city)
    if not address_1:
        return words["no_address"].format(city=city)
    zip_part = f" {postal_code}" if postal_code else ""
    return f"{address_1}, {city}, CA{zip_part}"
