"""The advocate desk on the real stack (Rasa, action server, gateway, SQLite): handoff entry and exit,
claim races, gateway restarts, live streams, and the desk's security."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import aiohttp
import pytest
from sqlalchemy.exc import DBAPIError

from bot.launcher import Stack
from tests.conftest import ROOT, Client, DeskClient, add_desk_users, handoff_id
from tests.db import cli_env, query

pytestmark = pytest.mark.stack


def _state(stack: Stack, conversation_id: str) -> tuple[str, int | None, str]:
    return query(stack, "SELECT state, advocate_id, priority FROM handoff WHERE conversation_id = ?",
                 [conversation_id])[0]


def _senders(stack: Stack, conversation_id: str) -> list[tuple[int, str, str]]:
    return query(stack, "SELECT id, sender, text FROM message WHERE conversation_id = ? ORDER BY id",
                 [conversation_id])


def test_asking_for_a_person_queues_with_an_honest_position_and_the_desk_sees_it(client: Client, desk,
                                                                                 stack: Stack) -> None:
    ana = desk("ana")
    conversation = client.start()
    replies = conversation.say("can i talk to a real person")
    text = "\n".join(r["text"] for r in replies)
    assert "I hear you" in text and "in line" in text and "911" in text
    assert "coming soon" not in text
    assert _state(stack, conversation.id)[0] == "queued"
    queue = ana.get("/desk/api/queue").body["queue"]
    item = next(i for i in queue if i["handoff_id"] == handoff_id(stack, conversation.id))
    assert item["state"] == "queued" and item["channel"] == "web" and item["language"] == "en"
    assert conversation.id not in json.dumps(queue), "the desk never sees the conversation's raw id"


def test_accepting_the_advocate_after_a_crisis_queues_at_crisis_priority_first(client: Client, desk,
                                                                               stack: Stack) -> None:
    desk("ana")
    calm = client.start()
    calm.say("talk to a person")
    crisis = client.start()
    crisis.say("i want to end my life")
    crisis.say("/talk_to_person")
    assert _state(stack, crisis.id)[0] == "queued" and _state(stack, crisis.id)[2] == "crisis"
    ben = desk("ben")
    waiting = [i for i in ben.get("/desk/api/queue").body["queue"] if i["state"] == "queued"]
    ids = [i["handoff_id"] for i in waiting]
    assert ids.index(handoff_id(stack, crisis.id)) < ids.index(handoff_id(stack, calm.id))
    first = next(i for i in waiting if i["handoff_id"] == handoff_id(stack, crisis.id))
    assert first["level"] in ("urgent", "imminent") and "suicidal" in first["categories"] and first["evidence"]


def test_fifty_simultaneous_claims_exactly_one_wins(client: Client, desk, stack: Stack) -> None:
    advocates = [desk(f"racer{n}") for n in range(10)]
    conversation = client.start()
    conversation.say("i need a person")
    target = handoff_id(stack, conversation.id)
    claims = [advocates[n % 10] for n in range(50)]
    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(lambda a: a.post(f"/desk/api/handoffs/{target}/claim").status, claims))
    assert statuses.count(200) == 1, statuses
    assert statuses.count(409) == 49
    state, advocate_id, _ = _state(stack, conversation.id)
    assert state == "with_advocate" and advocate_id is not None
    joined = [t for _, s, t in _senders(stack, conversation.id) if s == "desk"]
    assert len(joined) == 1, "the youth is told once that a person joined"


def test_no_bot_reply_while_with_an_advocate_then_back_to_the_bot(client: Client, desk, stack: Stack) -> None:
    ana = desk("ana")
    conversation = client.start()
    conversation.say("person")
    target = handoff_id(stack, conversation.id)
    assert ana.post(f"/desk/api/handoffs/{target}/claim").status == 200
    before = len(_senders(stack, conversation.id))
    for text in ("hi", "i need food in oakland", "what are you", "more"):
        assert conversation.say(text) == []
    after = _senders(stack, conversation.id)[before:]
    assert {s for _, s, _ in after} == {"user"}
    assert ana.post(f"/desk/api/handoffs/{target}/messages", {"text": "Hi, I'm here."}).status == 200
    wrapped = ana.post(f"/desk/api/handoffs/{target}/wrap", {"to": "bot", "outcome": ["emotional_support"]})
    assert wrapped.status == 200
    assert _state(stack, conversation.id)[0] == "bot"
    assert conversation.say("food in oakland"), "the bot answers again"


def test_gateway_restart_mid_handoff_loses_nothing(client: Client, desk, stack: Stack) -> None:
    ana = desk("ana")
    with_advocate, waiting = client.start(), client.start()
    with_advocate.say("i want to talk to someone")
    waiting.say("he took my id and says i cant leave the motel till i make my quota")
    waiting.say("/talk_to_person")
    claimed = handoff_id(stack, with_advocate.id)
    assert ana.post(f"/desk/api/handoffs/{claimed}/claim").status == 200
    assert ana.post(f"/desk/api/handoffs/{claimed}/messages", {"text": "I'm with you."}).status == 200
    with_advocate.say("ok thank you")
    before = {c: _senders(stack, c) for c in (with_advocate.id, waiting.id)}
    queue_before = {i["handoff_id"]: i["level"] for i in ana.get("/desk/api/queue").body["queue"]}

    stack.stop_one("gateway")
    stack.start_gateway()

    assert _state(stack, with_advocate.id)[:2] == ("with_advocate", _state(stack, with_advocate.id)[1])
    assert _state(stack, with_advocate.id)[1] is not None
    assert _state(stack, waiting.id)[0] == "queued" and _state(stack, waiting.id)[2] == "crisis"
    for conversation_id, messages in before.items():
        assert _senders(stack, conversation_id)[:len(messages)] == messages
    # The desk's session survives too (sessions are stored), and the queue is as it was.
    queue_after = {i["handoff_id"]: i["level"] for i in ana.get("/desk/api/queue").body["queue"]}
    assert queue_after[handoff_id(stack, waiting.id)] == queue_before[handoff_id(stack, waiting.id)]
    mine = [i["handoff_id"] for i in ana.get("/desk/api/queue").body["mine"]]
    assert claimed in mine
    # Still no bot after the restart; the advocate can go on writing.
    assert with_advocate.say("are you still there") == []
    assert ana.post(f"/desk/api/handoffs/{claimed}/messages", {"text": "Still here."}).status == 200


async def _stream_messages(url: str, conversation_id: str, token: str, after: int, wanted: int,
                           timeout_s: float = 10) -> list[dict]:
    received: list[dict] = []
    async with aiohttp.ClientSession() as session, session.ws_connect(
        f"{url.replace('http', 'ws')}/api/conversations/{conversation_id}/stream",
        params={"token": token, "after": str(after)}) as ws:
        deadline = time.monotonic() + timeout_s
        while len(received) < wanted and time.monotonic() < deadline:
            message = await ws.receive_json(timeout=deadline - time.monotonic())
            if message["type"] == "message":
                received.append(message["message"])
    return received


def test_youth_stream_delivers_advocate_messages_and_replays_after_a_reconnect(client: Client, desk,
                                                                              stack: Stack) -> None:
    ana = desk("ana")
    conversation = client.start()
    conversation.say("real person please")
    target = handoff_id(stack, conversation.id)
    ana.post(f"/desk/api/handoffs/{target}/claim")
    ana.post(f"/desk/api/handoffs/{target}/messages", {"text": "Hi, I'm an advocate."})
    first = asyncio.run(_stream_messages(stack.url, conversation.id, conversation.token, 0, 2))
    assert [m["sender"] for m in first] == ["desk", "advocate"]
    assert first[1]["text"] == "Hi, I'm an advocate."
    ana.post(f"/desk/api/handoffs/{target}/messages", {"text": "Are you safe right now?"})
    rest = asyncio.run(_stream_messages(stack.url, conversation.id, conversation.token, first[-1]["id"], 1))
    assert [m["text"] for m in rest] == ["Are you safe right now?"]


def test_stream_refuses_missing_wrong_and_other_tokens(client: Client, stack: Stack) -> None:
    mine, other = client.start(), client.start()
    path = f"/api/conversations/{mine.id}/stream"
    assert client.request("GET", path).status == 401
    assert client.request("GET", path + "?token=" + other.token).status == 404
    assert client.request("GET", path, headers={"Authorization": f"Bearer {other.token}"}).status == 404
    assert client.request("GET", path + "?token=" + mine.token + "&after=-1").status == 400


# ------------------------------------------------------------------------------------------ security
DESK_GETS = ["/desk/api/me", "/desk/api/queue", "/desk/api/advocates", "/desk/api/handoffs/1",
             "/desk/api/directory?q=shelter", "/desk/api/audit", "/desk/ws", "/desk/assets/desk.js"]
DESK_POSTS = ["/desk/logout", "/desk/api/duty", "/desk/api/handoffs/1/claim", "/desk/api/handoffs/1/messages",
              "/desk/api/handoffs/1/resources", "/desk/api/handoffs/1/notes", "/desk/api/handoffs/1/transfer",
              "/desk/api/handoffs/1/requeue", "/desk/api/handoffs/1/wrap", "/desk/api/handoffs/1/dismiss"]


def test_every_desk_route_needs_a_session(stack: Stack) -> None:
    anonymous = DeskClient(stack.url)
    for path in DESK_GETS:
        assert anonymous.get(path).status == 401, path
    for path in DESK_POSTS:
        assert anonymous.post(path, {"text": "x"}).status == 401, path
    page = anonymous.opener.open(stack.url + "/desk")
    assert page.geturl().endswith("/desk/login")
    assert anonymous.get("/desk/login").status == 200  # the login page itself is public
    forged = DeskClient(stack.url)
    assert forged.request("GET", "/desk/api/me", headers={"Cookie": "desk_session=forged-token"}).status == 401


def test_session_cookie_is_httponly_and_samesite_strict(stack: Stack) -> None:
    import urllib.request

    add_desk_users(stack, ["cookie-check"])
    client = DeskClient(stack.url)
    csrf = client.get("/desk/login/csrf").body["csrf"]
    request = urllib.request.Request(
        stack.url + "/desk/login", method="POST",
        data=json.dumps({"name": "cookie-check", "password": "correct horse battery staple"}).encode(),
        headers={"Content-Type": "application/json", "X-CSRF-Token": csrf})
    with client.opener.open(request) as response:
        cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("desk_session"))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/desk" in cookie
    assert "script-src 'self'" in urllib.request.urlopen(stack.url + "/desk/login").headers["Content-Security-Policy"]


def test_another_advocates_conversation_is_out_of_reach(client: Client, desk, stack: Stack) -> None:
    ana, ben, sam = desk("ana"), desk("ben"), desk("sam", role="supervisor")
    conversation = client.start()
    conversation.say("talk to a person")
    target = handoff_id(stack, conversation.id)
    assert ana.post(f"/desk/api/handoffs/{target}/claim").status == 200
    assert ben.get(f"/desk/api/handoffs/{target}").status == 403
    for action, body in (("messages", {"text": "hi"}), ("notes", {"text": "x"}), ("transfer", {"to": 1}),
                         ("wrap", {"to": "closed", "outcome": []}), ("requeue", {}), ("claim", {})):
        assert ben.post(f"/desk/api/handoffs/{target}/{action}", body).status in (403, 409), action
    assert ben.get("/desk/api/audit").status == 403
    assert target not in [i["handoff_id"] for i in ben.get("/desk/api/queue").body["mine"]]
    # A supervisor sees it, and the audit log shows who did what.
    assert sam.get(f"/desk/api/handoffs/{target}").status == 200
    actions = [(e["user"], e["action"]) for e in sam.get(f"/desk/api/audit?handoff_id={target}").body["entries"]]
    assert ("ana", "claim") in actions and ("sam", "view_transcript") in actions
    assert target in [i["handoff_id"] for i in sam.get("/desk/api/queue").body["mine"]]
    # Transfer to ben: now ben may write, ana may not.
    ben_id = next(a["id"] for a in ana.get("/desk/api/advocates").body["advocates"] if a["name"] == "ben")
    assert ana.post(f"/desk/api/handoffs/{target}/transfer", {"to": ben_id}).status == 200
    assert ben.post(f"/desk/api/handoffs/{target}/messages", {"text": "Hi, I'm taking over."}).status == 200
    assert ana.post(f"/desk/api/handoffs/{target}/messages", {"text": "hi"}).status == 403
    assert ben.post(f"/desk/api/handoffs/{target}/wrap", {"to": "closed", "outcome": ["safety_plan"]}).status == 200
    with pytest.raises(DBAPIError, match="append-only"):  # the database itself refuses, on either engine
        query(stack, "DELETE FROM desk_audit")


def test_state_changes_need_the_csrf_token(client: Client, desk, stack: Stack) -> None:
    ana, ben = desk("ana"), desk("ben")
    conversation = client.start()
    conversation.say("person")
    target = handoff_id(stack, conversation.id)
    assert ana.post(f"/desk/api/handoffs/{target}/claim", csrf="").status == 403
    assert ana.post(f"/desk/api/handoffs/{target}/claim", csrf="wrong").status == 403
    assert ana.post(f"/desk/api/handoffs/{target}/claim", csrf=ben.csrf).status == 403
    assert ana.post("/desk/api/duty", {"on_duty": True}, csrf="").status == 403
    assert ana.post("/desk/logout", csrf="").status == 403
    assert _state(stack, conversation.id)[0] == "queued"
    # A cross-site page cannot use the token either: its Origin is refused.
    evil = ana.request("POST", f"/desk/api/handoffs/{target}/claim", b"{}",
                       {"X-CSRF-Token": ana.csrf, "Origin": "https://evil.example"})
    assert evil.status == 403
    # The login form has its own double-submit token.
    fresh = DeskClient(stack.url)
    no_token = fresh.request("POST", "/desk/login", json.dumps({"name": "ana", "password": "x"}).encode(),
                             {"Content-Type": "application/json"})
    assert no_token.status == 403
    assert ana.post(f"/desk/api/handoffs/{target}/claim").status == 200


def test_twenty_wrong_passwords_lock_the_account_name(stack: Stack) -> None:
    add_desk_users(stack, ["locked-out"])
    client = DeskClient(stack.url)
    statuses = [client.login("locked-out", f"wrong guess {n}").status for n in range(20)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    assert client.login("locked-out").status == 429, "even the right password waits out the lock"
    assert DeskClient(stack.url).login("ana").status == 200, "other accounts are not locked out"


def test_cli_creates_accounts_only_with_a_real_password(stack: Stack) -> None:
    env = cli_env(stack, {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    command = [sys.executable, "-m", "bot", "desk-user", "add", "night-lead", "--role", "supervisor"]
    short = subprocess.run(command, input="short\n", capture_output=True, text=True, env=env, cwd=ROOT)
    assert short.returncode != 0 and "at least 12" in short.stderr
    empty = subprocess.run(command, input="", capture_output=True, text=True, env=env, cwd=ROOT)
    assert empty.returncode != 0
    made = subprocess.run(command, input="a very long passphrase\n", capture_output=True, text=True, env=env,
                          cwd=ROOT)
    assert made.returncode == 0, made.stderr
    assert DeskClient(stack.url).login("night-lead", "a very long passphrase").status == 200
    stored = query(stack, "SELECT password_hash FROM desk_user WHERE name = 'night-lead'")[0][0]
    assert stored.startswith("$argon2id$") and "passphrase" not in stored
