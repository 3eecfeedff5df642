"""Directory command line: `python -m resources load | build-gazetteer`."""

from __future__ import annotations

import argparse
import sys

from resources.db import database_url, make_engine
from resources.geo import write_gazetteer
from resources.loader import load_curated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m resources", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load", help="build/refresh the directory from the curated seed files")
    load.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
    commands.add_parser("build-gazetteer", help="recompile resources/data/gazetteer.json from the packages")
    args = parser.parse_args(argv)

    if args.command == "build-gazetteer":
        write_gazetteer()
        return 0
    engine = make_engine()
    report = load_curated(engine, dry_run=args.dry_run)
    for problem in report.problems:
        print(problem, file=sys.stderr)
    if report.problems:
        print(f"{len(report.problems)} problem(s); nothing was written.", file=sys.stderr)
        return 1
    verb = "would change" if args.dry_run else "changed"
    print(f"directory at {database_url()}: {len(report.created)} new, {len(report.updated)} updated, "
          f"{len(report.unchanged)} unchanged ({verb})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
