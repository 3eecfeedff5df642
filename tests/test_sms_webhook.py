"""Inbound Twilio webhooks: signatures made by the twilio package, parsing, and TwiML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.sms.config import SmsConfigError, TwilioSettings
from channels.sms.twilio_webhook import InboundSms, Rejection, parse_inbound, twiml_response, xml_text
from tests.fakes.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, encode_form, inbound_params, sign_webhook

URL = "https://navigator.example.org/sms/twilio"


def _parse(params: dict, url: str = URL, headers: dict | None = None, body: bytes | None = None,
           signed_url: str | None = None) -> InboundSms | Rejection:
    signed = sign_webhook(signed_url or url, params)
    return parse_inbound(body=encode_form(params) if body is None else body, headers=headers or signed, url=url,
                         auth_token=AUTH_TOKEN, account_sid=ACCOUNT_SID)


def test_a_nul_in_the_body_is_dropped() -> None:
    sms = _parse(inbound_params("need\x00 food"))
    assert isinstance(sms, InboundSms) and sms.body == "need food"


def test_valid_webhook_parses_and_drops_location_fields() -> None:
    params = inbound_params("i need a bed tonight in 95823")
    sms = _parse(params)
    assert isinstance(sms, InboundSms)
    assert sms.body == "i need a bed tonight in 95823"
    assert sms.from_number == "+19165550123" and sms.message_sid == params["MessageSid"]
    assert sms.num_media == 0 and sms.opt_out_type is None
    # (the text itself, not "bed": the random hex MessageSid in the repr can contain those letters)
    assert "9165550123" not in repr(sms) and "a bed tonight" not in repr(sms)
    assert not any(hasattr(sms, name) for name in ("from_city", "from_zip", "from_state"))


def test_port_in_url_is_accepted_either_way() -> None:
    params = inbound_params("hi")
    assert isinstance(_parse(params, url=URL, signed_url="https://navigator.example.org:443/sms/twilio"), InboundSms)


def test_query_string_is_part_of_what_twilio_signs() -> None:
    params = inbound_params("hi")
    assert isinstance(_parse(params, url=URL + "?v=1"), InboundSms)
    assert _parse(params, url=URL + "?v=2", signed_url=URL + "?v=1") == Rejection(403, "bad signature")


def test_sha256_signature_settings() -> None:
    params = inbound_params("hi")
    headers = sign_webhook(URL, params, algorithm="HMAC_SHA256")
    assert isinstance(parse_inbound(body=encode_form(params), headers=headers, url=URL, auth_token=AUTH_TOKEN),
                      InboundSms)


@pytest.mark.parametrize("change", ["no signature", "wrong token", "tampered body", "other url", "empty signature"])
def test_bad_signatures_are_403(change: str) -> None:
    params = inbound_params("hi")
    headers = sign_webhook(URL, params)
    body = encode_form(params)
    url = URL
    if change == "no signature":
        del headers["X-Twilio-Signature"]
    elif change == "empty signature":
        headers["X-Twilio-Signature"] = ""
    elif change == "wrong token":
        headers = sign_webhook(URL, params, auth_token="another-token")
    elif change == "tampered body":
        body = encode_form({**params, "Body": "hi!"})
    else:
        url = "https://evil.example.org/sms/twilio"
    result = parse_inbound(body=body, headers=headers, url=url, auth_token=AUTH_TOKEN)
    assert isinstance(result, Rejection) and result.status == 403


def test_other_account_is_403_even_when_signed() -> None:
    params = inbound_params("hi", account_sid="AC" + "f" * 32)
    assert _parse(params) == Rejection(403, "another account")


@pytest.mark.parametrize(("mutate", "status"), [
    (lambda p: p.pop("MessageSid"), 400),
    (lambda p: p.pop("From"), 400),
    (lambda p: p.update(MessageSid="not-a-sid"), 400),
    (lambda p: p.pop("Body"), 400),
])
def test_signed_but_incomplete_is_400(mutate, status: int) -> None:
    params = inbound_params("hi")
    mutate(params)
    result = _parse(params)
    assert isinstance(result, Rejection) and result.status == status


def test_duplicate_body_field_is_400() -> None:
    params = {**inbound_params("hi"), "Body": ["a", "b"]}
    result = _parse(params)
    assert result == Rejection(400, "Body given more than once")


def test_mms_without_body_is_accepted_with_media_count() -> None:
    params = inbound_params("", NumMedia="2", MessageSid="MM" + "a" * 32)
    params.pop("Body")
    sms = _parse(params)
    assert isinstance(sms, InboundSms) and sms.num_media == 2 and sms.body == ""


def test_opt_out_type_from_advanced_opt_out() -> None:
    sms = _parse(inbound_params("Stop", OptOutType="STOP"))
    assert isinstance(sms, InboundSms) and sms.opt_out_type == "STOP"


def test_size_content_type_and_encoding() -> None:
    params = inbound_params("hi")
    headers = sign_webhook(URL, params)
    assert parse_inbound(body=b"x" * 20000, headers=headers, url=URL, auth_token=AUTH_TOKEN).status == 413
    json_headers = {**headers, "Content-Type": "application/json"}
    assert parse_inbound(body=b"{}", headers=json_headers, url=URL, auth_token=AUTH_TOKEN).status == 415
    assert parse_inbound(body=b"Body=%ff%fe", headers=headers, url=URL, auth_token=AUTH_TOKEN).status == 400
    assert parse_inbound(body=b"\xff\xfe", headers=headers, url=URL, auth_token=AUTH_TOKEN).status == 400


def test_header_names_are_case_insensitive() -> None:
    params = inbound_params("hi")
    headers = {k.lower(): v for k, v in sign_webhook(URL, params).items()}
    assert isinstance(parse_inbound(body=encode_form(params), headers=headers, url=URL, auth_token=AUTH_TOKEN),
                      InboundSms)


field_text = st.text(max_size=200)


@settings(max_examples=300, deadline=None)
@given(field_text, st.dictionaries(st.text(min_size=1, max_size=20), field_text, max_size=8))
def test_any_signed_form_round_trips_body(body_text: str, extra: dict[str, str]) -> None:
    params = {**extra, **inbound_params(body_text)}
    sms = _parse(params)
    assert isinstance(sms, InboundSms)
    sent = body_text.replace("\x00", "")  # NULs are dropped (PostgreSQL cannot store them)
    assert sms.body == sent.replace("\r\n", "\n") or sms.body == sent


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000), st.dictionaries(st.sampled_from(
    ["X-Twilio-Signature", "Content-Type", "X-Twilio-Webhooks-Signature-Settings"]), st.text(max_size=60)))
def test_random_bodies_and_headers_never_crash_and_never_pass(body: bytes, headers: dict[str, str]) -> None:
    result = parse_inbound(body=body, headers=headers, url=URL, auth_token=AUTH_TOKEN)
    assert isinstance(result, Rejection) and result.status in (400, 403, 413, 415)


def test_twiml() -> None:
    xml = twiml_response(["Tom & Jerry <3 \"quotes\"", "second"])
    root = ET.fromstring(xml.encode())
    assert root.tag == "Response" and [m.text for m in root] == ["Tom & Jerry <3 \"quotes\"", "second"]
    assert twiml_response([]) == '<?xml version="1.0" encoding="UTF-8"?><Response/>'


@settings(max_examples=300)
@given(st.lists(st.text(max_size=300), max_size=4))
def test_twiml_is_always_well_formed_and_keeps_the_text(bodies: list[str]) -> None:
    root = ET.fromstring(twiml_response(bodies).encode())
    expected = [ET.fromstring(f"<m>{xml_text(b)}</m>").text or "" for b in bodies if b]
    assert [m.text or "" for m in root] == expected
    for got, body in zip(expected, [b for b in bodies if b], strict=True):
        assert got == "".join(ch for ch in body if ch in "\t\n\r" or (
            ch >= " " and not 0xD800 <= ord(ch) <= 0xDFFF and ch not in "\ufffe\uffff"))


def test_settings_from_env() -> None:
    env = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM": "+14155550100",
           "PUBLIC_BASE_URL": "https://navigator.example.org/"}
    settings_ = TwilioSettings.from_env(env)
    assert settings_.webhook_url == URL and settings_.api_base == "https://api.twilio.com"
    assert AUTH_TOKEN not in repr(settings_)
    with pytest.raises(SmsConfigError, match="TWILIO_AUTH_TOKEN"):
        TwilioSettings.from_env({k: v for k, v in env.items() if k != "TWILIO_AUTH_TOKEN"})
    with pytest.raises(SmsConfigError, match="https"):
        TwilioSettings.from_env({**env, "PUBLIC_BASE_URL": "http://navigator.example.org"})
    with pytest.raises(SmsConfigError, match="TWILIO_FROM"):
        TwilioSettings.from_env({**env, "TWILIO_FROM": "916-555-0100"})
    assert TwilioSettings.from_env({**env, "TWILIO_FROM": "MG" + "a" * 32}).uses_messaging_service
