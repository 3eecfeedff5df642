"""Outbound SMS through the REST client, against the local fake Twilio (which checks requests as Twilio does)."""

from __future__ import annotations

import email.utils
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.sms.config import TwilioSettings
from channels.sms.twilio_rest import IDEMPOTENCY_HEADER, RetryPolicy, TwilioRestClient, TwilioSendError, _retry_after
from tests.fakes.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, running_fake_twilio

TO = "+19165550123"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    async with running_fake_twilio() as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def _client(session: aiohttp.ClientSession, fake: FakeTwilio, sleeps: Sleeps | None = None,
            token: str = AUTH_TOKEN, sender: str = "+14155550100", **policy: float) -> TwilioRestClient:
    config = TwilioSettings(account_sid=ACCOUNT_SID, auth_token=token, sender=sender,
                            public_base_url="https://navigator.example.org", api_base=fake.base_url)
    return TwilioRestClient(session, config, RetryPolicy(**policy), sleep=sleeps or Sleeps())


async def test_sends_and_fake_records(session: aiohttp.ClientSession, fake: FakeTwilio) -> None:
    sent = await _client(session, fake).send(TO, "An advocate replied: are you safe right now?")
    assert sent.sid.startswith("SM") and len(sent.sid) == 34 and sent.status == "queued" and sent.attempts == 1
    assert fake.messages[0]["to"] == TO and fake.messages[0]["from"] == "+14155550100"
    assert fake.messages[0]["body"].startswith("An advocate replied")
    assert fake.requests[0].idempotency_token


async def test_messaging_service_sender(session: aiohttp.ClientSession, fake: FakeTwilio) -> None:
    await _client(session, fake, sender="MG" + "b" * 32).send(TO, "hi")
    assert fake.messages[0]["messaging_service_sid"] == "MG" + "b" * 32 and fake.messages[0]["from"] is None


async def test_bad_credentials_are_401_and_not_retried(session: aiohttp.ClientSession, fake: FakeTwilio) -> None:
    sleeps = Sleeps()
    with pytest.raises(TwilioSendError) as info:
        await _client(session, fake, sleeps, token="wrong").send(TO, "hi")
    assert info.value.status == 401 and info.value.code == 20003 and not info.value.retryable
    assert len(fake.requests) == 1 and not sleeps.calls and not fake.messages


async def test_retries_5xx_with_backoff_and_one_idempotency_token(session: aiohttp.ClientSession,
                                                                  fake: FakeTwilio) -> None:
    fake.fail_next(2, status=500)
    sleeps = Sleeps()
    sent = await _client(session, fake, sleeps, base_delay_s=0.5, max_delay_s=8).send(TO, "hi")
    assert sent.attempts == 3 and len(fake.messages) == 1
    assert len({r.idempotency_token for r in fake.requests}) == 1
    assert len(sleeps.calls) == 2 and 0 <= sleeps.calls[0] <= 0.5 and 0 <= sleeps.calls[1] <= 1.0


async def test_respects_retry_after_on_429(session: aiohttp.ClientSession, fake: FakeTwilio) -> None:
    fake.fail_next(1, status=429, retry_after="3")
    sleeps = Sleeps()
    await _client(session, fake, sleeps).send(TO, "hi")
    assert sleeps.calls == [3.0]


async def test_gives_up_after_max_attempts(session: aiohttp.ClientSession, fake: FakeTwilio) -> None:
    fake.fail_next(10, status=503)
    sleeps = Sleeps()
    with pytest.raises(TwilioSendError) as info:
        await _client(session, fake, sleeps, max_attempts=3).send(TO, "hi")
    assert info.value.retryable and info.value.status == 503
    assert len(fake.requests) == 3 and len(sleeps.calls) == 2 and not fake.messages


async def test_retry_after_longer_than_we_hold_goes_back_to_the_caller(session: aiohttp.ClientSession,
                                                                       fake: FakeTwilio) -> None:
    fake.fail_next(1, status=429, retry_after="3600")
    with pytest.raises(TwilioSendError) as info:
        await _client(session, fake).send(TO, "hi")
    assert info.value.retryable and len(fake.requests) == 1


async def test_lost_response_is_not_sent_twice(session: aiohttp.ClientSession, fake: FakeTwilio) -> None:
    """Twilio accepted the message but the answer was lost (500): the retry carries the same token."""
    fake.fail_next(1, status=500, accept_first=True)
    sent = await _client(session, fake).send(TO, "hi")
    assert len(fake.messages) == 1 and sent.sid == fake.messages[0]["sid"] and sent.attempts == 2


async def test_caller_idempotency_key_across_calls(session: aiohttp.ClientSession, fake: FakeTwilio) -> None:
    client = _client(session, fake)
    first = await client.send(TO, "hi", idempotency_key="outbox-42")
    second = await client.send(TO, "hi", idempotency_key="outbox-42")
    assert first.sid == second.sid and len(fake.messages) == 1
    assert fake.requests[0].idempotency_token == "outbox-42"


@pytest.mark.parametrize(("to", "body", "code"), [
    ("9165550123", "hi", 21211), (TO, "", 21602), (TO, "x" * 1601, 21617), ("", "hi", 21604),
])
async def test_4xx_is_not_retried(session: aiohttp.ClientSession, fake: FakeTwilio, to: str, body: str,
                                  code: int) -> None:
    sleeps = Sleeps()
    with pytest.raises(TwilioSendError) as info:
        await _client(session, fake, sleeps).send(to, body)
    assert info.value.status == 400 and info.value.code == code and not info.value.retryable
    assert len(fake.requests) == 1 and not sleeps.calls
    assert "0123" not in str(info.value)  # errors never carry the number


async def test_opted_out_recipient(session: aiohttp.ClientSession, fake: FakeTwilio) -> None:
    fake.opted_out.add(TO)
    with pytest.raises(TwilioSendError) as info:
        await _client(session, fake).send(TO, "hi")
    assert info.value.opted_out and not info.value.retryable


async def test_connection_errors_are_retried(session: aiohttp.ClientSession) -> None:
    dead = FakeTwilio(base_url="http://127.0.0.1:9")  # discard port: connection refused
    sleeps = Sleeps()
    with pytest.raises(TwilioSendError) as info:
        await _client(session, dead, sleeps, max_attempts=2).send(TO, "hi")
    assert info.value.retryable and info.value.status is None and len(sleeps.calls) == 1


async def test_idempotency_header_name(session: aiohttp.ClientSession, fake: FakeTwilio) -> None:
    assert IDEMPOTENCY_HEADER == "I-Twilio-Idempotency-Token"
    await _client(session, fake).send(TO, "hi")
    assert fake.requests[0].idempotency_token


async def test_fake_checks_auth_like_twilio(session: aiohttp.ClientSession, fake: FakeTwilio) -> None:
    url = f"{fake.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    async with session.post(url, data={"To": TO, "From": "+14155550100", "Body": "hi"}) as resp:
        assert resp.status == 401
        assert (await resp.json()) == {"code": 20003, "message": "Authenticate",
                                       "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}
    other = "AC" + "e" * 32
    auth = {"Authorization": aiohttp.encode_basic_auth(ACCOUNT_SID, AUTH_TOKEN)}
    async with session.post(url.replace(ACCOUNT_SID, other), data={"To": TO, "Body": "hi"}, headers=auth) as resp:
        assert resp.status == 404
    async with session.post(url, data={"To": TO, "Body": "hi"}, headers=auth) as resp:
        assert resp.status == 400 and (await resp.json())["code"] == 21603


def test_retry_after_parsing() -> None:
    now = time.time()
    assert _retry_after("7") == 7.0
    assert _retry_after(None) is None and _retry_after("soon") is None and _retry_after("") is None
    assert 9 <= _retry_after(email.utils.formatdate(now + 10, usegmt=True), now=now) <= 10
    assert _retry_after(email.utils.formatdate(now - 10, usegmt=True), now=now) == 0.0


@settings(max_examples=200)
@given(st.text(max_size=40))
def test_retry_after_never_crashes(value: str) -> None:
    result = _retry_after(value)
    assert result is None or result >= 0


@settings(max_examples=100)
@given(st.integers(1, 20))
def test_backoff_is_bounded(attempt: int) -> None:
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=8)
    assert 0 <= policy.backoff(attempt) <= 8
