"""Gateway app factory: shared resources live on the app under typed keys, opened and closed by cleanup_ctx."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from sqlalchemy.exc import DBAPIError, OperationalError

import bot.desk.models
import bot.handoff.models  # their tables belong to the gateway's schema
import bot.insights.models  # noqa: F401
import channels.sms.store  # noqa: F401  (its tables too)
from bot.conversation import ConversationCore
from bot.crisis.screen import CrisisScreen
from bot.desk.accounts import DeskAccounts, LoginLimiter
from bot.desk.audit import AuditLog
from bot.engine import EngineClient
from bot.gateway import api, health, proxies, stream
from bot.gateway.keys import (
    ACCOUNTS,
    AUDIT,
    CLOCK,
    CORE,
    ERASURE,
    GATE,
    HANDOFFS,
    HTTP,
    HUB,
    LIMITS,
    LOGIN_LIMITER,
    SETTINGS,
    STORE,
    Limits,
)
from bot.handoff.gate import HandoffGate
from bot.handoff.hub import LiveHub
from bot.handoff.relay import RedisRelay, channel_for
from bot.handoff.service import Clock, HandoffService, utc_now
from bot.migrate import upgrade
from bot.privacy.redact import default_redactor
from bot.privacy.retention import Erasure, RasaTrackerStore, enable_secure_delete
from bot.replies import gateway_text
from bot.settings import Settings
from bot.store import ConversationStore
from channels.desk import insights as desk_insights
from channels.desk import routes as desk
from channels.sms import gateway as sms
from channels.sms.config import WEBHOOK_PATH as SMS_WEBHOOK_PATH
from channels.sms.twilio_webhook import twiml_response
from channels.webchat import routes as webchat

log = logging.getLogger(__name__)
# Paths under the per-address limit (the SMS webhook has its own: every text comes from Twilio's addresses).
LIMITED_PREFIXES = ("/api/", "/desk/api/")


def create_app(settings: Settings, clock: Clock | None = None) -> web.Application:
    """`clock` is for tests that need time to pass (the handoff must not care how long anyone was silent)."""
    # The client's real address first (behind a load balancer), so every limit below counts the right one.
    app = web.Application(client_max_size=settings.max_body_bytes,
                          middlewares=[proxies.middleware(proxies.parse_networks(settings.trusted_proxies)),
                                       security_headers, database_outage, address_limit])
    app[SETTINGS] = settings
    app[CLOCK] = clock or utc_now
    app[LIMITS] = Limits(settings)
    app.cleanup_ctx.append(_resources)
    app.cleanup_ctx.append(_retention)
    app.on_startup.append(_freeze_heap)  # runs after the cleanup contexts have opened everything
    app.on_shutdown.append(_close_sockets)
    app.add_routes(api.routes)
    app.add_routes(health.routes)
    app.add_routes(stream.routes)
    webchat.setup(app)
    desk.setup(app)
    desk_insights.setup(app)
    sms.setup(app)
    return app


async def open_store(settings: Settings) -> ConversationStore:
    """The gateway's database, migrated to the newest schema first (bot/migrate.py: one process migrates,
    others starting at the same time wait, then find nothing to do)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(upgrade, settings.sync_database_url)
    store = ConversationStore.from_url(settings.gateway_database_url)
    enable_secure_delete(store)
    return store


async def _resources(app: web.Application) -> AsyncIterator[None]:
    settings, clock = app[SETTINGS], app[CLOCK]
    store = await open_store(settings)
    http = aiohttp.ClientSession()
    engine = EngineClient(http, settings.rasa_urls, settings.bridge_secret, settings.engine_timeout_s)
    hub = LiveHub()
    if settings.redis_url:
        hub.relay = RedisRelay(settings.redis_url, channel_for(settings.sync_database_url, str(settings.data_dir)),
                               hub.relayed)
        await hub.relay.start()
    handoffs = HandoffService(store, clock)
    gate = HandoffGate(handoffs, hub, store, settings.desk_hours, desk_hours_es=settings.desk_hours_es)
    app[STORE], app[HTTP], app[HUB], app[HANDOFFS], app[GATE] = store, http, hub, handoffs, gate
    app[ACCOUNTS] = DeskAccounts(store, clock)
    app[AUDIT] = AuditLog(store, clock)
    app[LOGIN_LIMITER] = LoginLimiter(store, clock=clock)
    app[ERASURE] = Erasure(store, RasaTrackerStore(settings.rasa_tracker_url))
    app[CORE] = ConversationCore(store=store, engine=engine, crisis=_crisis_screen(),
                                 crisis_timeout_s=settings.crisis_engine_timeout_s, handoff=gate,
                                 redactor=default_redactor())
    yield
    if hub.relay is not None:
        await hub.relay.close()
    await gate.close()
    await http.close()
    if app[ERASURE].tracker is not None:
        app[ERASURE].tracker.close()
    await store.close()


async def _retention(app: web.Application) -> AsyncIterator[None]:
    """The periodic purge: at start-up, then every PURGE_INTERVAL_S."""
    settings = app[SETTINGS]

    async def loop() -> None:
        while True:
            try:
                await app[ERASURE].purge(settings.retention_days)
            except Exception:
                log.exception("retention purge failed; trying again next round")
            await asyncio.sleep(settings.purge_interval_s)

    task = asyncio.get_running_loop().create_task(loop())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _freeze_heap(_: web.Application) -> None:
    """Everything loaded at start-up (the crisis model, the redactor's tables, the libraries: ~180,000
    objects) lives as long as the process: move it out of the garbage collector's sight. Otherwise every
    full collection walks all of it — ~80 ms with the event loop stopped (several times that on a busy
    machine), which was the slowest moment of a burst of desk traffic."""
    gc.collect()
    gc.freeze()


async def _close_sockets(app: web.Application) -> None:
    if HUB in app:
        await app[HUB].close_all()


def _crisis_screen() -> CrisisScreen:
    return CrisisScreen()


@web.middleware
async def address_limit(request: web.Request, handler):
    """Per client address, before any work: a flood from one address is refused, nobody else waits."""
    if request.path.startswith(LIMITED_PREFIXES):
        limiter = request.app[LIMITS].addresses
        key = f"ip:{request.remote}"
        if not limiter.allow(key):
            return web.json_response({"error": "too many requests; try again in a minute"}, status=429,
                                     headers={"Retry-After": str(limiter.retry_after(key))})
    return await handler(request)


@web.middleware
async def database_outage(request: web.Request, handler):
    """While the database cannot be reached (a PostgreSQL restart, a failover): nobody gets a bare 500. The
    youth is given the 24/7 lines at once; web clients get 503 with Retry-After and send the same message
    again (its client_message_id keeps it to one copy); Twilio gets the lines as the reply, because it
    does not send a text again."""
    try:
        return await handler(request)
    except (DBAPIError, ConnectionError, TimeoutError) as exc:
        if isinstance(exc, DBAPIError) and not exc.connection_invalidated and not _is_outage(exc):
            raise
        log.warning("database unavailable: %s", type(exc).__name__, extra={"event": "database_down"})
        text = gateway_text("database_unavailable", "en")
        if request.path == SMS_WEBHOOK_PATH:
            return web.Response(text=twiml_response([text]), content_type="application/xml")
        return web.json_response({"error": text, "messages": [{"text": text}]}, status=503,
                                 headers={"Retry-After": "2"})


def _is_outage(exc: DBAPIError) -> bool:
    """Connection-level failures, not a bad query: those are bugs and stay 500s."""
    return isinstance(exc, OperationalError) or isinstance(exc.orig, (ConnectionError, OSError)) or any(
        phrase in str(exc.orig).lower() for phrase in
        ("starting up", "shutting down", "connection", "terminating", "closed", "cannot connect"))


@web.middleware
async def security_headers(request: web.Request, handler):
    response = await handler(request)
    if response.prepared:  # a WebSocket: its handshake headers are gone already
        return response
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    )
    response.headers.setdefault("Cache-Control", "no-store")
    return response
