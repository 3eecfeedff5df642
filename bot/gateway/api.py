"""The conversation HTTP API used by the web chat (and any other client).

POST /api/conversations                     → 201 {conversation_id, token}
POST /api/conversations/{id}/messages       → 200 {messages: [...]}, bearer token of that conversation
GET  /healthz                               → liveness; /readyz → engine reachable
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.gateway.keys import CORE, SETTINGS, STORE

routes = web.RouteTableDef()


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@routes.post("/api/conversations")
async def create_conversation(request: web.Request) -> web.Response:
    created = await request.app[STORE].create(channel="web")
    return web.json_response({"conversation_id": created.id, "token": created.token}, status=201)


@routes.post("/api/conversations/{conversation_id}/messages")
async def post_message(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer ") or not auth.removeprefix("Bearer ").strip():
        return error(401, "missing bearer token")
    conversation = await request.app[STORE].authorize(
        request.match_info["conversation_id"], auth.removeprefix("Bearer ").strip()
    )
    if conversation is None:
        return error(404, "no such conversation for this token")
    text, problem = await _read_text(request, settings.max_message_chars)
    if problem:
        return error(400, problem)
    messages = await request.app[CORE].handle(conversation.id, text, conversation.channel, conversation.language)
    return web.json_response({"messages": messages})


async def _read_text(request: web.Request, max_chars: int) -> tuple[str, str | None]:
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return "", "message body is too large"
    try:
        body: Any = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return "", "body must be UTF-8 encoded JSON"
    except ValueError:
        return "", 'body must be JSON like {"text": "hi"}'
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        return "", 'body must be a JSON object with a "text" string'
    text = body["text"].replace("\x00", "").strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "", "text must be valid Unicode (no lone surrogates)"
    if not text:
        return "", "text is empty"
    if len(text) > max_chars:
        return "", f"text is longer than {max_chars} characters"
    return text, None


@routes.get("/healthz")
async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    engine_ready = await request.app[CORE].engine.ready()
    return web.json_response({"status": "ok" if engine_ready else "degraded", "engine": engine_ready},
                             status=200 if engine_ready else 503)
