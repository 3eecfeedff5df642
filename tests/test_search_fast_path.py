"""The fast search (plain column rows) returns exactly what the previous ORM search returned: same hits, same
order, same cards, on random queries over the curated directory plus a generated one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest

from resources.db import make_engine, session_factory
from resources.generate import _zips, synthetic_directory
from resources.geo import Place
from resources.loader import load_curated
from resources.models import CATEGORIES, TAGS
from resources.schedule import PACIFIC
from resources.search import SearchQuery, search
from resources.store import upsert_organizations
from tests import search_reference

_PREFERENCES = [tag for tag in TAGS if tag not in ("girls_only", "boys_only")]
# A week without state holidays (the reference search knows nothing of them).
_MONDAY = dt.datetime(2026, 3, 2, tzinfo=PACIFIC)


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('fast') / 'dir.db'}")
    assert load_curated(engine).ok
    with session_factory(engine)() as session, session.begin():
        assert upsert_organizations(session, synthetic_directory(4000, seed=3), source="test").ok
    return session_factory(engine)


def _same(hits: list) -> list:  # type: ignore[type-arg]
    """Every field of every hit (the two modules have their own ResourceHit class). Tags are a set (ranking
    only asks whether one is there): the reference lists them in the database's order."""
    return [{f.name: getattr(h, f.name) if f.name != "tags" else tuple(sorted(h.tags))
             for f in dataclasses.fields(search_reference.ResourceHit)} for h in hits]


def _random_query(rng: random.Random, zips: list) -> SearchQuery:
    zip_code, city, county, lat, lon = rng.choice(zips)
    place = None if rng.random() < 0.1 else Place(name=city, kind="zip", county=county, latitude=lat, longitude=lon,
                                                  zip=zip_code)
    return SearchQuery(
        categories=tuple(rng.sample(CATEGORIES, rng.choice((1, 1, 2)))),
        place=place,
        age=rng.choice((None, 12, 15, 16, 17, 19, 23)),
        # girls/boys only also exclude services for the other: the reference does not know that
        tags=tuple(rng.sample(_PREFERENCES, rng.choice((0, 0, 1, 2)))),
        language=rng.choice((None, None, "es")),
        now=_MONDAY + dt.timedelta(minutes=rng.randrange(7 * 1440)),
        open_now=rng.random() < 0.5,
        radius_km=rng.choice((None, None, 10.0, 25.0, 50.0)),
    )


def test_fast_search_matches_the_previous_search(sessions) -> None:
    rng = random.Random(2026)
    # Dense and sparse places: the generated directory's ZIPs, and the curated directory's big cities.
    zips = _zips()
    compared = nonempty = 0
    for _ in range(400):
        query = _random_query(rng, zips)
        with sessions() as session:
            fast = search(session, query)
        with sessions() as session:
            reference = search_reference.search(session, query)
        assert [h.id for h in fast.hits] == [h.id for h in reference.hits], query
        assert _same(fast.hits) == _same(reference.hits), query  # every field of every card
        assert (fast.radius_km, fast.widened, fast.any_open_now) == (
            reference.radius_km, reference.widened, reference.any_open_now), query
        compared += 1
        nonempty += bool(fast.hits)
    assert compared == 400 and nonempty > 300


@pytest.mark.parametrize("city", ["Oakland", "San Francisco", "Fresno", "Los Angeles", "Sacramento", "San Diego"])
def test_fast_search_matches_in_curated_cities(sessions, city: str) -> None:
    from resources.geo import gazetteer

    place = gazetteer().by_name(city)
    assert place is not None
    for category in CATEGORIES:
        for hour in (3, 10, 22):
            for open_now in (False, True):
                query = SearchQuery(categories=(category,), place=place, age=16, open_now=open_now,
                                    now=_MONDAY + dt.timedelta(days=2, hours=hour))
                with sessions() as session:
                    fast, reference = search(session, query), search_reference.search(session, query)
                assert _same(fast.hits) == _same(reference.hits), query
