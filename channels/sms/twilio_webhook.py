"""Inbound SMS webhook from Twilio: verify, parse, answer in TwiML. Pure functions, no I/O.

`parse_inbound` returns an `InboundSms` or a `Rejection` (the status to answer and a reason for the log —
never the body or the number). Checks, in order, so nothing unauthenticated is read further than needed:
size → signature header present → form body decodes → signature valid (twilio's RequestValidator, against
PUBLIC_BASE_URL + path + query, with and without the port as Twilio does) → our account → required fields.

Only what the conversation needs is kept: Twilio also sends FromCity, FromState, FromZip and FromCountry
(where the number was registered), which would locate a youth; they are dropped here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

MAX_BODY_BYTES = 16 * 1024  # a Twilio SMS webhook is ~1 KB plus a 1,600-character body, percent-encoded
MAX_FIELDS = 100
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
TWIML_CONTENT_TYPE = "text/xml"
REQUIRED = ("MessageSid", "AccountSid", "From", "To")
_SID = re.compile(r"(SM|MM)[0-9a-fA-F]{32}")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class InboundSms:
    message_sid: str
    account_sid: str
    # Never logged or shown: not in repr. Pseudonymize (bot.privacy.pseudonym) and seal it straight away.
    from_number: str = field(repr=False)
    to_number: str
    body: str = field(repr=False)
    num_media: int = 0
    num_segments: int = 1
    # Set by Twilio's Advanced Opt-Out ("STOP", "START", "HELP") when the message was one of its keywords.
    opt_out_type: str | None = None
    messaging_service_sid: str | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    status: int  # 400, 403, 413 or 415
    reason: str


class _Params(dict[str, list[str]]):
    """What RequestValidator needs to sign a form with repeated keys (it calls getall)."""

    def getall(self, name: str) -> list[str]:
        return self[name]


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def parse_form(body: bytes) -> _Params:
    """application/x-www-form-urlencoded → name → values. Raises ValueError for bytes that are not a form."""
    text = body.decode("utf-8")  # UnicodeDecodeError is a ValueError
    params = _Params()
    for name, value in parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict",
                                 max_num_fields=MAX_FIELDS):
        params.setdefault(name, []).append(value)
    return params


def parse_inbound(
    *, body: bytes, headers: Mapping[str, str], url: str, auth_token: str, account_sid: str | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> InboundSms | Rejection:
    """`url` is the URL Twilio requested as it knows it: PUBLIC_BASE_URL + the path and query string."""
    if len(body) > max_body_bytes:
        return Rejection(413, "body too large")
    signature = _header(headers, SIGNATURE_HEADER)
    if not signature:
        return Rejection(403, "no X-Twilio-Signature")
    content_type = (_header(headers, "Content-Type") or "").split(";")[0].strip().lower()
    if content_type != FORM_CONTENT_TYPE:
        return Rejection(415, "not a form body")
    try:
        params = parse_form(body)
    except ValueError:
        return Rejection(400, "malformed form body")
    algorithm = get_signature_algorithm(_header(headers, SIGNATURE_SETTINGS_HEADER))
    try:
        valid = RequestValidator(auth_token).validate(url, params, signature, algorithm)
    except (ValueError, UnicodeError):
        valid = False
    if not valid:
        return Rejection(403, "bad signature")
    # Signed by our token from here on; what follows guards against our own misconfiguration and API changes.
    for name in (*REQUIRED, "Body"):
        if len(params.get(name, [])) > 1:
            return Rejection(400, f"{name} given more than once")
    missing = [name for name in REQUIRED if not params.get(name, [""])[0].strip()]
    if missing:
        return Rejection(400, f"missing {', '.join(missing)}")
    if account_sid is not None and params["AccountSid"][0] != account_sid:
        return Rejection(403, "another account")
    if not _SID.fullmatch(params["MessageSid"][0]):
        return Rejection(400, "malformed MessageSid")
    num_media = _count(params, "NumMedia")
    if "Body" not in params and num_media == 0:
        return Rejection(400, "missing Body")
    return InboundSms(
        message_sid=params["MessageSid"][0],
        account_sid=params["AccountSid"][0],
        from_number=params["From"][0].strip(),
        to_number=params["To"][0].strip(),
        # NUL has no meaning in a text and PostgreSQL cannot store it: dropped, as the web API does.
        body=params.get("Body", [""])[0].replace("\x00", ""),
        num_media=num_media,
        num_segments=max(1, _count(params, "NumSegments")),
        opt_out_type=(params.get("OptOutType", [""])[0].strip().upper() or None),
        messaging_service_sid=(params.get("MessagingServiceSid", [""])[0].strip() or None),
    )


def _count(params: _Params, name: str) -> int:
    value = params.get(name, ["0"])[0].strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 3 else 0


def xml_text(text: str) -> str:
    """Text that is safe inside an XML element: escaped, and without characters XML 1.0 cannot carry."""
    # A raw CR would reach Twilio as LF (XML line-end normalization); a character reference survives.
    return escape(_XML_INVALID.sub("", text), {"\r": "&#13;"})


def twiml_response(bodies: Sequence[str] = ()) -> str:
    """<Response> with one <Message> per body; no bodies → an empty response (Twilio sends nothing).

    Twilio may deliver several <Message>s out of order; render/split_body number the parts for that reason.
    """
    messages = "".join(f"<Message>{xml_text(body)}</Message>" for body in bodies if body)
    inner = f"<Response>{messages}</Response>" if messages else "<Response/>"
    return '<?xml version="1.0" encoding="UTF-8"?>' + inner
