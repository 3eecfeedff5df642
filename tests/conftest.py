"""Shared fixtures. The `stack` fixture starts the real thing — action server, Rasa engine with the trained
model, gateway — on free loopback ports with its own data directory, exactly as `make run` does."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import http.cookiejar
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.launcher import MODELS_DIR, Stack, free_port  # noqa: E402


@dataclass
class Reply:
    status: int
    body: dict[str, Any]


class Client:
    """A tiny HTTP client for the gateway API (urllib: no extra moving parts in the tests themselves)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        req = urllib.request.Request(self.base_url + path, data=body, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), exc.code
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {"raw": raw.decode(errors="replace")}
        return Reply(status, parsed)

    def start(self) -> Conversation:
        reply = self.request("POST", "/api/conversations")
        assert reply.status == 201, reply
        return Conversation(self, reply.body["conversation_id"], reply.body["token"])


class Conversation:
    def __init__(self, client: Client, conversation_id: str, token: str) -> None:
        self.client, self.id, self.token = client, conversation_id, token

    def send_raw(self, body: bytes, token: str | None = None, content_type: str = "application/json") -> Reply:
        headers = {"Content-Type": content_type, "Authorization": f"Bearer {token or self.token}"}
        return self.client.request("POST", f"/api/conversations/{self.id}/messages", body, headers)

    def say(self, text: str) -> list[dict[str, Any]]:
        reply = self.send_raw(json.dumps({"text": text}).encode())
        assert reply.status == 200, reply
        return reply.body["messages"]


SMS_FROM = "+14155550100"


@pytest.fixture(scope="session")
def fake_twilio() -> Iterator[Any]:
    """Twilio's REST API as a local fake (tests/fakes/fake_twilio.py); the stack's gateway texts through it."""
    from tests.fakes.fake_twilio import FakeTwilioThread

    server = FakeTwilioThread()
    fake = server.start()
    try:
        yield fake
    finally:
        server.stop()


def sms_env(public_base_url: str, api_base: str) -> dict[str, str]:
    """Everything the SMS channel needs; the secrets are fresh for every test session."""
    import secrets

    from bot.privacy.sealed import generate_key
    from tests.fakes.fake_twilio import ACCOUNT_SID, AUTH_TOKEN

    return {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM": SMS_FROM,
            "PUBLIC_BASE_URL": public_base_url, "TWILIO_API_BASE": api_base,
            "PSEUDONYM_SECRET": secrets.token_urlsafe(48), "SEALING_KEY": generate_key(),
            "SMS_OWN_KEYWORD_REPLIES": "1"}


def pytest_report_header() -> str:
    from tests.services import backend

    if backend() == "services":
        return "stores: PostgreSQL (a fresh database for this run) and Redis (NAVIGATOR_TEST_BACKEND=services)"
    return "stores: embedded SQLite, no Redis (NAVIGATOR_TEST_BACKEND=services runs on PostgreSQL and Redis)"


@pytest.fixture(scope="session")
def services_env() -> Iterator[dict[str, str]]:
    """DATABASE_URL/REDIS_URL for the suite's stack: none on the embedded pass; on the services pass a fresh
    PostgreSQL database (dropped at the end) and the machine's Redis. Only the suite's stack gets them, so
    tests that start stacks of their own keep running on SQLite."""
    from tests.services import REDIS_URL, backend, create_database, drop_database, missing_services

    if backend() != "services":
        yield {}
        return
    missing = missing_services()
    if missing:  # this pass was asked for by name: never quietly fall back to SQLite
        pytest.fail("NAVIGATOR_TEST_BACKEND=services but unavailable: " + ", ".join(missing))
    url = create_database("navsuite")
    try:
        yield {"DATABASE_URL": url, "REDIS_URL": REDIS_URL}
    finally:
        drop_database(url)


@pytest.fixture
def gateway_database_url() -> Iterator[str]:
    """DATABASE_URL for a test's own in-process gateway: "" (SQLite in its tmp_path) on the embedded pass, a
    fresh PostgreSQL database of its own on the services pass."""
    from tests.services import backend, fresh_database

    if backend() != "services":
        yield ""
        return
    with fresh_database("navapp") as url:
        yield url


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, fake_twilio: Any, services_env: dict[str, str]) -> Iterator[Stack]:
    if not (MODELS_DIR / "navigator.tar.gz").exists():
        pytest.fail("no trained model in models/: run `make test` (it trains when the inputs change)")
    data_dir = tmp_path_factory.mktemp("navigator-data")
    env = {**os.environ, "NAVIGATOR_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT), **services_env}
    if "DATABASE_URL" not in services_env:
        env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "resources", "load"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    port = free_port()
    # The whole suite talks from one address, much faster than a person: the limits themselves are tested
    # in tests/test_privacy_gateway.py with their defaults.
    limits = {"RATE_IP_PER_MIN": "1000000", "RATE_IP_BURST": "100000", "RATE_SENDER_PER_MIN": "6000",
              "RATE_SENDER_BURST": "600", "RATE_NEW_CONVERSATIONS_PER_MIN": "1000000",
              "RATE_BAD_SIGNATURE_BURST": "100000", "RATE_BAD_SIGNATURE_PER_MIN": "1000000"}
    running = Stack(port=port, rasa_port=free_port(), action_port=free_port(), data_dir=data_dir,
                    log_dir=data_dir / "logs",
                    extra_env={**sms_env(f"http://127.0.0.1:{port}", fake_twilio.base_url), **limits,
                               **services_env})
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def client(stack: Stack) -> Client:
    return Client(stack.url)


# ------------------------------------------------------------------------------------ advocate desk
DESK_PASSWORD = "correct horse battery staple"


def add_desk_users(stack: Stack, names: list[str], role: str = "advocate") -> None:
    """Accounts straight into the stack's database (the CLI's own path is tested in test_desk.py)."""
    from bot.desk.accounts import AccountError, DeskAccounts
    from bot.gateway.app import open_store
    from bot.settings import Settings

    async def add() -> None:
        store = await open_store(Settings(data_dir=stack.data_dir, database_url=stack.database_url))
        try:
            for name in names:
                with contextlib.suppress(AccountError):  # already there from an earlier module
                    await DeskAccounts(store).add_user(name, role, DESK_PASSWORD)
        finally:
            await store.close()

    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, add()).result()


@contextlib.contextmanager
def advocate_at_desk(browser: Any, stack: Stack, name: str) -> Iterator[Any]:
    """A browser page logged in to /desk as a new advocate `name`, on duty; off duty again afterwards."""
    add_desk_users(stack, [name])
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(stack.url + "/desk")
    page.wait_for_url("**/desk/login")
    page.fill("#name", name)
    page.fill("#password", DESK_PASSWORD)
    page.click("#login-btn")
    page.wait_for_url("**/desk")
    page.wait_for_selector("#live.on", timeout=5_000)
    if page.get_attribute("#duty", "data-on-duty") != "yes":
        page.click("#duty")
        page.wait_for_selector("#duty[data-on-duty=yes]")
    yield page
    if page.get_attribute("#duty", "data-on-duty") == "yes":
        page.click("#duty")
        page.wait_for_selector("#duty[data-on-duty=no]")
    context.close()


class DeskClient(Client):
    """A logged-in desk: cookies kept like a browser's, the CSRF token sent on every POST."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = ""

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        req = urllib.request.Request(self.base_url + path, data=body, headers=headers or {}, method=method)
        try:
            with self.opener.open(req, timeout=30) as response:
                raw, status = response.read(), response.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), exc.code
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {"raw": raw.decode(errors="replace")}
        return Reply(status, parsed)

    def login(self, name: str, password: str = DESK_PASSWORD) -> Reply:
        csrf = self.request("GET", "/desk/login/csrf").body["csrf"]
        reply = self.request("POST", "/desk/login", json.dumps({"name": name, "password": password}).encode(),
                             {"Content-Type": "application/json", "X-CSRF-Token": csrf})
        if reply.status == 200:
            self.csrf = self.request("GET", "/desk/api/me").body["csrf"]
        return reply

    def post(self, path: str, body: dict[str, Any] | None = None, csrf: str | None = None) -> Reply:
        headers = {"Content-Type": "application/json", "X-CSRF-Token": self.csrf if csrf is None else csrf}
        if csrf == "":
            headers.pop("X-CSRF-Token")
        return self.request("POST", path, json.dumps(body or {}).encode(), headers)

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    @property
    def session_cookie(self) -> str:
        return next(c.value for c in self.jar if c.name == "desk_session")


def handoff_id(stack: Stack, conversation_id: str) -> int:
    from tests.db import query

    rows = query(stack, "SELECT id FROM handoff WHERE conversation_id = ?", [conversation_id])
    assert rows, "no handoff row for this conversation"
    return int(rows[0][0])


@pytest.fixture(scope="module")
def desk(stack: Stack) -> Iterator[Any]:
    """Logs desks in (creating accounts as needed); at the end of the module everyone goes off duty, so
    the other tests meet a bot with nobody on shift, as before."""
    clients: list[DeskClient] = []

    def login(name: str, role: str = "advocate", on_duty: bool = True) -> DeskClient:
        add_desk_users(stack, [name], role)
        client = DeskClient(stack.url)
        assert client.login(name).status == 200
        if on_duty:
            assert client.post("/desk/api/duty", {"on_duty": True}).status == 200
        clients.append(client)
        return client

    yield login
    for client in clients:
        client.post("/desk/api/duty", {"on_duty": False})


CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()
