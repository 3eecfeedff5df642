"""Client for the Rasa engine, through the signed bridge channel; turns its output into chat messages."""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Sequence
from typing import Any

import aiohttp

from channels.bridge.signing import sign

ChatMessage = dict[str, Any]
# Fields of a bot payload that are instructions for the gateway, not content for the person.
CONTROL_FIELDS = ("handoff", "handoff_priority", "search_need")
# Facts for the insight counters (actions/insight.py → bot/insights/): collected from every message, in order.
INSIGHT_FIELD = "insight"


class EngineUnavailable(Exception):
    """Rasa or the action server did not answer in time, or answered with an error."""


# A Rasa instance that refused a connection is skipped for this long before it is tried again.
_DOWN_FOR_S = 5.0


class EngineClient:
    """Sends each message to one of the Rasa instances.

    Instances share the tracker store and lock store, so any of them can take any conversation; a sender is
    sent to the same instance while it is up (its tracker stays warm there) and to the next one when that
    instance cannot be reached. Only failures where the message certainly never reached Rasa (connection
    refused or reset before an answer, 502/503) move on; a timeout does not, because the engine may still be
    acting on the message and a second instance would act on it twice.
    """

    def __init__(self, session: aiohttp.ClientSession, base_urls: str | Sequence[str], secret: str,
                 timeout_s: float) -> None:
        urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
        if not urls:
            raise ValueError("at least one Rasa URL is needed")
        self._session = session
        self._urls = [f"{u.rstrip('/')}/webhooks/bridge/webhook" for u in urls]
        self._down_until = [0.0] * len(self._urls)
        self._secret = secret
        self._timeout_s = timeout_s

    def _order(self, sender: str) -> list[int]:
        first = zlib.crc32(sender.encode()) % len(self._urls)
        order = [(first + i) % len(self._urls) for i in range(len(self._urls))]
        now = time.monotonic()
        up = [i for i in order if self._down_until[i] <= now]
        return up + [i for i in order if i not in up]  # all down: try anyway, in order

    async def send(
        self, sender: str, text: str, metadata: dict[str, Any], timeout_s: float | None = None
    ) -> list[dict[str, Any]]:
        body = json.dumps({"sender": sender, "text": text, "metadata": metadata}).encode()
        headers = {"Content-Type": "application/json", **sign(self._secret, body)}
        deadline = time.monotonic() + (self._timeout_s if timeout_s is None else timeout_s)
        problem = "no engine instance answered"
        for index in self._order(sender):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                async with self._session.post(self._urls[index], data=body, headers=headers,
                                              timeout=aiohttp.ClientTimeout(total=left)) as resp:
                    if resp.status in (502, 503):
                        self._down_until[index] = time.monotonic() + _DOWN_FOR_S
                        problem = f"engine answered {resp.status}"
                        continue
                    if resp.status != 200:
                        raise EngineUnavailable(f"engine answered {resp.status}")
                    output = await resp.json()
            except (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError) as exc:
                self._down_until[index] = time.monotonic() + _DOWN_FOR_S
                problem = str(exc) or type(exc).__name__
                continue
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                raise EngineUnavailable(str(exc) or type(exc).__name__) from exc
            if not isinstance(output, list):
                raise EngineUnavailable("engine answered with something other than a list")
            self._down_until[index] = 0.0
            return output
        raise EngineUnavailable(problem)

    async def ready(self) -> bool:
        """True when at least one instance answers."""
        for url in self._urls:
            try:
                async with self._session.get(url.removesuffix("/webhook") + "/",
                                             timeout=aiohttp.ClientTimeout(total=1)) as resp:
                    if resp.status == 200:
                        return True
            except (aiohttp.ClientError, TimeoutError):
                continue
        return False


def to_chat_messages(engine_output: list[dict[str, Any]]) -> tuple[list[ChatMessage], dict[str, Any]]:
    """Rasa's collected messages → the API's messages, plus control fields the actions set."""
    messages: list[ChatMessage] = []
    control: dict[str, Any] = {}
    for item in engine_output:
        custom = item.get("custom")
        if isinstance(custom, dict):
            control.update({k: custom[k] for k in CONTROL_FIELDS if k in custom})
            if INSIGHT_FIELD in custom:
                control.setdefault(INSIGHT_FIELD, []).append(custom[INSIGHT_FIELD])
            message = {k: v for k, v in custom.items() if k in ("text", "buttons", "resources") and v}
        else:
            message = {k: item[k] for k in ("text", "buttons") if item.get(k)}
        if "buttons" in message:
            message["buttons"] = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                                  for b in message["buttons"]]
        if message.get("text") or message.get("resources"):
            message.setdefault("text", "")
            messages.append(message)
    return messages, control
