"""The conversation HTTP API used by the web chat (and any other client).

POST /api/conversations                     → 201 {conversation_id, token}
POST /api/conversations/{id}/messages       → 200 {messages: [...]}, bearer token of that conversation;
                                              with {"client_message_id": …} a message sent again (after a
                                              dropped connection, to any gateway) is stored once and
                                              answered with its first replies
DELETE /api/conversations/{id}              → 200 {erased: {...counts}, messages: [...]}, same token
GET  /healthz, /readyz                      → bot/gateway/health.py

Typing "delete my messages" (or a close variant, channels/sms/keywords.py) asks for a confirmation first;
YES erases the conversation from every store (bot/privacy/retention.py). The request and the question are
not stored. Each conversation, and each client address, has its own rate limit (bot/gateway/limits.py).
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from bot.conversation import conversation_language
from bot.gateway.keys import CORE, ERASURE, GATE, HANDOFFS, LIMITS, SETTINGS, STORE
from bot.replies import gateway_text
from bot.store import DuplicateMessage, Message
from channels.sms.keywords import is_confirmation, is_delete_request, is_refusal

routes = web.RouteTableDef()
CLIENT_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def rate_limited(retry_after: int, language: str = "en") -> web.Response:
    return web.json_response({"error": gateway_text("rate_limited", language)}, status=429,
                             headers={"Retry-After": str(retry_after)})


@routes.post("/api/conversations")
async def create_conversation(request: web.Request) -> web.Response:
    limits = request.app[LIMITS]
    key = f"ip:{request.remote}"
    if not limits.new_conversations.allow(key):
        return rate_limited(limits.new_conversations.retry_after(key))
    created = await request.app[STORE].create(channel="web")
    return web.json_response({"conversation_id": created.id, "token": created.token}, status=201)


@routes.post("/api/conversations/{conversation_id}/messages")
async def post_message(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer ") or not auth.removeprefix("Bearer ").strip():
        return error(401, "missing bearer token")
    # One read: the conversation (token check) with its handoff, which the handoff gate needs next.
    found = await request.app[HANDOFFS].authorize(
        request.match_info["conversation_id"], auth.removeprefix("Bearer ").strip()
    )
    if found is None:
        return error(404, "no such conversation for this token")
    conversation, handoff = found
    text, client_key, problem = await _read_text(request, settings.max_message_chars)
    if problem:
        return error(400, problem)
    limits = request.app[LIMITS]
    if not limits.senders.allow(f"conversation:{conversation.id}"):
        return rate_limited(limits.senders.retry_after(f"conversation:{conversation.id}"), conversation.language)
    store = request.app[STORE]
    if client_key is not None:
        earlier = await store.replies_to(conversation.id, client_key)
        if earlier is not None:
            return _answered_before(earlier, conversation.language)
    language = await conversation_language(store, conversation, text)
    lead: list[dict[str, Any]] = []
    # Every answer says the conversation's language, so the page can show its own words (Quick exit, the
    # placeholder, card labels) in it.
    if conversation.delete_pending:
        await store.set_delete_pending(conversation.id, False)
        if is_confirmation(text) or is_delete_request(text):
            counts = await _erase(request, conversation.id)
            return web.json_response({"messages": [{"text": gateway_text("erased", language)}],
                                      "erased": counts, "language": language})
        lead = [{"text": gateway_text("delete_kept", language)}]
        if is_refusal(text):
            return web.json_response({"messages": lead, "language": language})
    elif is_delete_request(text):
        await store.set_delete_pending(conversation.id, True)
        buttons = [{"title": gateway_text("delete_yes", language), "payload": "yes"},
                   {"title": gateway_text("delete_no", language), "payload": "no"}]
        return web.json_response({"messages": [{"text": gateway_text("delete_confirm", language),
                                                "buttons": buttons}], "language": language})
    try:
        messages = await request.app[CORE].handle(conversation.id, text, conversation.channel, language,
                                                  handoff=handoff, client_key=client_key)
    except DuplicateMessage:  # the same message, sent again while the first was still being answered
        return _answered_before(await store.replies_to(conversation.id, client_key or "") or [], language)
    return web.json_response({"messages": lead + messages, "language": language})


@routes.delete("/api/conversations/{conversation_id}")
async def delete_conversation(request: web.Request) -> web.Response:
    """Erase the conversation now (the client asks the person first; the chat's own flow asks in words)."""
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer ") or not auth.removeprefix("Bearer ").strip():
        return error(401, "missing bearer token")
    conversation = await request.app[STORE].authorize(
        request.match_info["conversation_id"], auth.removeprefix("Bearer ").strip()
    )
    if conversation is None:
        return error(404, "no such conversation for this token")
    counts = await _erase(request, conversation.id)
    return web.json_response({"erased": counts,
                              "messages": [{"text": gateway_text("erased", conversation.language)}]})


async def _erase(request: web.Request, conversation_id: str) -> dict[str, int]:
    """Erase from every store; a desk that had it open is told it is gone."""
    handoff = await request.app[HANDOFFS].for_conversation(conversation_id)
    report = await request.app[ERASURE].erase_conversation(conversation_id)
    if handoff is not None:
        gate = request.app[GATE]
        await gate.hub.to_desks({"type": "handoff", "handoff_id": handoff.id, "state": "erased",
                                 "version": handoff.version + 1}, advocate_id=handoff.advocate_id, state="queued")
        gate.queue_changed()
    return report.to_dict()


def _answered_before(replies: list[Message], language: str) -> web.Response:
    """The replies a message got the first time it arrived: a client sending it again gets them again."""
    return web.json_response({"messages": [m.payload or {"text": m.text} for m in replies], "repeated": True,
                              "language": language})


async def _read_text(request: web.Request, max_chars: int) -> tuple[str, str | None, str | None]:
    """(text, client_message_id or None, problem or None) from a body like {"text": "hi",
    "client_message_id": "b1f0…"}; the id is optional, 8–64 letters, digits, "-" or "_"."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return "", None, "message body is too large"
    try:
        body: Any = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return "", None, "body must be UTF-8 encoded JSON"
    except ValueError:
        return "", None, 'body must be JSON like {"text": "hi"}'
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        return "", None, 'body must be a JSON object with a "text" string'
    client_key = body.get("client_message_id")
    if client_key is not None and not (isinstance(client_key, str) and CLIENT_KEY.fullmatch(client_key)):
        return "", None, '"client_message_id" must be 8 to 64 letters, digits, "-" or "_"'
    text = body["text"].replace("\x00", "").strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "", None, "text must be valid Unicode (no lone surrogates)"
    if not text:
        return "", None, "text is empty"
    if len(text) > max_chars:
        return "", None, f"text is longer than {max_chars} characters"
    return text, client_key, None
