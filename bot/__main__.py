"""Command line: `python -m bot run | gateway | migrate [--new MESSAGE] | chat | crisis-check | purge |
desk-user add NAME --role ROLE | insights export --from DATE --to DATE [--format csv|json]`."""

from __future__ import annotations

import argparse
import signal
import sys
import time

from bot.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start action server, Rasa and gateway; stop all on Ctrl-C/SIGTERM")
    commands.add_parser("gateway", help="start only the gateway (expects Rasa and the action server)")
    migrate = commands.add_parser("migrate", help="bring DATABASE_URL's database (default var/navigator.db) "
                                  "to the newest schema (the launcher and gateways also do it on start)")
    migrate.add_argument("--new", metavar="MESSAGE", help="autogenerate a new revision from the models instead")
    chat = commands.add_parser("chat", help="talk to a running navigator in this terminal")
    chat.add_argument("--url", default=None, help="gateway URL (default http://127.0.0.1:$PORT)")
    commands.add_parser("crisis-check", help="one message per line on stdin → one JSON verdict per line")
    purge = commands.add_parser("purge", help="erase everything older than RETENTION_DAYS from every store")
    purge.add_argument("--days", type=int, default=None, help="retention window (default RETENTION_DAYS or 30)")
    from bot.desk import cli as desk_cli

    desk_cli.add_arguments(commands.add_parser("desk-user", help="advocate desk accounts (add, list)"))
    from bot.insights import cli as insights_cli

    insights_cli.add_arguments(commands.add_parser("insights", help="unmet-needs insights (export)"))
    args = parser.parse_args(argv)

    if args.command == "run":
        return _run_stack()
    if args.command == "gateway":
        return _run_gateway()
    if args.command == "migrate":
        return _migrate(args.new)
    if args.command == "chat":
        from bot.terminal_chat import chat_loop

        return chat_loop(args.url or f"http://127.0.0.1:{Settings.from_env().port}")
    if args.command == "desk-user":
        return desk_cli.main(args)
    if args.command == "insights":
        return insights_cli.main(args)
    if args.command == "purge":
        return _purge(args.days)
    from bot.crisis.cli import main as crisis_check

    return crisis_check([])


def _purge(days: int | None) -> int:
    import asyncio
    import json

    from bot.gateway.app import open_store
    from bot.privacy.logs import configure_logging
    from bot.privacy.retention import Erasure, RasaTrackerStore

    configure_logging("WARNING")
    settings = Settings.from_env()
    window = days if days is not None else settings.retention_days
    if window < 1:
        print("--days must be at least 1", file=sys.stderr)
        return 2

    async def purge() -> dict[str, int]:
        store = await open_store(settings)
        tracker = RasaTrackerStore(settings.rasa_tracker_url)
        try:
            report = await Erasure(store, tracker).purge(window)
        finally:
            tracker.close()
            await store.close()
        return report.to_dict()

    print(json.dumps({"retention_days": window, "erased": asyncio.run(purge())}))
    return 0


def _migrate(new: str | None) -> int:
    from bot.migrate import current_revision, new_revision, upgrade

    settings = _settings_or_exit()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.sync_database_url)
    if new:
        new_revision(settings.sync_database_url, new)
        return 0
    print(f"database schema at revision {current_revision(settings.sync_database_url)}")
    return 0


def _settings_or_exit() -> Settings:
    from bot.endpoints import ConfigError

    try:
        return Settings.from_env()
    except ConfigError as problem:
        print(f"configuration error: {problem}", file=sys.stderr)
        raise SystemExit(2) from None


def _run_gateway() -> int:
    from aiohttp import web

    from bot.gateway.app import create_app
    from bot.privacy.logs import configure_logging

    configure_logging()
    settings = _settings_or_exit()
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None, access_log=None)
    return 0


def _run_stack() -> int:
    from bot.launcher import Stack

    settings = _settings_or_exit()
    stack = Stack(port=settings.port, rasa_port=settings.rasa_port, action_port=settings.action_port,
                  data_dir=settings.data_dir, log_dir=settings.data_dir / "logs")
    # A plain flag: a signal handler must not take locks (threading.Event would deadlock on a 2nd signal).
    stop_requested: list[bool] = []

    def request_stop(*_: object) -> None:
        stop_requested.append(True)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    print("starting action server, Rasa engine and gateway (logs in var/logs/) …", flush=True)
    stack.start()
    print(f"\n  Navigator is ready: {stack.url}\n  Press Ctrl-C to stop.\n", flush=True)
    try:
        while not stop_requested:
            time.sleep(0.5)
            for name, process in stack.processes.items():
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; stopping.", file=sys.stderr)
                    stop_requested.append(True)
    finally:
        stack.stop()
        print("stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

