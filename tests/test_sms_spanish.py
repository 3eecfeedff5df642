"""Spanish over SMS, through the real stack (gateway, Rasa, actions) with signed webhooks as Twilio sends them:
the phone's conversation gets a language the same way a web conversation does, keeps it, switches on
"english"/"español", and the channel's own texts (HELP, STOP, START, deleting, "Responde 1 o 2", card labels)
follow it."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import Client
from tests.privacy_support import new_phone, query, sms_conversation, text, wait_for


def language_of(stack: Any, conversation_id: str) -> str:
    return query(stack, "SELECT language FROM conversation WHERE id = ?", [conversation_id])[0][0]


def one(stack: Any, body: str, phone: str) -> str:
    status, bodies = text(stack, body, phone)
    assert status == 200 and bodies, (status, bodies)
    return "\n".join(bodies)


def test_spanish_sms_conversation_gets_spanish_replies_cards_and_choices(stack: Any) -> None:
    phone = new_phone()
    reply = one(stack, "hola, necesito un lugar seguro para dormir esta noche en sacramento", phone)
    conversation_id = sms_conversation(stack, phone)
    assert language_of(stack, conversation_id) == "es"
    # Cards in SMS form, with the card's own words in Spanish, and the numbered choices asked for in Spanish.
    assert "Call" not in reply and "address shared" not in reply, reply
    assert "Llama para saber el horario" in reply or "Abierto" in reply or "Abre " in reply, reply
    assert "Hablar con una persona" in reply and "\nResponde 1" in reply and "Reply " not in reply, reply
    # A numbered answer keeps the conversation's language (a digit is in no language).
    number = next(line.split(")")[0] for line in reply.splitlines() if line.endswith(") Hablar con una persona"))
    reply = one(stack, number, phone)
    assert language_of(stack, conversation_id) == "es"
    assert "defensora" in reply and "una persona de verdad" in reply, reply
    # Nobody is on duty in this test: the desk's hours are told in Spanish too, not only the sentence around them.
    assert "todos los días de 10am a 10pm" in reply and "every day" not in reply, reply


def test_switch_by_keyword_and_remembered(stack: Any) -> None:
    phone = new_phone()
    one(stack, "hola necesito comida en fresno", phone)
    conversation_id = sms_conversation(stack, phone)
    assert language_of(stack, conversation_id) == "es"
    # Words of both languages do not flip it; an explicit switch does, at once, and then it stays.
    one(stack, "ok thanks", phone)
    assert language_of(stack, conversation_id) == "es"
    reply = one(stack, "english please", phone)
    assert language_of(stack, conversation_id) == "en"
    reply = one(stack, "i need food in fresno", phone)
    assert "Call " in reply and "Llama al" not in reply, reply
    one(stack, "95823", phone)
    assert language_of(stack, conversation_id) == "en"
    one(stack, "español", phone)
    assert language_of(stack, conversation_id) == "es"
    reply = one(stack, "necesito comida en fresno", phone)
    assert "Llama al " in reply, reply


def test_keyword_replies_follow_the_conversation_language(stack: Any) -> None:
    phone = new_phone()
    one(stack, "hola, necesito ayuda para encontrar una clínica en oakland", phone)
    conversation_id = sms_conversation(stack, phone)
    help_text = one(stack, "HELP", phone)
    assert "marca 2" in help_text and "STOP" in help_text and "24/7" in help_text, help_text
    assert one(stack, "STOP", phone).startswith("Ya no te vamos a mandar mensajes")
    # Opted out: nothing is answered, and nothing of the message is kept — not even a change of language.
    assert text(stack, "can you hear me? i really need to talk to someone", phone) == (200, [])
    assert language_of(stack, conversation_id) == "es"
    assert one(stack, "START", phone).startswith("Regresaste")
    # The English conversation next door gets the English texts.
    other = new_phone()
    one(stack, "hi i need a clinic in oakland", other)
    assert "Reply STOP" in one(stack, "help", other)
    assert one(stack, "stop", other).startswith("You won't get more texts")


def test_ayuda_from_a_new_phone_is_the_spanish_help_and_starts_nothing(stack: Any) -> None:
    phone = new_phone()
    reply = one(stack, "AYUDA", phone)
    assert reply.startswith("Navegador de recursos para jóvenes") and "marca 2" in reply
    assert "BORRA MIS MENSAJES" in reply
    from bot.privacy.pseudonym import PhoneKeys

    key = PhoneKeys(stack.extra_env["PSEUDONYM_SECRET"].encode()).lookup_key(phone)
    assert query(stack, "SELECT COUNT(*) FROM sms_senders WHERE lookup_key = ? AND conversation_id IS NOT NULL",
                 [key])[0][0] == 0


def test_spanish_delete_request_confirmed_with_si_erases(stack: Any) -> None:
    phone = new_phone()
    one(stack, "hola, necesito un lugar para quedarme en san jose", phone)
    conversation_id = sms_conversation(stack, phone)
    confirm = one(stack, "borra mis mensajes porfa", phone)
    assert confirm.startswith("¿Borrar toda esta conversación?") and "Responde SÍ" in confirm, confirm
    done = one(stack, "Sí", phone)
    assert done.startswith("Listo. Borramos esta conversación"), done
    assert query(stack, "SELECT COUNT(*) FROM conversation WHERE id = ?", [conversation_id])[0][0] == 0
    assert query(stack, "SELECT COUNT(*) FROM message WHERE conversation_id = ?", [conversation_id])[0][0] == 0


def test_spanish_delete_request_refused_keeps_everything(stack: Any) -> None:
    phone = new_phone()
    one(stack, "hola, necesito comida en stockton", phone)
    conversation_id = sms_conversation(stack, phone)
    before = query(stack, "SELECT COUNT(*) FROM message WHERE conversation_id = ?", [conversation_id])[0][0]
    assert one(stack, "quiero borrar esta conversación", phone).startswith("¿Borrar toda esta conversación?")
    assert one(stack, "No, déjala", phone) == "Va, no se borró nada."
    after = query(stack, "SELECT COUNT(*) FROM message WHERE conversation_id = ?", [conversation_id])[0][0]
    assert after == before and language_of(stack, conversation_id) == "es"


def test_web_and_sms_decide_the_language_alike(stack: Any, client: Client) -> None:
    """One rule for both channels: the same messages give the same stored language after each one."""
    messages = ["hola", "necesito comida en fresno", "ok thanks", "i need food in fresno please now",
                "gracias", "english", "95823", "necesito un lugar para dormir esta noche", "espanol"]
    web = client.start()
    phone = new_phone()
    web_languages, sms_languages = [], []
    for message in messages:
        web.say(message)
        web_languages.append(language_of(stack, web.id))
        one(stack, message, phone)
        sms_languages.append(language_of(stack, sms_conversation(stack, phone)))
    assert web_languages == sms_languages
    # The sequence itself moves both ways, so the comparison above is not between two constants.
    assert web_languages[0] == "es" and "en" in web_languages and web_languages[-1] == "es"


def test_advocate_notices_to_a_spanish_sms_youth_are_in_spanish(stack: Any, desk: Any, fake_twilio: Any) -> None:
    from tests.conftest import handoff_id

    phone = new_phone()
    one(stack, "hola, necesito un lugar seguro en oakland", phone)
    conversation_id = sms_conversation(stack, phone)
    advocate = desk("sms-lucia")
    one(stack, "quiero hablar con una persona", phone)
    hid = handoff_id(stack, conversation_id)
    item = next(i for i in advocate.get("/desk/api/queue").body["queue"] if i["handoff_id"] == hid)
    assert item["language"] == "es", json.dumps(item)
    assert advocate.post(f"/desk/api/handoffs/{hid}/claim").status == 200
    # The advocate's own words go out as written (nothing is translated); the desk's notice is in Spanish.
    assert advocate.post(f"/desk/api/handoffs/{hid}/messages", {"text": "Hola, soy Lucía. Aquí estoy."}).status == 200
    def sent() -> list[str]:
        return [m["body"] for m in list(fake_twilio.messages) if m["to"] == phone]

    wait_for(lambda: "Hola, soy Lucía. Aquí estoy." in sent())
    assert any(b.startswith("Se unió una defensora") for b in sent()), sent()
    assert not any("advocate" in b.lower() for b in sent()), sent()
    assert advocate.post(f"/desk/api/handoffs/{hid}/wrap", {"to": "closed", "outcome": []}).status == 200
    wait_for(lambda: any(b.startswith("La defensora cerró este chat") for b in sent()))
