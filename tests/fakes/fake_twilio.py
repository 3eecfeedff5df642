"""A local fake of Twilio's Messages REST API that checks requests the way Twilio does, and helpers to sign
inbound webhooks exactly as Twilio signs them (twilio's own RequestValidator.compute_signature).

Error shapes and codes follow Twilio's documentation: 20003 Authenticate (401), 20404 not found,
21602 body required, 21603 From required, 21604 To required, 21211 invalid To, 21212 invalid From,
21610 unsubscribed recipient, 21617 body over 1600 characters.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-auth-token-0123456789abcdef"
E164 = re.compile(r"\+[1-9]\d{7,14}")
MESSAGING_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")


@dataclass
class Failure:
    status: int
    retry_after: str | None = None
    accept_first: bool = False  # record the message, then fail (a response lost on the way back)


@dataclass
class RecordedRequest:
    path: str
    form: dict[str, str]
    idempotency_token: str | None
    status: int


@dataclass
class FakeTwilio:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    opted_out: set[str] = field(default_factory=set)
    base_url: str = ""
    _failures: list[Failure] = field(default_factory=list)
    _by_token: dict[str, dict[str, Any]] = field(default_factory=dict)

    def fail_next(self, times: int, status: int = 500, retry_after: str | None = None,
                  accept_first: bool = False) -> None:
        self._failures.extend(Failure(status, retry_after, accept_first) for _ in range(times))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create_message)
        return app

    async def _create_message(self, request: web.Request) -> web.Response:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        token = request.headers.get("I-Twilio-Idempotency-Token")
        response = self._answer(request, form, token)
        self.requests.append(RecordedRequest(request.path, form, token, response.status))
        return response

    def _answer(self, request: web.Request, form: dict[str, str], token: str | None) -> web.Response:
        user = _basic_auth(request.headers.get("Authorization", ""))
        if user != (self.account_sid, self.auth_token):
            return _error(401, 20003, "Authenticate", headers={"WWW-Authenticate": 'Basic realm="Twilio API"'})
        if request.match_info["sid"] != self.account_sid:
            return _error(404, 20404, "The requested resource was not found")
        if self._failures:
            failure = self._failures.pop(0)
            if failure.accept_first and token and token not in self._by_token:
                self._record(form, token)
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            return _error(failure.status, 20500 if failure.status >= 500 else 20429,
                          "Internal Server Error" if failure.status >= 500 else "Too Many Requests", headers=headers)
        if token and token in self._by_token:
            return web.json_response(self._by_token[token], status=201)
        to, sender, service, body = form.get("To"), form.get("From"), form.get("MessagingServiceSid"), form.get("Body")
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not sender and not service:
            return _error(400, 21603, "A 'From' phone number is required.")
        if body is None or (not body and not form.get("MediaUrl")):
            return _error(400, 21602, "Message body is required.")
        if not E164.fullmatch(to):
            return _error(400, 21211, f"Invalid 'To' Phone Number: {_mask(to)}")
        if sender and not E164.fullmatch(sender):
            return _error(400, 21212, "Invalid 'From' Phone Number")
        if service and not MESSAGING_SERVICE_SID.fullmatch(service):
            return _error(400, 21701, "The Messaging Service Sid is invalid")
        if len(body) > 1600:
            return _error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        if to in self.opted_out:
            return _error(400, 21610, "Attempt to send to unsubscribed recipient")
        return web.json_response(self._record(form, token), status=201)

    def _record(self, form: dict[str, str], token: str | None) -> dict[str, Any]:
        sid = "SM" + secrets.token_hex(16)
        message = {
            "sid": sid, "account_sid": self.account_sid, "to": form.get("To"), "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "body": form.get("Body"), "status": "queued",
            "direction": "outbound-api", "api_version": "2010-04-01", "num_segments": "1", "num_media": "0",
            "date_created": email.utils.formatdate(usegmt=True), "error_code": None, "error_message": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        self.messages.append(message)
        if token:
            self._by_token[token] = message
        return message


def _basic_auth(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def _mask(number: str) -> str:
    return number[:3] + "…" if len(number) > 3 else "…"


def _error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}
    return web.json_response(body, status=status, headers=headers)


@asynccontextmanager
async def running_fake_twilio(fake: FakeTwilio | None = None) -> AsyncIterator[FakeTwilio]:
    """Serve the fake on a free loopback port; `fake.base_url` is what TWILIO_API_BASE should be."""
    fake = fake or FakeTwilio()
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.base_url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        await runner.cleanup()


# -- inbound webhooks, signed as Twilio signs them ------------------------------------------------------------


def inbound_params(body: str, from_number: str = "+19165550123", to_number: str = "+14155550100",
                   message_sid: str | None = None, account_sid: str = ACCOUNT_SID, **extra: str) -> dict[str, str]:
    """The fields Twilio posts for an inbound SMS (including the location fields we must drop)."""
    sid = message_sid or "SM" + secrets.token_hex(16)
    params = {
        "ToCountry": "US", "ToState": "CA", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "SAN FRANCISCO",
        "FromZip": "95823", "SmsSid": sid, "FromState": "CA", "SmsStatus": "received", "FromCity": "SACRAMENTO",
        "Body": body, "FromCountry": "US", "To": to_number, "ToZip": "94103", "NumSegments": "1",
        "MessageSid": sid, "AccountSid": account_sid, "From": from_number, "ApiVersion": "2010-04-01",
    }
    params.update(extra)
    return params


def sign_webhook(url: str, params: dict[str, str] | dict[str, list[str]], auth_token: str = AUTH_TOKEN,
                 algorithm: str | None = None) -> dict[str, str]:
    """Headers Twilio would send with this form posted to `url`."""
    headers = {"X-Twilio-Signature": RequestValidator(auth_token).compute_signature(url, _multi(params), algorithm),
               "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
               "User-Agent": "TwilioProxy/1.1"}
    if algorithm:
        headers["X-Twilio-Webhooks-Signature-Settings"] = f"key=webhooks_sharedkey_test,algorithm={algorithm}"
    return headers


def encode_form(params: dict[str, str] | dict[str, list[str]]) -> bytes:
    return urlencode(params, doseq=True).encode()


class _MultiDict(dict[str, list[str]]):
    def getall(self, name: str) -> list[str]:
        return self[name]


def _multi(params: dict[str, str] | dict[str, list[str]]) -> _MultiDict:
    return _MultiDict({k: list(v) if isinstance(v, list) else [v] for k, v in params.items()})


class FakeTwilioThread:
    """The fake served from a thread of its own, for a gateway in another process (the `stack` fixture).
    `fake.messages` and `fake.requests` are read from the test's thread (list appends are atomic)."""

    def __init__(self, fake: FakeTwilio | None = None) -> None:
        import asyncio
        import threading

        self.fake = fake or FakeTwilio()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fake-twilio", daemon=True)

    def _serve(self) -> None:
        import asyncio

        asyncio.set_event_loop(self._loop)
        runner = web.AppRunner(self.fake.app(), access_log=None)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.fake.base_url = f"http://127.0.0.1:{port}"
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())

    def start(self) -> FakeTwilio:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake Twilio did not start")
        return self.fake

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
