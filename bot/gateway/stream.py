"""The youth's live stream: GET /api/conversations/{id}/stream (WebSocket).

Authorized by the conversation's token, as `Authorization: Bearer …` or `?token=…` (a browser cannot set
headers on a WebSocket; the chat page keeps the token in memory only). `?after=<message id>` replays the
advocate's and the desk's messages the page has not shown yet, so a reconnect (or a gateway restart) loses
nothing. The server sends `{"type": "message", "message": {...}}` and `{"type": "state", "state": ...}`.
"""

from __future__ import annotations

import re

from aiohttp import web

from bot.gateway.keys import HANDOFFS, HUB, STORE
from bot.handoff.gate import youth_event

routes = web.RouteTableDef()
_AFTER = re.compile(r"[0-9]{1,18}")
_TOKEN = re.compile(r"[A-Za-z0-9_\-]{16,128}")
PUSHED_SENDERS = ("advocate", "desk")


def parse_after(value: str | None) -> int | None:
    """`after` query value → message id (0 when absent), or None when malformed."""
    if value is None or value == "":
        return 0
    return int(value) if _AFTER.fullmatch(value) else None


def stream_token(authorization: str | None, query_token: str | None) -> str | None:
    """The conversation token from the header (preferred) or the query; None when missing or malformed."""
    if authorization and authorization.startswith("Bearer "):
        candidate = authorization.removeprefix("Bearer ").strip()
    else:
        candidate = (query_token or "").strip()
    return candidate if _TOKEN.fullmatch(candidate) else None


@routes.get("/api/conversations/{conversation_id}/stream")
async def youth_stream(request: web.Request) -> web.StreamResponse:
    token = stream_token(request.headers.get("Authorization"), request.query.get("token"))
    if token is None:
        return web.json_response({"error": "missing token"}, status=401)
    conversation = await request.app[STORE].authorize(request.match_info["conversation_id"], token)
    if conversation is None:
        return web.json_response({"error": "no such conversation for this token"}, status=404)
    after = parse_after(request.query.get("after"))
    if after is None:
        return web.json_response({"error": "after must be a message id"}, status=400)
    ws = web.WebSocketResponse(heartbeat=25, max_msg_size=4096)
    if not ws.can_prepare(request).ok:
        return web.json_response({"error": "this is a WebSocket endpoint"}, status=400)
    await ws.prepare(request)
    hub = request.app[HUB]
    hub.sockets.add(ws)
    hub.add_youth(conversation.id, ws.send_json)  # before the replay: the page drops duplicates by id
    try:
        for message in await request.app[STORE].messages_after(conversation.id, after, PUSHED_SENDERS):
            await ws.send_json(youth_event(message))
        handoff = await request.app[HANDOFFS].for_conversation(conversation.id)
        await ws.send_json({"type": "state", "state": handoff.state if handoff else "bot"})
        async for _ in ws:
            pass  # the youth writes through POST …/messages; anything sent here is ignored
    finally:
        hub.remove_youth(conversation.id, ws.send_json)
    return ws
