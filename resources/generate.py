"""A synthetic statewide directory for benchmarks ONLY: every name says "Synthetic", every phone number is a
555-01xx fictional number, every page is example.org. Never load this into the navigator's own database:
`python -m resources generate` refuses a database that holds any real (non-synthetic) service.
"""

from __future__ import annotations

import datetime as dt
import random
from functools import cache

import zipcodes

from resources.models import CATEGORIES, TAGS
from resources.records import LocationRecord, OpeningRecord, OrganizationRecord, ServiceRecord

PREFIX = "syn-"
# Rough shape of a 211 directory for youth: lots of food, medical and mental health, fewer shelters.
_CATEGORY_WEIGHTS = {"shelter": 10, "drop_in": 6, "food": 20, "medical": 16, "sexual_health": 7,
                     "mental_health": 16, "legal": 9, "hotline": 3, "csec_services": 4, "caregiver_support": 9}
assert set(_CATEGORY_WEIGHTS) == set(CATEGORIES)


@cache
def _zips() -> list[tuple[str, str, str, float, float]]:
    rows = []
    for z in zipcodes.filter_by(state="CA"):
        if z.get("lat") and z.get("long") and z.get("zip_code_type") == "STANDARD":
            county = (z.get("county") or "").removesuffix(" County")
            rows.append((z["zip_code"], z["city"].title(), county, float(z["lat"]), float(z["long"])))
    return rows


def _hours(rng: random.Random) -> tuple[bool, list[OpeningRecord]]:
    roll = rng.random()
    if roll < 0.15:
        return True, []
    if roll < 0.25:
        return False, []  # hours unknown
    if roll < 0.35:  # evenings into the night
        return False, [OpeningRecord(d, 20 * 60, 26 * 60) for d in range(7)]
    opens = rng.choice((7, 8, 9, 10)) * 60 + rng.choice((0, 30))
    closes = opens + rng.choice((4, 6, 8, 9, 10)) * 60
    days = range(5) if rng.random() < 0.7 else range(7)
    return False, [OpeningRecord(d, opens, closes) for d in days]


def synthetic_directory(services: int, seed: int = 11) -> list[OrganizationRecord]:
    rng = random.Random(seed)
    zips = _zips()
    categories, weights = list(_CATEGORY_WEIGHTS), list(_CATEGORY_WEIGHTS.values())
    verified_base = dt.date(2026, 1, 1)
    organizations: list[OrganizationRecord] = []
    n = 0
    while n < services:
        org_no = len(organizations)
        org_id = f"{PREFIX}org-{org_no:06d}"
        org = OrganizationRecord(id=org_id, name=f"Synthetic Organization {org_no}",
                                 description="Fake organization for benchmarks.",
                                 url=f"https://example.org/synthetic/{org_no}", services=[], where="generated")
        zip_code, city, county, lat, lon = rng.choice(zips)
        for _ in range(min(rng.choice((1, 2, 3, 4)), services - n)):
            always_open, openings = _hours(rng)
            first = rng.choices(categories, weights)[0]
            cats = [first] + ([rng.choices(categories, weights)[0]] if rng.random() < 0.3 else [])
            min_age = rng.choice((None, None, 12, 14, 16, 18))
            max_age = rng.choice((None, 17, 21, 24)) if min_age is None or min_age < 17 else rng.choice((None, 24))
            loc = LocationRecord(
                id=f"{PREFIX}loc-{n:06d}", city=city, county=county,
                latitude=round(lat + rng.uniform(-0.02, 0.02), 5), longitude=round(lon + rng.uniform(-0.02, 0.02), 5),
                address_1=f"{100 + n % 900} Synthetic Way", postal_code=zip_code,
                confidential=first == "shelter" and rng.random() < 0.3,
            )
            org.services.append(ServiceRecord(
                id=f"{PREFIX}svc-{n:06d}", name=f"Synthetic Service {n}", description="Fake service for benchmarks.",
                categories=list(dict.fromkeys(cats)), source_url=f"https://example.org/synthetic/{org_no}/{n}",
                verified_on=verified_base + dt.timedelta(days=rng.randrange(0, 300)),
                phone=f"(916) 555-01{n % 100:02d}", min_age=min_age, max_age=max_age,
                tags=rng.sample(TAGS, rng.choice((0, 0, 1, 2))), always_open=always_open, openings=openings,
                location=loc, where=f"generated #{n}",
            ))
            n += 1
        organizations.append(org)
    return organizations
