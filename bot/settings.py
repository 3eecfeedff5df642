"""Settings from environment variables, with safe defaults for a laptop (loopback only, SQLite)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from bot.endpoints import (
    ConfigError,
    async_database_url,
    check_database_url,
    check_redis_url,
    rasa_tracker_url,
    sync_database_url,
)
from bot.gateway.proxies import parse_networks

REPO_ROOT = Path(__file__).resolve().parents[1]


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value and value.strip().isdigit() else default


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    rasa_port: int = 5005
    action_port: int = 5055
    data_dir: Path = REPO_ROOT / "var"
    # DATABASE_URL (postgresql://…; default: SQLite files in data_dir) and REDIS_URL (redis://…; default: none,
    # one gateway process): see bot/endpoints.py and the README's "Deploying on several machines".
    database_url: str = ""
    redis_url: str = ""
    # Load balancers whose X-Forwarded-For is believed (bot/gateway/proxies.py); none by default.
    trusted_proxies: str = ""
    extra_rasa_urls: tuple[str, ...] = ()
    # Shared with the Rasa bridge channel; generated per run by the launcher when not set.
    bridge_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    engine_timeout_s: float = 3.0
    # A crisis reply leads with the protocol; it waits this long at most for the engine's part.
    crisis_engine_timeout_s: float = 1.5
    max_message_chars: int = 2000
    max_body_bytes: int = 64 * 1024
    # The advocate desk: when people are there (told to youth when nobody is on duty), and whether the desk's
    # session cookie gets `Secure` (set DESK_COOKIE_SECURE=1 when the gateway is served over TLS).
    desk_hours: str = "every day from 10am to 10pm (California time)"
    # The same hours told to Spanish conversations (DESK_HOURS_ES). When only DESK_HOURS is set, Spanish
    # conversations read it as written: an operator's own hours beat a default that may be wrong.
    desk_hours_es: str = "todos los días de 10am a 10pm (hora de California)"
    desk_cookie_secure: bool = False
    # Privacy: how long anything about a conversation is kept after its last message, and how often the
    # gateway purges what is older (bot/privacy/retention.py; also `python -m bot purge`).
    retention_days: int = 30
    purge_interval_s: int = 3600
    # Abuse resistance (bot/gateway/limits.py): token buckets per sender (conversation or phone) and per
    # client address; a burst of `*_burst` at once, then `*_per_min` a minute.
    sender_per_min: int = 30
    sender_burst: int = 15
    ip_per_min: int = 240
    ip_burst: int = 60
    new_conversations_per_min: int = 20

    @property
    def rasa_tracker_path(self) -> Path:
        """Rasa's SQL tracker store on SQLite (endpoints.yml: `db: ${NAVIGATOR_DATA_DIR}/rasa_tracker.db`)."""
        return self.data_dir / "rasa_tracker.db"

    @property
    def rasa_tracker_url(self) -> str:
        """Rasa's tracker store as a blocking SQLAlchemy URL: the SQLite file, or DATABASE_URL's database."""
        return rasa_tracker_url(self.database_url, self.data_dir)

    @property
    def sync_database_url(self) -> str:
        """The gateway's database for blocking code (migrations, the directory)."""
        return sync_database_url(self.gateway_database_url)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def rasa_urls(self) -> list[str]:
        """Every Rasa instance this gateway may use (`RASA_URLS`, comma-separated), else the one on RASA_PORT."""
        return list(self.extra_rasa_urls) or [self.rasa_url]

    @property
    def gateway_database_url(self) -> str:
        if self.database_url:
            return async_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{self.data_dir / 'navigator.db'}"

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(os.environ.get("NAVIGATOR_DATA_DIR", REPO_ROOT / "var"))
        database_url = os.environ.get("DATABASE_URL", "").strip()
        redis_url = os.environ.get("REDIS_URL", "").strip()
        check_database_url(database_url)  # a typo must stop the start, not fall back to SQLite quietly
        check_redis_url(redis_url)
        trusted_proxies = os.environ.get("TRUSTED_PROXIES", "").strip()
        try:
            parse_networks(trusted_proxies)
        except ValueError as problem:
            raise ConfigError(str(problem)) from None
        secret = os.environ.get("BRIDGE_SECRET") or secrets.token_urlsafe(32)
        return cls(
            host=os.environ.get("HOST", "127.0.0.1"),
            port=_int("PORT", 8080),
            rasa_port=_int("RASA_PORT", 5005),
            action_port=_int("ACTION_PORT", 5055),
            data_dir=data_dir,
            database_url=database_url,
            redis_url=redis_url,
            trusted_proxies=trusted_proxies,
            extra_rasa_urls=tuple(u.strip() for u in os.environ.get("RASA_URLS", "").split(",") if u.strip()),
            bridge_secret=secret,
            engine_timeout_s=float(os.environ.get("ENGINE_TIMEOUT_S", "3")),
            crisis_engine_timeout_s=float(os.environ.get("CRISIS_ENGINE_TIMEOUT_S", "1.5")),
            desk_hours=os.environ.get("DESK_HOURS") or cls.desk_hours,
            desk_hours_es=(os.environ.get("DESK_HOURS_ES") or os.environ.get("DESK_HOURS") or cls.desk_hours_es),
            desk_cookie_secure=os.environ.get("DESK_COOKIE_SECURE", "").lower() in ("1", "true", "yes"),
            retention_days=max(1, _int("RETENTION_DAYS", 30)),
            purge_interval_s=max(60, _int("PURGE_INTERVAL_S", 3600)),
            sender_per_min=max(1, _int("RATE_SENDER_PER_MIN", 30)),
            sender_burst=max(1, _int("RATE_SENDER_BURST", 15)),
            ip_per_min=max(1, _int("RATE_IP_PER_MIN", 240)),
            ip_burst=max(1, _int("RATE_IP_BURST", 60)),
            new_conversations_per_min=max(1, _int("RATE_NEW_CONVERSATIONS_PER_MIN", 20)),
        )
