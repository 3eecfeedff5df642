"""While the database is away (a PostgreSQL restart), the gateway answers every youth with the 24/7 lines
and a 503 to try again, never a bare 500; the same message sent again after it is back is stored once.

Runs a private PostgreSQL cluster of its own (tests/bench/scale_services.py), so stopping it touches nothing
else on the machine."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.gateway.app import create_app
from bot.launcher import free_port
from bot.settings import Settings
from tests.bench.scale_services import PrivatePostgres, _pg_bin
from tests.services import unavailable


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    try:
        _pg_bin()
    except RuntimeError:
        unavailable("PostgreSQL's server binaries (apt: postgresql)")  # fails under .ci/run
    root = Path(tempfile.mkdtemp(prefix="outage-"))
    root.chmod(0o755)  # the cluster runs as its own user
    cluster = PrivatePostgres(root / "pg")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
async def gateway(postgres: PrivatePostgres, tmp_path: Path) -> AsyncIterator[str]:
    settings = Settings(data_dir=tmp_path, rasa_port=free_port(), engine_timeout_s=0.3,
                        database_url=postgres.url)
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_a_database_outage_gives_the_lines_and_loses_nothing(postgres: PrivatePostgres, gateway: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(gateway + "/api/conversations") as resp:
            created = await resp.json()
        url = f"{gateway}/api/conversations/{created['conversation_id']}/messages"
        auth = {"Authorization": f"Bearer {created['token']}"}
        message = {"text": "i want to kill myself", "client_message_id": secrets.token_hex(12)}

        postgres.stop()
        async with http.post(url, json=message, headers=auth) as resp:
            assert resp.status == 503
            assert resp.headers["Retry-After"]
            body = await resp.json()
        assert "988" in body["error"] and "911" in body["error"]
        assert body["messages"][0]["text"] == body["error"]

        postgres.start()
        for _ in range(2):  # the client's retry, and one more for good measure: one copy either way
            async with http.post(url, json=message, headers=auth) as resp:
                assert resp.status == 200, await resp.text()
                answer = await resp.json()
            assert any("988" in m["text"] for m in answer["messages"])

    import sqlalchemy as sa

    engine = sa.create_engine("postgresql+psycopg://" + postgres.url.removeprefix("postgresql://"))
    with engine.connect() as db:
        stored = db.execute(sa.text("SELECT COUNT(*) FROM message WHERE sender = 'user'")).scalar_one()
    engine.dispose()
    assert stored == 1
