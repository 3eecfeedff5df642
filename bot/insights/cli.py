"""`python -m bot insights export --from DATE --to DATE [--format csv|json]`: the same suppressed report as
the desk's /desk/insights export, on stdout (read from DATABASE_URL / NAVIGATOR_DATA_DIR)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys

from bot.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="insights_command", required=True)
    export = sub.add_parser("export", help="suppressed aggregate counts and directory gaps for a period")
    export.add_argument("--from", dest="start", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
    export.add_argument("--to", dest="end", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--county", default=None, help="only this county's rows (e.g. Fresno)")
    export.add_argument("--category", default=None, help="only this need's columns (e.g. shelter)")


def main(args: argparse.Namespace) -> int:
    from bot.gateway.app import open_store
    from bot.insights.dimensions import CATEGORIES, COUNTY_VALUES
    from bot.insights.report import to_csv, to_json
    from bot.insights.service import make_report
    from bot.privacy.logs import configure_logging
    from resources.db import make_engine, session_factory

    configure_logging("WARNING")
    if args.county is not None and args.county not in COUNTY_VALUES:
        print(f"unknown county {args.county!r}", file=sys.stderr)
        return 2
    if args.category is not None and args.category not in CATEGORIES:
        print(f"unknown need {args.category!r}: one of {', '.join(CATEGORIES)}", file=sys.stderr)
        return 2
    settings = Settings.from_env()

    async def export() -> str:
        store = await open_store(settings)
        engine = make_engine(settings.gateway_database_url)
        try:
            report = await make_report(store, session_factory(engine), args.start, args.end)
        finally:
            await store.close()
            engine.dispose()
        if args.format == "json":
            return to_json(report, args.county, args.category) + "\n"
        return to_csv(report, args.county, args.category)

    sys.stdout.write(asyncio.run(export()))
    return 0
