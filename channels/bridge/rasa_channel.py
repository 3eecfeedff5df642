"""The input channel the Rasa engine loads (credentials.yml → channels.bridge.rasa_channel.BridgeInput).

Unlike Rasa's stock REST and socket.io channels, it accepts a message only from the gateway: every request
carries an HMAC signature made with the shared secret in the environment. It answers synchronously with
the collected bot messages. Runs inside .venv-rasa (Python 3.10), so it uses only what Rasa ships.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.bridge import engine_tuning
from channels.bridge.crisis_intent import engine_text
from channels.bridge.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

logger = logging.getLogger(__name__)
engine_tuning.install()


class BridgeInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "bridge"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        env_name = (credentials or {}).get("secret_env", "BRIDGE_SECRET")
        secret = os.environ.get(env_name, "")
        if len(secret) < 16:
            raise ValueError(f"{env_name} must hold a shared secret of at least 16 characters")
        return cls(secret)

    def __init__(self, secret: str) -> None:
        self._secret = secret

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bridge = Blueprint("bridge_webhook", __name__)

        @bridge.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bridge.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.body or b""
            if not verify(self._secret, body, request.headers.get(SIGNATURE_HEADER),
                          request.headers.get(TIMESTAMP_HEADER)):
                return response.json({"error": "bad signature"}, status=401)
            try:
                payload = json.loads(body)
                sender = str(payload["sender"])
                text = str(payload["text"])
                metadata = payload.get("metadata") or {}
            except (ValueError, KeyError, TypeError):
                return response.json({"error": "expected {sender, text, metadata}"}, status=400)
            collector = CollectingOutputChannel()
            await on_new_message(
                UserMessage(engine_text(text, metadata), collector, sender, input_channel=self.name(),
                            metadata=metadata)
            )
            return response.json(collector.messages)

        return bridge
