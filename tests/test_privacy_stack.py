"""SMS and privacy on the real stack (Rasa with its SQL tracker store, action server, gateway) with Twilio's
REST API as a local fake: signed webhooks drive whole conversations, an advocate's reply goes out by SMS,
and nothing identifying is left in any database file, log or desk transcript."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import string
import subprocess
import sys
import time
from typing import Any

import pytest

from tests.conftest import ROOT, Client, handoff_id
from tests.db import cli_env, timestamp
from tests.fakes.fake_twilio import inbound_params, sign_webhook
from tests.privacy_support import (
    log_files,
    new_phone,
    occurrences,
    post_sms,
    query,
    rasa_query,
    sms_conversation,
    stored_occurrences,
    text,
    wait_for,
)


def _letters() -> str:
    """A random marker of letters only: digits could be redacted as a number and never reach a store."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))


def sms_sent_to(fake_twilio: Any, number: str) -> list[str]:
    return [m["body"] for m in list(fake_twilio.messages) if m["to"] == number]


# ------------------------------------------------------------------------------------------ SMS


def test_full_sms_conversation_with_an_advocate_reply_by_rest(stack: Any, desk: Any, fake_twilio: Any) -> None:
    phone = new_phone()
    status, bodies = text(stack, "hi", phone)
    assert status == 200 and bodies and all(len(b) <= 1600 for b in bodies)
    status, bodies = text(stack, "i need a place to sleep tonight in oakland", phone)
    assert status == 200 and bodies
    conversation_id = sms_conversation(stack, phone)
    assert phone not in conversation_id
    # Rasa knows the conversation only by its random id.
    senders = {r[0] for r in rasa_query(stack, "SELECT DISTINCT sender_id FROM events")}
    assert conversation_id in senders and not any(phone[2:] in s for s in senders)

    advocate = desk("sms-ana")
    status, bodies = text(stack, "can i talk to a person", phone)
    assert status == 200 and any("in line" in b for b in bodies), bodies
    hid = handoff_id(stack, conversation_id)
    queue = advocate.get("/desk/api/queue").body
    assert phone[2:] not in json.dumps(queue) and conversation_id not in json.dumps(queue)
    assert advocate.post(f"/desk/api/handoffs/{hid}/claim").status == 200
    reply = advocate.post(f"/desk/api/handoffs/{hid}/messages", {"text": "Hi, I'm Ana. I'm here with you."})
    assert reply.status == 200
    sent = wait_for(lambda: [b for b in sms_sent_to(fake_twilio, phone) if "I'm Ana" in b])
    assert sent == ["Hi, I'm Ana. I'm here with you."]
    assert any("advocate" in b for b in sms_sent_to(fake_twilio, phone))  # the "joined" notice went too
    request = next(r for r in list(fake_twilio.requests) if r.form.get("Body", "").startswith("Hi, I'm Ana"))
    assert request.status == 201 and request.idempotency_token and request.form["From"] == "+14155550100"
    # While the advocate has it, the youth's texts go to the desk, not the bot.
    status, bodies = text(stack, "thank you", phone)
    assert status == 200
    transcript = advocate.get(f"/desk/api/handoffs/{hid}").body
    assert "thank you" in [m["text"] for m in transcript["messages"]]
    assert phone[2:] not in json.dumps(transcript)
    status, bodies = text(stack, "bye", phone)
    assert status == 200 and any("back with me" in b for b in bodies)


def test_duplicated_message_sid_is_processed_once(stack: Any) -> None:
    phone = new_phone()
    params = inbound_params("i need food in fresno", from_number=phone)
    headers = sign_webhook(stack.url + "/sms/twilio", params)
    first = post_sms(stack, params, headers)
    second = post_sms(stack, params, headers)
    assert first[0] == second[0] == 200 and first[1] and second[1] == []
    conversation_id = sms_conversation(stack, phone)
    users = query(stack, "SELECT text FROM message WHERE conversation_id = ? AND sender = 'user' ORDER BY id",
                  [conversation_id])
    assert users == [("i need food in fresno",)]


def test_bad_or_missing_signature_is_403_and_nothing_is_stored(stack: Any) -> None:
    before = query(stack, "SELECT (SELECT COUNT(*) FROM message), (SELECT COUNT(*) FROM sms_senders), "
                          "(SELECT COUNT(*) FROM sms_seen), (SELECT COUNT(*) FROM conversation)")
    params = inbound_params("hello", from_number=new_phone())
    bad = sign_webhook(stack.url + "/sms/twilio", params, auth_token="not-our-token")
    assert post_sms(stack, params, bad)[0] == 403
    wrong_url = sign_webhook("https://elsewhere.example.org/sms/twilio", params)
    assert post_sms(stack, params, wrong_url)[0] == 403
    missing = dict(sign_webhook(stack.url + "/sms/twilio", params))
    del missing["X-Twilio-Signature"]
    assert post_sms(stack, params, missing)[0] == 403
    tampered = {**params, "Body": "something else"}
    assert post_sms(stack, tampered, sign_webhook(stack.url + "/sms/twilio", params))[0] == 403
    after = query(stack, "SELECT (SELECT COUNT(*) FROM message), (SELECT COUNT(*) FROM sms_senders), "
                         "(SELECT COUNT(*) FROM sms_seen), (SELECT COUNT(*) FROM conversation)")
    assert before == after


def test_stop_then_a_message_then_start(stack: Any, desk: Any, fake_twilio: Any) -> None:
    phone = new_phone()
    assert text(stack, "i need a shelter in san jose", phone)[0] == 200
    conversation_id = sms_conversation(stack, phone)
    count = query(stack, "SELECT COUNT(*) FROM message WHERE conversation_id = ?", [conversation_id])[0][0]
    status, bodies = text(stack, " Stop ", phone)
    assert status == 200 and bodies[0].startswith("You won't get more texts")
    assert text(stack, "are you still there?", phone) == (200, [])
    assert query(stack, "SELECT COUNT(*) FROM message WHERE conversation_id = ?", [conversation_id])[0][0] == count
    # A desk notice to an opted-out youth is not even attempted.
    sent_before = len(sms_sent_to(fake_twilio, phone))
    status, bodies = text(stack, "START", phone)
    assert status == 200 and bodies[0].startswith("You're back")
    status, bodies = text(stack, "stop hurting me", phone)  # a sentence: conversation, crisis-screened
    assert status == 200 and bodies and "911" in " ".join(bodies)
    assert len(sms_sent_to(fake_twilio, phone)) == sent_before


def test_help_keyword_names_the_24_7_lines(stack: Any) -> None:
    status, bodies = text(stack, "HELP", new_phone())
    assert status == 200 and "24/7" in bodies[0] and "STOP" in bodies[0]


def test_numbered_choice_reply(stack: Any) -> None:
    phone = new_phone()
    status, bodies = text(stack, "hi", phone)
    assert status == 200 and "Reply 1" in bodies[-1], bodies
    status, bodies = text(stack, "1", phone)
    assert status == 200 and bodies
    conversation_id = sms_conversation(stack, phone)
    users = [r[0] for r in query(stack, "SELECT text FROM message WHERE conversation_id = ? AND sender = 'user' "
                                 "ORDER BY id", [conversation_id])]
    assert users[0] == "hi" and users[1].startswith("/"), users  # the button's payload, not "1"


# ------------------------------------------------------------------------------------- redaction


SECRETS_WEB = ["Jessica Quillborne", "Quillborne", "(916) 555-0142", "555-0142", "5550142", "quill.borne@example.com",
               "1234 Quillfeather", "Quillfeather Street", "4111 1111 1111 1111", "4111111111111111", "523-45-6789"]
SECRETS_SMS = ["Marisol Vantrees", "Vantrees", "(530) 555-0187", "555-0187", "5550187",
               "mvantrees@example.net", "88 Larkspurwood Ave", "Larkspurwood"]


def test_nothing_identifying_reaches_any_store_log_or_desk(stack: Any, client: Client, desk: Any) -> None:
    advocate = desk("privacy-scan-ana")
    web = client.start()
    web.say("hi, my name is Jessica Quillborne")
    web.say("you can call me at (916) 555-0142 or email quill.borne@example.com")
    web.say("i'm staying at 1234 Quillfeather Street Apt 5 in Sacramento 95823 and need food")
    web.say("he took my card 4111 1111 1111 1111 and my ssn 523-45-6789, he hurts me, text me 916.555.0142")
    web.say("talk to a person")
    web.say("my name is Jessica Quillborne, please call (916) 555-0142")

    phone = new_phone()
    sms_number_forms = [phone, phone[2:], phone[-7:], f"{phone[2:5]}-{phone[5:8]}-{phone[8:]}"]
    for body in ["hi, my name is Marisol Vantrees", "text me at (530) 555-0187 or mvantrees@example.net",
                 "i live at 88 Larkspurwood Ave, oakland 94601, i want to kill myself", "talk to a person",
                 "my name is Marisol Vantrees and my other phone is 530 555 0187"]:
        assert text(stack, body, phone)[0] == 200

    handoffs = [handoff_id(stack, web.id)]
    sms_id = sms_conversation(stack, phone)
    handoffs.append(handoff_id(stack, sms_id))
    transcripts = []
    for hid in handoffs:
        assert advocate.post(f"/desk/api/handoffs/{hid}/claim").status == 200
        note = {"text": "she said her name is Jessica Quillborne, call her at (916) 555-0142"}
        assert advocate.post(f"/desk/api/handoffs/{hid}/notes", note).status == 200
        transcripts.append(json.dumps(advocate.get(f"/desk/api/handoffs/{hid}").body))
        transcripts.append(json.dumps(advocate.get("/desk/api/queue").body))
    assert "[phone]" in transcripts[0] and "[email]" in transcripts[0] and "[name]" in transcripts[0]
    assert "95823" in transcripts[0]  # a ZIP stays: search needs it

    needles = SECRETS_WEB + SECRETS_SMS + sms_number_forms
    for transcript in transcripts:
        assert [n for n in needles if n.lower() in transcript.lower()] == []
    assert stored_occurrences(stack, needles) == {}
    assert occurrences(log_files(stack), needles) == {}
    # The crisis words the advocate sees are redacted too, and the engine got the redacted text.
    events = [r[0] for r in rasa_query(stack, "SELECT data FROM events WHERE sender_id = ?", [web.id])]
    assert any("[phone]" in e for e in events)


# ------------------------------------------------------------------------------------- erasure


def _everywhere(stack: Any, marker: str) -> dict[str, list[str]]:
    return stored_occurrences(stack, [marker])


def test_web_delete_my_messages_after_confirmation_erases_every_store(stack: Any, client: Client, desk: Any) -> None:
    marker = "zephyrine" + _letters()
    advocate = desk("erase-ana")
    web = client.start()
    web.say(f"my friend {marker} said there is food in oakland")
    web.say("talk to a person")
    hid = handoff_id(stack, web.id)
    assert advocate.post(f"/desk/api/handoffs/{hid}/claim").status == 200
    assert advocate.post(f"/desk/api/handoffs/{hid}/notes", {"text": f"note about {marker}"}).status == 200
    assert _everywhere(stack, marker)  # it is there before
    assert rasa_query(stack, "SELECT COUNT(*) FROM events WHERE sender_id = ?", [web.id])[0][0] > 0

    confirm = web.say("delete my messages")
    assert "erase" in confirm[0]["text"] and confirm[0]["buttons"]
    kept = web.say("no")
    assert kept[0]["text"].startswith("OK, nothing was erased")
    web.say("delete my messages")
    reply = web.send_raw(json.dumps({"text": "yes"}).encode())
    assert reply.status == 200 and reply.body["erased"]["messages"] > 0 and reply.body["erased"]["notes"] == 1
    assert "outside our reach" in reply.body["messages"][0]["text"]
    assert _everywhere(stack, marker) == {}
    assert query(stack, "SELECT COUNT(*) FROM message WHERE conversation_id = ?", [web.id])[0][0] == 0
    assert query(stack, "SELECT COUNT(*) FROM handoff WHERE conversation_id = ?", [web.id])[0][0] == 0
    assert rasa_query(stack, "SELECT COUNT(*) FROM events WHERE sender_id = ?", [web.id])[0][0] == 0
    assert web.send_raw(json.dumps({"text": "hi"}).encode()).status == 404
    assert advocate.get(f"/desk/api/handoffs/{hid}").status == 404
    # The audit log keeps who did what, without content.
    audit = query(stack, "SELECT action, detail FROM desk_audit WHERE handoff_id = ?", [hid])
    assert audit and marker not in json.dumps(audit)


def test_delete_endpoint(stack: Any, client: Client) -> None:
    marker = "quasimarker" + _letters()
    web = client.start()
    web.say(f"{marker} needs a bed in fresno")
    assert client.request("DELETE", f"/api/conversations/{web.id}").status == 401
    assert client.request("DELETE", f"/api/conversations/{web.id}",
                          headers={"Authorization": "Bearer " + "x" * 40}).status == 404
    other = client.start()
    assert client.request("DELETE", f"/api/conversations/{web.id}",
                          headers={"Authorization": f"Bearer {other.token}"}).status == 404
    reply = client.request("DELETE", f"/api/conversations/{web.id}", headers={"Authorization": f"Bearer {web.token}"})
    assert reply.status == 200 and reply.body["erased"]["conversations"] == 1
    assert reply.body["erased"]["engine_events"] > 0
    assert _everywhere(stack, marker) == {}
    assert client.request("DELETE", f"/api/conversations/{web.id}",
                          headers={"Authorization": f"Bearer {web.token}"}).status == 404


def test_sms_delete_my_messages_erases_the_number_too(stack: Any) -> None:
    phone = new_phone()
    marker = "violetmarker" + _letters()
    assert text(stack, f"{marker} here, need a clinic in stockton", phone)[0] == 200
    conversation_id = sms_conversation(stack, phone)
    status, bodies = text(stack, "pls delete my messages", phone)
    assert status == 200 and "YES" in bodies[0]
    status, bodies = text(stack, "YES", phone)
    assert status == 200 and "erased" in bodies[0] and "phone company" in bodies[0]
    assert _everywhere(stack, marker) == {}
    assert query(stack, "SELECT COUNT(*) FROM conversation WHERE id = ?", [conversation_id])[0][0] == 0
    assert query(stack, "SELECT COUNT(*) FROM sms_senders WHERE conversation_id = ?", [conversation_id])[0][0] == 0
    assert rasa_query(stack, "SELECT COUNT(*) FROM events WHERE sender_id = ?", [conversation_id])[0][0] == 0
    # A later text starts a conversation nobody can link to the erased one.
    assert text(stack, "hi", phone)[0] == 200
    newer = sms_conversation(stack, phone)
    assert newer != conversation_id


def test_retention_purge_command_erases_expired_conversations_everywhere(stack: Any, client: Client) -> None:
    old_marker, fresh_marker = "oldmarker" + _letters(), "freshmarker" + _letters()
    old, fresh = client.start(), client.start()
    old.say(f"{old_marker} needs food in oakland")
    fresh.say(f"{fresh_marker} needs food in oakland")
    phone = new_phone()
    sms_marker = "smsoldmarker" + _letters()
    assert text(stack, f"{sms_marker} needs a bed in fresno", phone)[0] == 200
    sms_id = sms_conversation(stack, phone)
    long_ago = timestamp(stack, dt.datetime.now(dt.UTC) - dt.timedelta(days=40))
    for cid in (old.id, sms_id):
        query(stack, "UPDATE conversation SET last_activity_at = ? WHERE id = ?", [long_ago, cid])
        query(stack, "UPDATE message SET created_at = ? WHERE conversation_id = ?", [long_ago, cid])
    query(stack, "UPDATE sms_senders SET updated_at = ? WHERE conversation_id = ?", [long_ago, sms_id])
    rasa_query(stack, "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES "
                      "('not-ours', 'user', ?, '{\"text\": \"orphanmarker\"}')", [time.time()])
    env = cli_env(stack, {**os.environ, "PYTHONPATH": str(ROOT)})
    done = subprocess.run([sys.executable, "-m", "bot", "purge"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["retention_days"] == 30 and report["erased"]["conversations"] >= 2
    assert report["erased"]["orphan_engine_events"] >= 1
    assert _everywhere(stack, old_marker) == {} and _everywhere(stack, sms_marker) == {}
    assert _everywhere(stack, "orphanmarker") == {}
    assert _everywhere(stack, fresh_marker)  # inside the window: kept
    assert fresh.say("thanks")  # and still working
    for cid in (old.id, sms_id):
        assert query(stack, "SELECT COUNT(*) FROM conversation WHERE id = ?", [cid])[0][0] == 0
        assert rasa_query(stack, "SELECT COUNT(*) FROM events WHERE sender_id = ?", [cid])[0][0] == 0
    assert query(stack, "SELECT COUNT(*) FROM sms_senders WHERE conversation_id = ?", [sms_id])[0][0] == 0


@pytest.mark.parametrize("question", ["who can see this?", "is this private"])
def test_privacy_answer_says_what_is_kept_how_long_and_who_sees_it(client: Client, question: str) -> None:
    said = " ".join(m["text"] for m in client.start().say(question))
    assert "30 days" in said and "advocate" in said and "delete my messages" in said and "Quick exit" in said
