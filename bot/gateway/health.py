"""Health for load balancers and orchestrators.

GET /healthz  → 200 while the process serves requests (liveness: restart it when this fails).
GET /readyz   → 200 when everything it depends on answers: the database (a `SELECT 1`), Redis (when
                REDIS_URL is set: the live-event relay is subscribed and can publish) and the Rasa engine;
                otherwise 503 naming what failed, e.g. {"status": "unavailable", "failed": ["engine"], …}.
                Take the instance out of rotation while it is 503. Even then it still answers youths with
                the crisis lines and its own fallback replies, so a 503 is "prefer another instance", not
                "dead".
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from sqlalchemy import text

from bot.gateway.keys import CORE, HUB, STORE

routes = web.RouteTableDef()
CHECK_TIMEOUT_S = 2.0


@routes.get("/healthz")
async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _database(app: web.Application) -> bool:
    async with app[STORE].engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return True


async def _bounded(check: asyncio.Future[bool] | asyncio.Task[bool]) -> bool:
    try:
        return bool(await asyncio.wait_for(check, CHECK_TIMEOUT_S))
    except Exception:  # any failure of a dependency is "not ready", never a 500 from the probe itself
        return False


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    app = request.app
    loop = asyncio.get_running_loop()
    names = ["database", "engine"]
    checks = [loop.create_task(_database(app)), loop.create_task(app[CORE].engine.ready())]
    results = dict(zip(names, await asyncio.gather(*(_bounded(c) for c in checks)), strict=True))
    relay = app[HUB].relay
    if relay is not None:
        results["redis"] = relay.connected
    failed = [name for name, ok in results.items() if not ok]
    return web.json_response({"status": "unavailable" if failed else "ok", "failed": failed, **results},
                             status=503 if failed else 200)
