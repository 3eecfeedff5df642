"""`python -m bot desk-user add NAME --role advocate|supervisor` (password from a prompt, or one line on
stdin when not a terminal) and `python -m bot desk-user list`. There are no default accounts."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from bot.desk.accounts import AccountError, DeskAccounts
from bot.desk.models import ROLES
from bot.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="desk_command", required=True)
    add = actions.add_parser("add", help="create an account (asks for the password)")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    actions.add_parser("list", help="list accounts (name, role, on duty)")


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise AccountError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


async def _run(args: argparse.Namespace) -> int:
    from bot.gateway.app import open_store

    store = await open_store(Settings.from_env())
    try:
        accounts = DeskAccounts(store)
        if args.desk_command == "list":
            for user in await accounts.users():
                print(f"{user.name}\t{user.role}\t{'on duty' if user.on_duty else 'off duty'}")
            return 0
        user = await accounts.add_user(args.name, args.role, _read_password())
        print(f"created {user.role} {user.name!r}; log in at /desk")
        return 0
    finally:
        await store.close()


def main(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_run(args))
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
