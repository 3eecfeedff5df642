"""Simulated people for the scale-out benchmark: youth on the web chat and by SMS, and advocates on the desk.

Every simulated youth is a coroutine that writes a short script with pauses between messages, through any
gateway (no sticky sessions); a request that fails because a gateway is gone is sent again, with the same
idempotency key, to another one. The ledger counts what was sent and answered, so the benchmark can compare
"count in" with "count stored" at the end.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.fakes.fake_twilio import encode_form, inbound_params, sign_webhook

SEARCHES = [
    ["hi", "i need somewhere safe to sleep tonight in oakland", "im 16", "ok thanks"],
    ["hello", "where can i get a free clinic in fresno", "17", "thank you"],
    ["hey", "i need food in san jose", "thanks"],
    ["hi there", "is there a lawyer who helps foster youth in los angeles", "im 19", "ok"],
    ["i need a shelter in sacramento", "15", "thanks"],
]
CRISIS_LINES = [
    "he locked me in the motel room and i cant get out",
    "i want to kill myself tonight",
    "my daddy says i owe him 500 tonight or else",
    "i took a bunch of pills",
]
# What the crisis protocol's first reply must carry: one of the 24/7 lines (tests/numbers.py has the rest).
CRISIS_NUMBERS = ("988", "888-373-7888", "911", "233733", "800-422-4453")
HANDOFF_ASK = "can i talk to a real person"
RETRYABLE = (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError,
             asyncio.TimeoutError)


@dataclass
class Sample:
    at: float  # seconds since the start of the run, when the message was sent
    ms: float
    kind: str


@dataclass
class Ledger:
    sent: int = 0
    answered: int = 0
    failed: int = 0
    retries: int = 0
    crisis_sent: int = 0
    crisis_answered_with_line: int = 0
    bot_replies_during_handoff: int = 0
    handoffs_asked: int = 0
    handoffs_answered: int = 0
    handoffs_returned: int = 0
    advocate_replies: int = 0
    problems: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.problems) < 50:
            self.problems.append(text)


class Gateways:
    """Round robin over the gateways, as a load balancer without sticky sessions would spread requests."""

    def __init__(self, urls: list[str], http: aiohttp.ClientSession, ledger: Ledger, started: float) -> None:
        self.urls = urls
        self.http = http
        self.ledger = ledger
        self.started = started
        self._next = itertools.cycle(range(len(urls)))

    def pick(self) -> str:
        return self.urls[next(self._next)]

    async def request(self, method: str, path: str, *, deadline_s: float = 45.0,
                      **kwargs: Any) -> tuple[int, Any]:
        """Send until some gateway answers; a 502/503 or a dropped connection moves to the next one."""
        give_up = time.monotonic() + deadline_s
        delay = 0.2
        while True:
            url = self.pick()
            try:
                async with self.http.request(method, url + path, timeout=aiohttp.ClientTimeout(total=20),
                                             **kwargs) as resp:
                    body = await resp.json(content_type=None) if resp.content_type == "application/json" \
                        else await resp.text()
                    if resp.status not in (502, 503):
                        return resp.status, body
            except RETRYABLE:
                pass
            if time.monotonic() + delay > give_up:
                return 0, None
            self.ledger.retries += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    def now(self) -> float:
        return time.monotonic() - self.started


def _has_crisis_line(messages: list[dict[str, Any]]) -> bool:
    return any(n in str(m.get("text", "")) for m in messages[:2] for n in CRISIS_NUMBERS)


class WebYouth:
    def __init__(self, gateways: Gateways, think_s: tuple[float, float], hold_s: float = 4.0) -> None:
        self.g = gateways
        self.think_s = think_s
        self.hold_s = hold_s
        self.id = ""
        self.token = ""

    async def start(self) -> bool:
        status, body = await self.g.request("POST", "/api/conversations")
        if status != 201:
            self.g.ledger.problem(f"create conversation: {status}")
            return False
        self.id, self.token = body["conversation_id"], body["token"]
        return True

    async def say(self, text: str, kind: str) -> list[dict[str, Any]] | None:
        ledger = self.g.ledger
        ledger.sent += 1
        sent_at, began = self.g.now(), time.perf_counter()
        status, body = await self.g.request(
            "POST", f"/api/conversations/{self.id}/messages",
            json={"text": text, "client_message_id": secrets.token_hex(12)},
            headers={"Authorization": f"Bearer {self.token}"})
        if status != 200:
            ledger.failed += 1
            ledger.problem(f"web message answered {status}: {str(body)[:120]}")
            return None
        ledger.answered += 1
        ledger.samples.append(Sample(sent_at, (time.perf_counter() - began) * 1000, kind))
        return list(body.get("messages", []))

    async def pause(self) -> None:
        await asyncio.sleep(random.uniform(*self.think_s))

    async def search(self) -> None:
        for text in random.choice(SEARCHES):
            await self.pause()
            replies = await self.say(text, "search")
            if replies is not None and not replies:
                self.g.ledger.problem(f"no reply to {text!r}")

    async def crisis(self) -> None:
        await self.pause()
        await self.say("hi", "search")
        await self.pause()
        self.g.ledger.crisis_sent += 1
        replies = await self.say(random.choice(CRISIS_LINES), "crisis")
        if replies is not None and _has_crisis_line(replies):
            self.g.ledger.crisis_answered_with_line += 1
        elif replies is not None:
            self.g.ledger.problem(f"crisis reply without a line: {str(replies)[:160]}")

    async def handoff(self, wait_s: float) -> None:
        """Ask for a person; while the advocate has the conversation no bot reply may come; after the advocate
        hands back, the bot answers again."""
        ledger = self.g.ledger
        await self.pause()
        ledger.handoffs_asked += 1
        if await self.say(HANDOFF_ASK, "handoff") is None:
            return
        seen = await self._wait_for_advocate(wait_s)
        if not seen:
            ledger.problem("no advocate reply reached the youth's stream in time")
            return
        ledger.handoffs_answered += 1
        replies = await self.say("i need a bed tonight, can you help me find one", "handoff")
        if replies:  # with an advocate, a message gets no reply at all but the advocate's own
            ledger.bot_replies_during_handoff += len(replies)
        await asyncio.sleep(self.hold_s + 2)
        replies = await self.say("i need food in san jose", "search")
        if replies is not None and not replies:
            ledger.problem("the bot did not answer after the advocate handed the conversation back")

    async def _wait_for_advocate(self, wait_s: float) -> bool:
        """The youth's live stream, on whichever gateway the balancer picks: the advocate's reply is written
        through another gateway, so this is where cross-instance delivery shows."""
        give_up = time.monotonic() + wait_s
        while time.monotonic() < give_up:
            url = self.g.pick().replace("http", "ws")
            try:
                async with self.g.http.ws_connect(f"{url}/api/conversations/{self.id}/stream",
                                                  params={"token": self.token, "after": "0"}, heartbeat=10) as ws:
                    while time.monotonic() < give_up:
                        frame = await ws.receive(timeout=max(0.1, give_up - time.monotonic()))
                        if frame.type != aiohttp.WSMsgType.TEXT:
                            break
                        event = frame.json()
                        if event.get("type") == "message" and event["message"].get("sender") == "advocate":
                            return True
            except (*RETRYABLE, aiohttp.WSServerHandshakeError):
                await asyncio.sleep(0.5)
        return False


class SmsYouth:
    def __init__(self, gateways: Gateways, public_url: str, auth_token: str, think_s: tuple[float, float]) -> None:
        self.g = gateways
        self.public_url = public_url
        self.auth_token = auth_token
        self.think_s = think_s
        self.phone = f"+1{random.choice(['209', '415', '510', '559', '916'])}555{random.randrange(10**4):04d}"

    async def run(self) -> None:
        ledger = self.g.ledger
        for text in random.choice(SEARCHES):
            await asyncio.sleep(random.uniform(*self.think_s))
            params = inbound_params(text, from_number=self.phone)  # one MessageSid, however often it is sent
            headers = sign_webhook(self.public_url + "/sms/twilio", params, auth_token=self.auth_token)
            ledger.sent += 1
            sent_at, began = self.g.now(), time.perf_counter()
            status, body = await self.g.request("POST", "/sms/twilio", data=encode_form(params), headers=headers)
            if status != 200 or "<Response" not in str(body):
                ledger.failed += 1
                ledger.problem(f"sms answered {status}: {str(body)[:120]}")
                continue
            ledger.answered += 1
            ledger.samples.append(Sample(sent_at, (time.perf_counter() - began) * 1000, "sms"))


class Advocate:
    """Logs in, goes on duty, and takes conversations from the queue: claim, reply, hand back to the bot."""

    def __init__(self, gateways: Gateways, name: str, password: str, hold_s: float) -> None:
        self.g = gateways
        self.name, self.password, self.hold_s = name, password, hold_s
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def _call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        headers = {"X-CSRF-Token": self.csrf} if method != "GET" else {}
        original, self.g.http = self.g.http, self.http
        try:
            return await self.g.request(method, path, headers=headers, **kwargs)
        finally:
            self.g.http = original

    async def login(self) -> None:
        _, body = await self._call("GET", "/desk/login/csrf")
        self.csrf = body["csrf"]
        status, body = await self._call("POST", "/desk/login", json={"name": self.name, "password": self.password})
        if status != 200:
            raise RuntimeError(f"advocate login failed: {status} {body}")
        _, me = await self._call("GET", "/desk/api/me")
        self.csrf = me["csrf"]
        await self._call("POST", "/desk/api/duty", json={"on_duty": True})

    async def work(self, until: Callable[[], bool]) -> None:
        try:
            while not until():
                status, queue = await self._call("GET", "/desk/api/queue")
                if status != 200:
                    await asyncio.sleep(0.5)
                    continue
                # Mine first, as a person at the desk would: a claim whose answer was lost with a gateway
                # still made the conversation ours.
                for item in queue.get("mine", []):
                    if item.get("state") == "with_advocate":
                        await self._hand_back(item["handoff_id"])
                waiting = [i for i in queue.get("queue", []) if i.get("state") in ("queued", "flagged")]
                if not waiting:
                    await asyncio.sleep(0.5)
                    continue
                item = random.choice(waiting[:3])
                status, _ = await self._call("POST", f"/desk/api/handoffs/{item['handoff_id']}/claim")
                if status != 200:
                    continue  # another advocate was first
                text = "hi, this is an advocate. i'm here with you. where are you safe to sleep tonight?"
                status, _ = await self._call("POST", f"/desk/api/handoffs/{item['handoff_id']}/messages",
                                             json={"text": text})
                if status == 200:
                    self.g.ledger.advocate_replies += 1
                await asyncio.sleep(self.hold_s)
                await self._hand_back(item["handoff_id"])
        finally:
            await self.http.close()

    async def _hand_back(self, handoff_id: int) -> None:
        status, body = await self._call("POST", f"/desk/api/handoffs/{handoff_id}/wrap",
                                        json={"to": "bot", "outcome": []})
        if status == 200:
            self.g.ledger.handoffs_returned += 1
        else:
            self.g.ledger.problem(f"wrap-up answered {status}: {body}")
