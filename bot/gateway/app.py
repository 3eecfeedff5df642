"""Gateway app factory: shared resources live on the app under typed keys, opened and closed by cleanup_ctx."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from bot.conversation import ConversationCore
from bot.crisis.screen import CrisisScreen
from bot.engine import EngineClient
from bot.gateway import api
from bot.gateway.keys import CORE, HTTP, SETTINGS, STORE
from bot.settings import Settings
from bot.store import ConversationStore
from channels.webchat import routes as webchat


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[security_headers])
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_resources)
    app.add_routes(api.routes)
    webchat.setup(app)
    return app


async def _resources(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = ConversationStore.from_url(settings.gateway_database_url)
    await store.create_schema()
    http = aiohttp.ClientSession()
    engine = EngineClient(http, settings.rasa_url, settings.bridge_secret, settings.engine_timeout_s)
    app[STORE], app[HTTP] = store, http
    app[CORE] = ConversationCore(store=store, engine=engine, crisis=_crisis_screen(),
                                 crisis_timeout_s=settings.crisis_engine_timeout_s)
    yield
    await http.close()
    await store.close()


def _crisis_screen() -> CrisisScreen:
    return CrisisScreen()


@web.middleware
async def security_headers(request: web.Request, handler):
    response = await handler(request)
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
