"""Twilio settings from the environment. The auth token never appears in a repr or an error message."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_API_BASE = "https://api.twilio.com"
WEBHOOK_PATH = "/sms/twilio"
_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
_MESSAGING_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")
_E164 = re.compile(r"\+[1-9]\d{7,14}")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class SmsConfigError(RuntimeError):
    """A setting is missing or malformed; the message names it (never its secret value)."""


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str = field(repr=False)
    # An E.164 number, or a Messaging Service SID ("MG…"), which Twilio then picks a number from.
    sender: str
    public_base_url: str
    api_base: str = DEFAULT_API_BASE

    def __post_init__(self) -> None:
        if not _ACCOUNT_SID.fullmatch(self.account_sid):
            raise SmsConfigError("TWILIO_ACCOUNT_SID must be 'AC' followed by 32 hex digits")
        if not self.auth_token:
            raise SmsConfigError("TWILIO_AUTH_TOKEN is not set")
        if not (_E164.fullmatch(self.sender) or _MESSAGING_SERVICE_SID.fullmatch(self.sender)):
            raise SmsConfigError("TWILIO_FROM must be an E.164 number (+1…) or a Messaging Service SID (MG…)")
        for name, url in (("PUBLIC_BASE_URL", self.public_base_url), ("TWILIO_API_BASE", self.api_base)):
            parts = urlsplit(url)
            # Plain http only on loopback (tests, a local fake): a webhook body is a youth's message.
            if not parts.hostname or parts.scheme not in ("https", "http") or (
                    parts.scheme == "http" and parts.hostname not in _LOOPBACK):
                raise SmsConfigError(f"{name} must be an https URL (http only for localhost)")
            if parts.query or parts.fragment:
                raise SmsConfigError(f"{name} must not have a query or fragment")

    @property
    def webhook_url(self) -> str:
        """The URL Twilio is configured to call, and signs."""
        return self.public_base_url.rstrip("/") + WEBHOOK_PATH

    @property
    def uses_messaging_service(self) -> bool:
        return self.sender.startswith("MG")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TwilioSettings:
        env = os.environ if environ is None else environ
        missing = [name for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM", "PUBLIC_BASE_URL")
                   if not env.get(name, "").strip()]
        if missing:
            raise SmsConfigError(f"SMS is not configured: set {', '.join(missing)}")
        return cls(
            account_sid=env["TWILIO_ACCOUNT_SID"].strip(),
            auth_token=env["TWILIO_AUTH_TOKEN"].strip(),
            sender=env["TWILIO_FROM"].strip(),
            public_base_url=env["PUBLIC_BASE_URL"].strip(),
            api_base=(env.get("TWILIO_API_BASE") or DEFAULT_API_BASE).strip().rstrip("/"),
        )
