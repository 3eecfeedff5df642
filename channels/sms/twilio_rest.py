"""Outbound SMS through Twilio's Messages REST API (for messages that start later: advocate replies, desk).

POST {TWILIO_API_BASE}/2010-04-01/Accounts/{sid}/Messages.json, HTTP basic auth sid:token, form fields
To, From (or MessagingServiceSid), Body.

- Retries with exponential backoff and full jitter on 429, 5xx, connection errors and timeouts; a
  Retry-After header (seconds or an HTTP date) is respected, up to `max_retry_after_s`.
- Every attempt of one send carries the same `I-Twilio-Idempotency-Token`, so a retry after a lost response
  cannot text a youth twice (a second text on a watched phone is a risk, not a nuisance).
- No retry on other 4xx: they will fail the same way. 21610 (the recipient replied STOP) is reported as
  `opted_out`, so the caller records the opt-out instead of trying again.
- Errors carry Twilio's code and status, never the number or the body.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from channels.sms.config import TwilioSettings

log = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
OPTED_OUT_CODE = 21610
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class TwilioSendError(Exception):
    def __init__(self, message: str, *, status: int | None, code: int | None, retryable: bool) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retryable = retryable  # worth queueing for later (the attempts here ran out)

    @property
    def opted_out(self) -> bool:
        return self.code == OPTED_OUT_CODE


@dataclass(frozen=True, slots=True)
class SentMessage:
    sid: str
    status: str
    attempts: int


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    max_retry_after_s: float = 60.0
    timeout_s: float = 10.0

    def backoff(self, attempt: int) -> float:
        """Full jitter (AWS architecture blog): spreads retries of many senders after a Twilio hiccup."""
        return random.uniform(0, min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1)))


class TwilioRestClient:
    def __init__(
        self, session: aiohttp.ClientSession, settings: TwilioSettings, policy: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._session = session
        self._settings = settings
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._url = f"{settings.api_base}/2010-04-01/Accounts/{settings.account_sid}/Messages.json"
        self._authorization = aiohttp.encode_basic_auth(settings.account_sid, settings.auth_token)

    async def send(self, to: str, body: str, idempotency_key: str | None = None) -> SentMessage:
        """Send one SMS. Pass a stable `idempotency_key` (e.g. the outbox row id) when the caller itself may
        retry later; otherwise one is made for the attempts of this call."""
        form = {"To": to, "Body": body}
        if self._settings.uses_messaging_service:
            form["MessagingServiceSid"] = self._settings.sender
        else:
            form["From"] = self._settings.sender
        headers = {IDEMPOTENCY_HEADER: idempotency_key or uuid.uuid4().hex, "Accept": "application/json",
                   "Authorization": self._authorization}
        policy = self._policy
        timeout = aiohttp.ClientTimeout(total=policy.timeout_s)
        last_error: TwilioSendError | None = None
        for attempt in range(1, policy.max_attempts + 1):
            delay: float | None = None
            try:
                async with self._session.post(self._url, data=form, headers=headers, timeout=timeout) as resp:
                    payload = await _json(resp)
                    if resp.status in (200, 201):
                        return SentMessage(sid=str(payload.get("sid", "")), status=str(payload.get("status", "")),
                                           attempts=attempt)
                    code = payload.get("code") if isinstance(payload.get("code"), int) else None
                    message = f"Twilio answered {resp.status}" + (f" (code {code})" if code else "")
                    if resp.status not in RETRY_STATUSES:
                        raise TwilioSendError(message, status=resp.status, code=code, retryable=False)
                    last_error = TwilioSendError(message, status=resp.status, code=code, retryable=True)
                    delay = _retry_after(resp.headers.get("Retry-After"))
            except (aiohttp.ClientError, TimeoutError) as exc:
                last_error = TwilioSendError(f"Twilio unreachable: {type(exc).__name__}", status=None, code=None,
                                             retryable=True)
            if attempt == policy.max_attempts:
                break
            if delay is not None and delay > policy.max_retry_after_s:
                break  # Twilio asks for longer than we hold a request: let the caller's queue take it
            wait = delay if delay is not None else policy.backoff(attempt)
            log.info("twilio send attempt %d failed (%s); retrying in %.2fs", attempt, last_error, wait)
            await self._sleep(wait)
        assert last_error is not None
        raise last_error


async def _json(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        payload = await resp.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds to wait: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
