"""Directory search at statewide scale (a benchmark script, not a test).

    PYTHONPATH=. .venv/bin/python tests/bench/bench_search.py [--services 100000] [--queries 1000] [--naive 100]

Generates a synthetic directory (resources/generate.py: fake names, 555-01xx numbers) into a temporary
SQLite database through the normal import path, then times random queries — category + point + radius +
age + open now — through `resources.search.search` (indexed bounding box, plain column rows), and, in the
same run, the same queries through the previous search (tests/search_reference.py: full ORM objects; its
ordered ids must be the same) and answered by a naive scan that reads every located service and filters in
Python. Prints a markdown table, the SQLite query plan of the located-services query, and peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from resources.db import create_schema, make_engine, session_factory
from resources.generate import _zips, synthetic_directory
from resources.geo import Place, haversine_km
from resources.models import CATEGORIES, Location, Schedule, Service, ServiceAtLocation, ServiceCategory
from resources.schedule import PACIFIC, Opening, is_open
from resources.search import MAX_LOCAL, SearchQuery, search
from resources.store import upsert_organizations
from tests import search_reference


def _queries(n: int, seed: int) -> list[SearchQuery]:
    rng = random.Random(seed)
    zips = _zips()
    monday = dt.datetime(2026, 11, 23, tzinfo=PACIFIC)
    queries = []
    for _ in range(n):
        zip_code, city, county, lat, lon = rng.choice(zips)
        queries.append(SearchQuery(
            categories=(rng.choice(CATEGORIES),),
            place=Place(name=city, kind="zip", county=county, latitude=lat, longitude=lon, zip=zip_code),
            age=rng.choice((None, 13, 15, 16, 17, 19, 22)),
            now=monday + dt.timedelta(minutes=rng.randrange(7 * 1440)),
            open_now=True,
            radius_km=rng.choice((10.0, 25.0, 50.0)),
        ))
    return queries


def _naive(session: Session, query: SearchQuery) -> set[str]:
    """Every located service read (plain rows, no ORM objects) and filtered in Python: what the index saves."""
    assert query.place is not None and query.now is not None and query.radius_km is not None
    wanted = set(query.categories)
    categories: dict[str, set[str]] = {}
    for service_id, category in session.execute(select(ServiceCategory.service_id, ServiceCategory.category)):
        categories.setdefault(service_id, set()).add(category)
    schedules: dict[str, list[Opening]] = {}
    for service_id, weekday, opens, closes in session.execute(
            select(Schedule.service_id, Schedule.weekday, Schedule.opens_min, Schedule.closes_min)):
        schedules.setdefault(service_id, []).append(Opening(weekday, opens, closes))
    hits: dict[str, float] = {}
    rows = session.execute(
        select(Service.id, Service.status, Service.minimum_age, Service.maximum_age, Service.always_open,
               Location.latitude, Location.longitude)
        .join(ServiceAtLocation, ServiceAtLocation.service_id == Service.id)
        .join(Location, Location.id == ServiceAtLocation.location_id))
    for service_id, status, min_age, max_age, always_open, lat, lon in rows:
        if status != "active" or not categories.get(service_id, set()) & wanted:
            continue
        if query.age is not None and ((min_age or 0) > query.age or (max_age or 200) < query.age):
            continue
        if not is_open(always_open, schedules.get(service_id, []), query.now):
            continue
        distance = haversine_km(query.place.latitude, query.place.longitude, lat, lon)
        if distance <= query.radius_km and distance < hits.get(service_id, math.inf):
            hits[service_id] = distance
    # search() ranks the nearest MAX_LOCAL: compare with the same cut
    return set(sorted(hits, key=lambda service_id: (hits[service_id], service_id))[:MAX_LOCAL])


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--naive", type=int, default=100, help="how many of the queries also run naively")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        create_schema(engine)
        started = time.perf_counter()
        organizations = synthetic_directory(args.services, seed=args.seed)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        with session_factory(engine)() as session, session.begin():
            report = upsert_organizations(session, organizations, source="bench")
        imported = time.perf_counter() - started
        assert report.ok and len(report.created) == args.services, report.problems[:5]
        del organizations
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))

        queries = _queries(args.queries, args.seed)
        sessions = session_factory(engine)
        indexed_ms, previous_ms, naive_ms, result_counts, mismatches, order_mismatches = [], [], [], [], 0, 0
        with sessions() as session:
            search(session, queries[0])  # warm the connection and statement caches
        indexed_sets, indexed_orders = [], []
        for query in queries:  # all indexed queries first, so the naive scans do not disturb their caches
            with sessions() as session:
                started = time.perf_counter()
                result = search(session, query)
                indexed_ms.append((time.perf_counter() - started) * 1000)
                local = {h.id for h in result.hits if h.scope == "local"}
                result_counts.append(len(local))
                indexed_sets.append(local)
                indexed_orders.append([h.id for h in result.hits])
        with sessions() as session:
            search_reference.search(session, queries[0])
        for query, order in zip(queries, indexed_orders, strict=True):
            with sessions() as session:
                started = time.perf_counter()
                previous = search_reference.search(session, query)
                previous_ms.append((time.perf_counter() - started) * 1000)
            order_mismatches += [h.id for h in previous.hits] != order
        for query, local in list(zip(queries, indexed_sets, strict=True))[:args.naive]:
            with sessions() as session:
                started = time.perf_counter()
                naive = _naive(session, query)
                naive_ms.append((time.perf_counter() - started) * 1000)
            if naive != local:
                mismatches += 1
        with engine.connect() as connection:
            plan = connection.execute(text(
                "EXPLAIN QUERY PLAN SELECT service_id, latitude, longitude FROM search_point WHERE category IN "
                "('shelter') AND latitude BETWEEN 37.5 AND 37.9 AND longitude BETWEEN -122.6 AND -122.1 AND "
                "status = 'active' AND (minimum_age IS NULL OR minimum_age <= 16) AND (maximum_age IS NULL OR "
                "maximum_age >= 16) AND (always_open = 1 OR EXISTS (SELECT 1 FROM schedule WHERE "
                "schedule.service_id = search_point.service_id AND schedule.weekday = 2 AND opens_min <= 600 "
                "AND closes_min > 600))")).all()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"\n{args.services:,} synthetic services, {args.queries:,} random queries (category + point + radius "
          f"10/25/50 km + age + open now), SQLite, {dt.date.today()}\n")
    print("| measure | indexed search | previous search (ORM objects) | naive full scan |")
    print("|---|---|---|---|")
    print(f"| queries timed | {len(indexed_ms):,} | {len(previous_ms):,} (the same) | {len(naive_ms):,} (first "
          f"{len(naive_ms)} of the same) |")
    print(f"| p50 ms | {statistics.median(indexed_ms):.1f} | {statistics.median(previous_ms):.1f} | "
          f"{statistics.median(naive_ms):.1f} |")
    print(f"| p95 ms | {_pct(indexed_ms, 95):.1f} | {_pct(previous_ms, 95):.1f} | {_pct(naive_ms, 95):.1f} |")
    print(f"| max ms | {max(indexed_ms):.1f} | {max(previous_ms):.1f} | {max(naive_ms):.1f} |")
    print(f"| median local results | {statistics.median(result_counts):.0f} | same ordered ids in "
          f"{len(previous_ms) - order_mismatches}/{len(previous_ms)} | same sets in "
          f"{len(naive_ms) - mismatches}/{len(naive_ms)} |")
    print(f"\n| build | value |\n|---|---|\n| generate {args.services:,} records | {generated:.1f} s |")
    print(f"| import {args.services:,} services (validate + one transaction) | {imported:.1f} s |")
    print(f"| peak memory (max RSS, whole run) | {peak_mb:.0f} MB |")
    print("\nquery plan of the located-services query:")
    for row in plan:
        print("  ", row[-1])
    print(f"load average (1, 5, 15 min) at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if mismatches == 0 and order_mismatches == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
