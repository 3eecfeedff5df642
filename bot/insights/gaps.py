"""What the directory covers: for each county and need, how many active services are there, recently verified
or not. A service covers a county when one of its locations is in it or it serves the county as an area;
a statewide service covers every county only for the hotline need (a line is a line, not a bed nearby)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from bot.insights.dimensions import COUNTIES
from resources.models import Location, Service, ServiceArea, ServiceAtLocation, ServiceCategory

STATEWIDE_COVERS = frozenset({"hotline"})
Coverage = dict[tuple[str, str], dict[str, int]]


def directory_coverage(session: Session, today: dt.date, verified_within_days: int = 365) -> Coverage:
    cutoff = today - dt.timedelta(days=verified_within_days)
    active = and_(Service.status == "active", Service.retired_on.is_(None))
    located = select(Service.id, ServiceCategory.category, Location.county, Service.verified_on).join(
        ServiceCategory, ServiceCategory.service_id == Service.id).join(
        ServiceAtLocation, ServiceAtLocation.service_id == Service.id).join(
        Location, Location.id == ServiceAtLocation.location_id).where(active)
    areas = select(Service.id, ServiceCategory.category, ServiceArea.name, Service.verified_on).join(
        ServiceCategory, ServiceCategory.service_id == Service.id).join(
        ServiceArea, ServiceArea.service_id == Service.id).where(active)
    statewide = select(Service.id, ServiceCategory.category, Service.verified_on).join(
        ServiceCategory, ServiceCategory.service_id == Service.id).where(active, Service.statewide.is_(True),
                                                                          ServiceCategory.category.in_(
                                                                              STATEWIDE_COVERS))
    seen: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: {"verified": set(), "unverified": set()})
    counties = set(COUNTIES)
    for service_id, category, county, verified_on in [*session.execute(located), *session.execute(areas)]:
        county = str(county).removesuffix(" County")
        if county in counties:
            seen[(county, category)]["verified" if verified_on >= cutoff else "unverified"].add(service_id)
    for service_id, category, verified_on in session.execute(statewide):
        for county in COUNTIES:
            seen[(county, category)]["verified" if verified_on >= cutoff else "unverified"].add(service_id)
    coverage: Coverage = {}
    for key, groups in seen.items():
        verified = groups["verified"]
        coverage[key] = {"verified": len(verified), "unverified": len(groups["unverified"] - verified)}
    return coverage
