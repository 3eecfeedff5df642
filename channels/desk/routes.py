"""The advocate desk at /desk: login, live queue, claim, transcript, reply, canned responses, directory
cards, private notes, transfer, wrap-up, audit log — and the desk's WebSocket for live updates.

Every route but the login page (and its script and stylesheet) answers 401 (API) or redirects to the login
page (HTML) without a session. Every state-changing request needs the session's CSRF token in the
`X-CSRF-Token` header (the login itself a double-submit token), and a matching Origin when the browser
sends one. Advocates see the queue and their own conversations; supervisors see all and the audit log.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import cache, wraps
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web
from sqlalchemy import select

from bot.desk.accounts import DeskIdentity, csrf_matches
from bot.desk.models import DeskUser
from bot.gateway.keys import ACCOUNTS, AUDIT, GATE, HANDOFFS, HUB, LOGIN_LIMITER, SETTINGS, STORE
from bot.handoff.gate import desk_message
from bot.handoff.hub import DeskListener
from bot.handoff.models import Note
from bot.handoff.service import QueueItem
from bot.privacy.redact import default_redactor
from channels.desk import forms
from channels.desk.directory import DeskDirectory
from resources.hotlines import fill_lines

STATIC_DIR = Path(__file__).parent / "static"
CONTENT_DIR = Path(__file__).parent / "content"
SESSION_COOKIE = "desk_session"
LOGIN_COOKIE = "desk_login_csrf"
PUBLIC_ASSETS = frozenset({"login.js", "desk.css"})
PRIVATE_ASSETS = frozenset({"desk.js"})
DIRECTORY = web.AppKey("desk_directory", DeskDirectory)

routes = web.RouteTableDef()
Handler = Callable[[web.Request, DeskIdentity], Awaitable[web.StreamResponse]]


@cache
def desk_content(language: str = "en") -> dict[str, Any]:
    raw = yaml.safe_load((CONTENT_DIR / f"{language}.yml").read_text(encoding="utf-8"))
    return {"canned": [{"title": c["title"], "text": fill_lines(c["text"])} for c in raw["canned"]],
            "outcomes": list(raw["outcomes"])}


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


class Refusal(Exception):
    """A desk request that cannot be done; `desk_api` answers it as `{"error": message}` with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


# ------------------------------------------------------------------------------------------- access
async def current_identity(request: web.Request) -> DeskIdentity | None:
    return await request.app[ACCOUNTS].identify(request.cookies.get(SESSION_COOKIE, ""))


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # same-origin GETs and non-browser clients send none; the CSRF token still applies
    return origin in (f"{request.scheme}://{request.host}", f"http://{request.host}", f"https://{request.host}")


def desk_api(*, write: bool = False, supervisor: bool = False) -> Callable[[Handler], Callable[..., Any]]:
    def decorate(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        @wraps(handler)
        async def wrapped(request: web.Request) -> web.StreamResponse:
            who = await current_identity(request)
            if who is None:
                return error(401, "log in first")
            if write and (not csrf_matches(who.csrf, request.headers.get("X-CSRF-Token"))
                          or not _same_origin(request)):
                return error(403, "missing or wrong CSRF token")
            if supervisor and not who.is_supervisor:
                return error(403, "supervisors only")
            try:
                return await handler(request, who)
            except Refusal as refusal:
                return error(refusal.status, refusal.message)
        return wrapped
    return decorate


def can_view(who: DeskIdentity, item: QueueItem) -> bool:
    return who.is_supervisor or item.state in ("queued", "flagged") or item.advocate_id == who.id


def owns(who: DeskIdentity, item: QueueItem) -> bool:
    return item.state == "with_advocate" and item.advocate_id == who.id


async def _body(request: web.Request) -> tuple[dict[str, Any] | None, web.Response | None]:
    body, problem = forms.parse_json(await request.read())
    return (None, error(400, problem)) if problem else (body, None)


async def _form(request: web.Request, parse: Callable[[dict[str, Any]], forms.Result]) -> Any:
    """The request's JSON body through one of `forms`' parsers; a 400 with the parser's reason if it fails."""
    body, problem = forms.parse_json(await request.read())
    if problem:
        raise Refusal(400, problem)
    value, reason = parse(body or {})
    if reason:
        raise Refusal(400, reason)
    return value


async def _item(request: web.Request, who: DeskIdentity, *, own: bool = False) -> QueueItem:
    handoff_id = forms.parse_id(request.match_info["handoff_id"])
    item = await request.app[HANDOFFS].item(handoff_id) if handoff_id else None
    if item is None:
        raise Refusal(404, "no such conversation")
    if not can_view(who, item):
        raise Refusal(403, "this conversation is with another advocate")
    if own and not owns(who, item):
        raise Refusal(409 if who.is_supervisor or item.advocate_id == who.id else 403, "claim this conversation first")
    return item


def _holder_or_supervisor(who: DeskIdentity, item: QueueItem, supervisor_states: tuple[str, ...],
                          doing: str) -> None:
    if not (owns(who, item) or (who.is_supervisor and item.state in supervisor_states)):
        raise Refusal(403, f"only the advocate with this conversation (or a supervisor) can {doing}")


async def _changed(request: web.Request, who: DeskIdentity, item: QueueItem, action: str, youth_text: str | None,
                   **details: Any) -> None:
    """After a handoff changed hands or state: the audit entry, a word to the youth, and every desk told."""
    await request.app[AUDIT].record(action, who.id, who.name, item.handoff_id, **details)
    if youth_text is not None:
        await request.app[GATE].tell_youth(item.conversation_id, youth_text, item.language)
    await _after_change(request, item.handoff_id)


# --------------------------------------------------------------------------------------------- pages
async def desk_page(request: web.Request) -> web.StreamResponse:
    if await current_identity(request) is None:
        raise web.HTTPFound("/desk/login")
    return web.FileResponse(STATIC_DIR / "desk.html")


async def login_page(request: web.Request) -> web.StreamResponse:
    if await current_identity(request) is not None:
        raise web.HTTPFound("/desk")
    return web.FileResponse(STATIC_DIR / "login.html")


async def asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name in PRIVATE_ASSETS and await current_identity(request) is None:
        return error(401, "log in first")
    if name not in PUBLIC_ASSETS | PRIVATE_ASSETS:
        raise web.HTTPNotFound()
    return web.FileResponse(STATIC_DIR / name)


# --------------------------------------------------------------------------------------------- login
def _cookie(response: web.StreamResponse, request: web.Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/desk", httponly=True, samesite="Strict",
                        secure=request.app[SETTINGS].desk_cookie_secure)


@routes.get("/desk/login/csrf")
async def login_csrf(request: web.Request) -> web.Response:
    token = secrets.token_urlsafe(24)
    response = web.json_response({"csrf": token})
    _cookie(response, request, LOGIN_COOKIE, token, 3600)
    return response


@routes.post("/desk/login")
async def login(request: web.Request) -> web.Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not csrf_matches(expected, request.headers.get("X-CSRF-Token")) or not _same_origin(request):
        return error(403, "reload the login page and try again")
    body, problem = await _body(request)
    if problem:
        return problem
    parsed, reason = forms.parse_login(body or {})
    if reason:
        return error(400, reason)
    name, password = parsed
    limiter = request.app[LOGIN_LIMITER]
    keys = (f"name:{name.lower()}", f"ip:{request.remote}")
    if await limiter.blocked(*keys):
        await request.app[AUDIT].record("login_failed", None, name, reason="rate_limited")
        return error(429, "too many attempts: wait 15 minutes, or ask a supervisor")
    user = await request.app[ACCOUNTS].authenticate(name, password)
    if user is None:
        await limiter.failed(*keys)
        await request.app[AUDIT].record("login_failed", None, name)
        return error(401, "wrong name or password")
    await limiter.succeeded(keys[0])
    token, _ = await request.app[ACCOUNTS].start_session(user)
    await request.app[AUDIT].record("login", user.id, user.name)
    response = web.json_response({"ok": True, "name": user.name, "role": user.role})
    _cookie(response, request, SESSION_COOKIE, token, 12 * 3600)
    response.del_cookie(LOGIN_COOKIE, path="/desk")
    return response


@routes.post("/desk/logout")
@desk_api(write=True)
async def logout(request: web.Request, who: DeskIdentity) -> web.Response:
    await request.app[ACCOUNTS].end_session(request.cookies.get(SESSION_COOKIE, ""))
    await request.app[AUDIT].record("logout", who.id, who.name)
    response = web.json_response({"ok": True})
    response.del_cookie(SESSION_COOKIE, path="/desk")
    return response


# ------------------------------------------------------------------------------------------ the desk
@routes.get("/desk/api/me")
@desk_api()
async def me(request: web.Request, who: DeskIdentity) -> web.Response:
    content = desk_content()
    return web.json_response({"id": who.id, "name": who.name, "role": who.role, "on_duty": who.on_duty,
                              "csrf": who.csrf, "canned": content["canned"], "outcomes": content["outcomes"]})


@routes.post("/desk/api/duty")
@desk_api(write=True)
async def duty(request: web.Request, who: DeskIdentity) -> web.Response:
    on_duty = await _form(request, forms.parse_duty)
    await request.app[ACCOUNTS].set_duty(who.id, on_duty)
    await request.app[AUDIT].record("duty", who.id, who.name, on_duty=on_duty)
    if not on_duty and await request.app[HANDOFFS].on_duty() == 0:
        await request.app[GATE].desk_closing()
    return web.json_response({"on_duty": on_duty})


@routes.get("/desk/api/queue")
@desk_api()
async def queue(request: web.Request, who: DeskIdentity) -> web.Response:
    handoffs = request.app[HANDOFFS]
    waiting = [i.to_dict() for i in await handoffs.queue()]
    mine = [i.to_dict() for i in await handoffs.active_for(None if who.is_supervisor else who.id)]
    return web.json_response({"queue": waiting, "mine": mine, "on_duty": await handoffs.on_duty()})


@routes.get("/desk/api/advocates")
@desk_api()
async def advocates(request: web.Request, who: DeskIdentity) -> web.Response:
    users = await request.app[ACCOUNTS].users()
    return web.json_response({"advocates": [{"id": u.id, "name": u.name, "role": u.role, "on_duty": u.on_duty}
                                            for u in users if u.active and u.id != who.id]})


@routes.get("/desk/api/handoffs/{handoff_id}")
@desk_api()
async def transcript(request: web.Request, who: DeskIdentity) -> web.Response:
    item = await _item(request, who)
    store = request.app[STORE]
    messages = [desk_message(m) for m in await store.messages(item.conversation_id)]
    async with store.sessions() as session:
        notes = (await session.execute(
            select(Note, DeskUser.name).join(DeskUser, DeskUser.id == Note.author_id)
            .where(Note.handoff_id == item.handoff_id).order_by(Note.id)
        )).all()
    await request.app[AUDIT].record("view_transcript", who.id, who.name, item.handoff_id)
    return web.json_response({
        "handoff": item.to_dict(), "messages": messages,
        "notes": [{"id": n.id, "author": name, "text": n.text, "at": n.created_at.isoformat()} for n, name in notes],
        "yours": owns(who, item),
    })


async def _after_change(request: web.Request, handoff_id: int) -> None:
    handoff = await request.app[HANDOFFS].get(handoff_id)
    if handoff is not None:
        await request.app[GATE].publish_state(handoff)
    request.app[GATE].queue_changed()


@routes.post("/desk/api/handoffs/{handoff_id}/claim")
@desk_api(write=True)
async def claim(request: web.Request, who: DeskIdentity) -> web.Response:
    handoff_id = forms.parse_id(request.match_info["handoff_id"])
    item = await request.app[HANDOFFS].item(handoff_id) if handoff_id else None
    if item is None:
        return error(404, "no such conversation")
    if not await request.app[HANDOFFS].claim(item.handoff_id, who.id):
        return error(409, "someone else has already picked this up")
    if not who.on_duty:
        await request.app[ACCOUNTS].set_duty(who.id, True)
    await _changed(request, who, item, "claim", "handoff_joined", level=item.level)
    return web.json_response({"ok": True})


@routes.post("/desk/api/handoffs/{handoff_id}/messages")
@desk_api(write=True)
async def reply(request: web.Request, who: DeskIdentity) -> web.Response:
    # The hot path of a conversation: one read to check ownership, one transaction (the message, its audit
    # entry, the conversation's activity time), then the push to the youth.
    handoff_id = forms.parse_id(request.match_info["handoff_id"])
    handoff = await request.app[HANDOFFS].get(handoff_id) if handoff_id else None
    if handoff is None:
        return error(404, "no such conversation")
    if handoff.state != "with_advocate" or handoff.advocate_id != who.id:
        return error(409 if who.is_supervisor else 403, "claim this conversation first")
    text = await _form(request, forms.parse_text)
    audit = request.app[AUDIT]
    message = await request.app[GATE].advocate_says(
        handoff, text, also=lambda m: [audit.entry("message", who.id, who.name, handoff.id, message_id=m.id)])
    return web.json_response({"ok": True, "message": desk_message(message)})


@routes.get("/desk/api/directory")
@desk_api()
async def directory_search(request: web.Request, who: DeskIdentity) -> web.Response:
    query, reason = forms.parse_query(request.query.get("q"))
    if reason:
        return error(400, reason)
    cards, hint = await request.app[DIRECTORY].find_async(query)
    return web.json_response({"resources": cards, "hint": hint})


@routes.post("/desk/api/handoffs/{handoff_id}/resources")
@desk_api(write=True)
async def send_resource(request: web.Request, who: DeskIdentity) -> web.Response:
    item = await _item(request, who, own=True)
    resource_id, query = await _form(request, forms.parse_resource)
    # The card comes from the directory, never from the page: search again and take that result.
    cards, _ = await request.app[DIRECTORY].find_async(query)
    card = next((c for c in cards if c["id"] == resource_id), None)
    if card is None:
        return error(404, "that resource is not in the results any more; search again")
    handoff = await request.app[HANDOFFS].get(item.handoff_id)
    assert handoff is not None
    audit = request.app[AUDIT]
    message = await request.app[GATE].advocate_says(
        handoff, "Here's a place that could help:", [card],
        also=lambda m: [audit.entry("resource", who.id, who.name, handoff.id, resource_id=resource_id,
                                    message_id=m.id)])
    return web.json_response({"ok": True, "message": desk_message(message)})


@routes.post("/desk/api/handoffs/{handoff_id}/notes")
@desk_api(write=True)
async def add_note(request: web.Request, who: DeskIdentity) -> web.Response:
    item = await _item(request, who)
    text = await _form(request, forms.parse_text)
    # Notes are kept with the conversation and shown to other advocates: what identifies the youth goes.
    text = default_redactor().redact(text)
    clock = request.app[HANDOFFS].clock
    async with request.app[STORE].sessions.begin() as session:
        note = Note(handoff_id=item.handoff_id, author_id=who.id, text=text, created_at=clock())
        session.add(note)
    await request.app[AUDIT].record("note", who.id, who.name, item.handoff_id)
    await request.app[HUB].to_desks({"type": "note", "handoff_id": item.handoff_id},
                                    advocate_id=item.advocate_id, state=item.state)
    return web.json_response({"ok": True, "note": {"id": note.id, "author": who.name, "text": text}})


@routes.post("/desk/api/handoffs/{handoff_id}/transfer")
@desk_api(write=True)
async def transfer(request: web.Request, who: DeskIdentity) -> web.Response:
    item = await _item(request, who)
    _holder_or_supervisor(who, item, ("with_advocate",), "transfer it")
    to_id = await _form(request, forms.parse_transfer)
    target = await request.app[ACCOUNTS].user(to_id)
    if target is None or not target.active or target.id == item.advocate_id:
        return error(400, "pick another advocate")
    moved = await request.app[HANDOFFS].transfer(item.handoff_id, None if who.is_supervisor else who.id, target.id)
    if not moved:
        return error(409, "this conversation changed meanwhile; reload it")
    await request.app[HUB].to_user(target.id, {"type": "transferred", "handoff_id": item.handoff_id,
                                               "by": who.name})
    await _changed(request, who, item, "transfer", "handoff_transferred", to=target.name)
    return web.json_response({"ok": True})


@routes.post("/desk/api/handoffs/{handoff_id}/requeue")
@desk_api(write=True)
async def requeue(request: web.Request, who: DeskIdentity) -> web.Response:
    item = await _item(request, who)
    _holder_or_supervisor(who, item, ("with_advocate",), "do that")
    if not await request.app[HANDOFFS].requeue(item.handoff_id, None if who.is_supervisor else who.id):
        return error(409, "this conversation changed meanwhile; reload it")
    await _changed(request, who, item, "requeue", "handoff_requeued")
    return web.json_response({"ok": True})


@routes.post("/desk/api/handoffs/{handoff_id}/wrap")
@desk_api(write=True)
async def wrap_up(request: web.Request, who: DeskIdentity) -> web.Response:
    item = await _item(request, who)
    _holder_or_supervisor(who, item, ("with_advocate", "queued"), "wrap it up")
    tags, to_state = await _form(request, lambda body: forms.parse_wrap_up(body, desk_content()["outcomes"]))
    released = await request.app[HANDOFFS].release(item.handoff_id, None if who.is_supervisor else who.id,
                                                   to_state, tags)
    if not released:
        return error(409, "this conversation changed meanwhile; reload it")
    closed = to_state == "closed"
    await _changed(request, who, item, "close" if closed else "return_to_bot",
                   "handoff_closed" if closed else "handoff_back_to_bot", outcome=tags)
    return web.json_response({"ok": True, "state": to_state})


@routes.post("/desk/api/handoffs/{handoff_id}/dismiss")
@desk_api(write=True)
async def dismiss(request: web.Request, who: DeskIdentity) -> web.Response:
    item = await _item(request, who)
    if item.state != "flagged" or not await request.app[HANDOFFS].dismiss(item.handoff_id):
        return error(409, "only a flagged conversation the bot is handling can be dismissed")
    await request.app[AUDIT].record("dismiss", who.id, who.name, item.handoff_id)
    request.app[GATE].queue_changed()
    return web.json_response({"ok": True})


@routes.get("/desk/api/audit")
@desk_api(supervisor=True)
async def audit(request: web.Request, who: DeskIdentity) -> web.Response:
    handoff_id = forms.parse_id(request.query.get("handoff_id", "")) if request.query.get("handoff_id") else None
    return web.json_response({"entries": await request.app[AUDIT].entries(200, handoff_id)})


# ----------------------------------------------------------------------------------------- live desk
@routes.get("/desk/ws")
async def desk_socket(request: web.Request) -> web.StreamResponse:
    who = await current_identity(request)
    if who is None:
        return error(401, "log in first")
    if not _same_origin(request):
        return error(403, "wrong origin")
    ws = web.WebSocketResponse(heartbeat=25, max_msg_size=4096)
    if not ws.can_prepare(request).ok:
        return error(400, "this is a WebSocket endpoint")
    await ws.prepare(request)
    hub = request.app[HUB]
    hub.sockets.add(ws)
    listener = DeskListener(who.id, who.role, ws.send_json)
    hub.add_desk(listener)
    try:
        items = [i.to_dict() for i in await request.app[HANDOFFS].queue()]
        await ws.send_json({"type": "queue", "items": items})
        async for _ in ws:
            pass  # the desk acts through the JSON API (with its CSRF token), not through this socket
    finally:
        hub.remove_desk(listener)
    return ws


async def _directory(app: web.Application) -> AsyncIterator[None]:
    app[DIRECTORY] = DeskDirectory.open(app[SETTINGS].gateway_database_url)
    yield
    app[DIRECTORY].close()


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(_directory)
    app.router.add_get("/desk", desk_page)
    app.router.add_get("/desk/", desk_page)
    app.router.add_get("/desk/login", login_page)
    app.router.add_get("/desk/assets/{name}", asset)
    app.add_routes(routes)
