"""Directory command line (acts on DATABASE_URL, default var/navigator.db):

  load [--dry-run]                        rebuild from the curated seed files and the hotline list
  import PATH... [--dry-run] [--taxonomy-map FILE]   HSDS 3.0 JSON, HSDS CSV tables, curated YAML
  export OUT.json                         the whole directory as HSDS 3.0 JSON
  stale [--days N]                        services not verified in N days (default 180)
  retire ID [--reason TEXT] [--undo]      take a service out of search, keeping it and its history
  alert ID [TEXT] [--closed] [--clear]    a notice on the service's card (temporarily closed, hours changed)
  generate --services N [--seed S]        synthetic statewide directory, for benchmark databases only
  build-gazetteer                         recompile resources/data/gazetteer.json
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import func, select

from resources.db import create_schema, database_url, make_engine, session_factory
from resources.store import ImportReport


def _print_report(report: ImportReport, dry_run: bool, list_ids: bool) -> int:
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for problem in report.problems:
        print(problem, file=sys.stderr)
    if report.problems:
        print(f"{len(report.problems)} problem(s); nothing was written.", file=sys.stderr)
        return 1
    verb = "would change (dry run, nothing written)" if dry_run else "changed"
    print(f"directory at {database_url()}: {len(report.created)} new, {len(report.updated)} updated, "
          f"{len(report.unchanged)} unchanged ({verb})")
    if list_ids:
        for label, ids in (("new", report.created), ("updated", report.updated)):
            for service_id in ids:
                print(f"  {label}: {service_id}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m resources", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load", help="build/refresh the directory from the curated seed files")
    load.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
    imp = commands.add_parser("import", help="import HSDS 3.0 JSON, HSDS CSV tables or curated YAML")
    imp.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files, or folders of them")
    imp.add_argument("--dry-run", action="store_true", help="check and show what would change, write nothing")
    imp.add_argument("--taxonomy-map", type=Path, action="append", default=[], metavar="FILE",
                     help="extra taxonomy term → category table (see resources/data/taxonomy_map.yaml)")
    exp = commands.add_parser("export", help="write the directory as HSDS 3.0 JSON")
    exp.add_argument("out", type=Path, metavar="OUT.json")
    st = commands.add_parser("stale", help="list services not verified recently")
    st.add_argument("--days", type=int, default=180)
    ret = commands.add_parser("retire", help="retire a service (status inactive; never in search)")
    ret.add_argument("id")
    ret.add_argument("--reason", default="")
    ret.add_argument("--undo", action="store_true", help="restore a retired service")
    al = commands.add_parser("alert", help="set or clear the notice on a service's card")
    al.add_argument("id")
    al.add_argument("text", nargs="?")
    al.add_argument("--closed", action="store_true", help="also mark it temporarily closed")
    al.add_argument("--clear", action="store_true")
    gen = commands.add_parser("generate", help="synthetic directory for benchmarks (never the real one)")
    gen.add_argument("--services", type=int, required=True)
    gen.add_argument("--seed", type=int, default=11)
    commands.add_parser("build-gazetteer", help="recompile resources/data/gazetteer.json from the packages")
    args = parser.parse_args(argv)

    if args.command == "build-gazetteer":
        from resources.geo import write_gazetteer

        write_gazetteer()
        return 0
    engine = make_engine()
    if args.command == "load":
        from resources.loader import load_curated

        return _print_report(load_curated(engine, dry_run=args.dry_run), args.dry_run, list_ids=False)
    if args.command == "import":
        from resources.importer import import_paths
        from resources.taxonomy import TaxonomyMap

        try:
            taxonomy = TaxonomyMap.load(*args.taxonomy_map)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        report = import_paths(engine, args.paths, dry_run=args.dry_run, taxonomy=taxonomy)
        return _print_report(report, args.dry_run, list_ids=args.dry_run)
    create_schema(engine)
    sessions = session_factory(engine)
    if args.command == "export":
        from resources.export import write_export

        with sessions() as session:
            count = write_export(session, args.out)
        print(f"wrote {count} services to {args.out}")
        return 0
    if args.command == "stale":
        from resources.curation import stale

        with sessions() as session:
            rows = stale(session, args.days)
        for row in rows:
            print(f"{row.id}\t{row.verified_on}\t{row.days} days\t{row.organization} – {row.name}\t{row.source_url}")
        print(f"{len(rows)} service(s) not verified in {args.days} days", file=sys.stderr)
        return 0
    if args.command in ("retire", "alert"):
        from resources.curation import CurationError, restore, retire, set_alert

        try:
            with sessions() as session, session.begin():
                if args.command == "retire":
                    service = restore(session, args.id) if args.undo else retire(session, args.id, args.reason)
                    print(f"{service.id}: {'restored' if args.undo else 'retired'} (status {service.status})")
                else:
                    if not args.clear and not args.text:
                        print("give the alert TEXT, or --clear", file=sys.stderr)
                        return 2
                    service = set_alert(session, args.id, None if args.clear else args.text, closed=args.closed)
                    print(f"{service.id}: status {service.status}, alert: {service.alert or '(none)'}")
        except CurationError as exc:
            print(exc, file=sys.stderr)
            return 1
        return 0
    if args.command == "generate":
        from resources.generate import PREFIX, synthetic_directory
        from resources.models import Service
        from resources.store import upsert_organizations

        with sessions() as session, session.begin():
            real = session.scalar(select(func.count()).select_from(Service).where(~Service.id.startswith(PREFIX)))
            if real:
                print(f"refusing: {database_url()} holds {real} real services; synthetic data is for benchmark "
                      "databases only (set DATABASE_URL to an empty one)", file=sys.stderr)
                return 1
            report = upsert_organizations(session, synthetic_directory(args.services, args.seed), source="generate")
        return _print_report(report, False, list_ids=False)
    return 2


if __name__ == "__main__":
    sys.exit(main())
