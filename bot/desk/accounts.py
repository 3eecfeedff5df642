"""Desk accounts and logins: Argon2id password hashes, server-side sessions with a CSRF token each, and a
login rate limit. There are no default accounts: `python -m bot desk-user add NAME --role …` creates them."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from bot.desk.models import ROLES, DeskSession, DeskUser, LoginFailure
from bot.handoff.models import as_utc
from bot.store import ConversationStore

MIN_PASSWORD_CHARS = 12
SESSION_HOURS = 12
_hasher = PasswordHasher()  # Argon2id, library defaults (RFC 9106 low-memory profile)
# Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    pass


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class DeskIdentity:
    """The logged-in advocate, as request handlers see them."""

    id: int
    name: str
    role: str
    csrf: str
    on_duty: bool

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"


@dataclass
class DeskAccounts:
    store: ConversationStore
    clock: Callable[[], dt.datetime] = field(default=_utc_now)

    async def add_user(self, name: str, role: str, password: str) -> DeskUser:
        name = name.strip()
        if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise AccountError("a name is 1–64 letters, digits, '-', '_' or '.'")
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD_CHARS:
            raise AccountError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
        # Argon2 takes tens of milliseconds of CPU by design: in a thread, so the event loop keeps serving.
        password_hash = await asyncio.to_thread(_hasher.hash, password)
        user = DeskUser(name=name, role=role, password_hash=password_hash, on_duty=False, active=True,
                        created_at=self.clock())
        try:
            async with self.store.sessions.begin() as session:
                session.add(user)
        except IntegrityError as exc:
            raise AccountError(f"there is already an account called {name!r}") from exc
        return user

    async def users(self) -> list[DeskUser]:
        async with self.store.sessions() as session:
            return list(await session.scalars(select(DeskUser).order_by(DeskUser.name)))

    async def user(self, user_id: int) -> DeskUser | None:
        async with self.store.sessions() as session:
            return await session.get(DeskUser, user_id)

    async def authenticate(self, name: str, password: str) -> DeskUser | None:
        async with self.store.sessions() as session:
            user = await session.scalar(select(DeskUser).where(DeskUser.name == name, DeskUser.active.is_(True)))
        try:
            await asyncio.to_thread(_hasher.verify, user.password_hash if user else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return user

    async def start_session(self, user: DeskUser) -> tuple[str, str]:
        """A new session: (cookie token, CSRF token). Only the token's hash is stored."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock()
        async with self.store.sessions.begin() as session:
            session.add(DeskSession(token_hash=_token_hash(token), user_id=user.id, csrf=csrf, created_at=now,
                                    expires_at=now + dt.timedelta(hours=SESSION_HOURS)))
        return token, csrf

    async def identify(self, token: str) -> DeskIdentity | None:
        if not token:
            return None
        async with self.store.sessions() as session:
            row = (await session.execute(
                select(DeskSession, DeskUser).join(DeskUser, DeskUser.id == DeskSession.user_id)
                .where(DeskSession.token_hash == _token_hash(token))
            )).first()
        if row is None:
            return None
        desk_session, user = row
        if not user.active or as_utc(desk_session.expires_at) <= self.clock():
            return None
        return DeskIdentity(user.id, user.name, user.role, desk_session.csrf, user.on_duty)

    async def end_session(self, token: str) -> None:
        async with self.store.sessions.begin() as session:
            await session.execute(delete(DeskSession).where(DeskSession.token_hash == _token_hash(token)))

    async def set_duty(self, user_id: int, on_duty: bool) -> None:
        async with self.store.sessions.begin() as session:
            await session.execute(update(DeskUser).where(DeskUser.id == user_id).values(on_duty=on_duty))


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


@dataclass
class LoginLimiter:
    """At most `max_failures` wrong passwords per account name (and `max_failures_per_address` per client
    address, for guessing across names) in `window_s`; while over the limit even the right password is
    refused, so guessing gains nothing. Keys are "name:…" and "ip:…". The failures are rows in the
    gateway's database (bot.desk.models.LoginFailure), so restarting the gateway does not reset them."""

    store: ConversationStore
    max_failures: int = 5
    max_failures_per_address: int = 50
    window_s: float = 15 * 60
    clock: Callable[[], dt.datetime] = field(default=_utc_now)

    def _limit(self, key: str) -> int:
        return self.max_failures_per_address if key.startswith("ip:") else self.max_failures

    def _cutoff(self) -> dt.datetime:
        return self.clock() - dt.timedelta(seconds=self.window_s)

    async def blocked(self, *keys: str) -> bool:
        hashes = {_token_hash(k): k for k in keys}
        async with self.store.sessions() as session:
            rows = (await session.execute(
                select(LoginFailure.key_hash, func.count()).where(
                    LoginFailure.key_hash.in_(hashes), LoginFailure.at >= self._cutoff())
                .group_by(LoginFailure.key_hash)
            )).all()
        return any(count >= self._limit(hashes[key_hash]) for key_hash, count in rows)

    async def failed(self, *keys: str) -> None:
        now = self.clock()
        async with self.store.sessions.begin() as session:
            await session.execute(delete(LoginFailure).where(LoginFailure.at < self._cutoff()))
            session.add_all([LoginFailure(key_hash=_token_hash(k), at=now) for k in keys])

    async def succeeded(self, *keys: str) -> None:
        async with self.store.sessions.begin() as session:
            await session.execute(delete(LoginFailure).where(LoginFailure.key_hash.in_([_token_hash(k) for k in keys])))
