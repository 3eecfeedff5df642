"""Client for the Rasa engine, through the signed bridge channel; turns its output into chat messages."""

from __future__ import annotations

import json
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


class EngineClient:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, secret: str, timeout_s: float) -> None:
        self._session = session
        self._url = f"{base_url}/webhooks/bridge/webhook"
        self._secret = secret
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def send(
        self, sender: str, text: str, metadata: dict[str, Any], timeout_s: float | None = None
    ) -> list[dict[str, Any]]:
        body = json.dumps({"sender": sender, "text": text, "metadata": metadata}).encode()
        headers = {"Content-Type": "application/json", **sign(self._secret, body)}
        timeout = self._timeout if timeout_s is None else aiohttp.ClientTimeout(total=timeout_s)
        try:
            async with self._session.post(self._url, data=body, headers=headers, timeout=timeout) as resp:
                if resp.status != 200:
                    raise EngineUnavailable(f"engine answered {resp.status}")
                output = await resp.json()
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise EngineUnavailable(str(exc) or type(exc).__name__) from exc
        if not isinstance(output, list):
            raise EngineUnavailable("engine answered with something other than a list")
        return output

    async def ready(self) -> bool:
        try:
            async with self._session.get(self._url.removesuffix("/webhook") + "/",
                                         timeout=aiohttp.ClientTimeout(total=1)) as resp:
                return resp.status == 200
        except (aiohttp.ClientError, TimeoutError):
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
