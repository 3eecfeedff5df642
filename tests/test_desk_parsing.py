"""Property tests of what the desk's and the stream's public endpoints accept: the pure parsers, and the
live endpoints with arbitrary bodies (never a 500, nothing stored for a bad request)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.gateway.stream import parse_after, stream_token
from channels.desk import forms

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
pure = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
bodies = st.dictionaries(st.sampled_from(["text", "to", "outcome", "on_duty", "resource_id", "q", "name",
                                          "password", "x"]), json_values, max_size=5)


@pure
@given(st.binary(max_size=200))
def test_parse_json_accepts_only_objects(raw: bytes) -> None:
    body, problem = forms.parse_json(raw)
    assert (body is None) != (problem is None)
    if body is not None:
        assert isinstance(body, dict)


@pure
@given(bodies)
def test_parse_text_gives_clean_bounded_text_or_a_reason(body) -> None:
    text, problem = forms.parse_text(body)
    if problem is None:
        assert isinstance(text, str) and 0 < len(text) <= forms.MAX_TEXT and text == text.strip()
        assert "\x00" not in text
    else:
        assert text is None


@pure
@given(bodies)
def test_parse_wrap_up_only_known_tags_and_targets(body) -> None:
    allowed = ["safety_plan", "resource_shared"]
    parsed, problem = forms.parse_wrap_up(body, allowed)
    if problem is None:
        tags, to = parsed
        assert to in ("bot", "closed") and set(tags) <= set(allowed) and len(tags) == len(set(tags))


@pure
@given(bodies)
def test_parse_transfer_and_duty_types(body) -> None:
    to, problem = forms.parse_transfer(body)
    assert problem is not None or (type(to) is int and to >= 1)
    duty, problem = forms.parse_duty(body)
    assert problem is not None or isinstance(duty, bool)


@pure
@given(st.text(max_size=40))
def test_ids_and_after_are_plain_positive_numbers(value: str) -> None:
    parsed = forms.parse_id(value)
    assert parsed is None or (parsed >= 1 and str(parsed) == value)
    after = parse_after(value)
    assert after is None or (after >= 0 and (value == "" or str(int(value)) == str(after)))


@pure
@given(st.text(max_size=200), st.text(max_size=200))
def test_stream_token_is_well_formed_or_refused(header: str, query: str) -> None:
    token = stream_token(header, query)
    assert token is None or (16 <= len(token) <= 128 and token.replace("-", "").replace("_", "").isalnum())


@pytest.mark.stack
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.one_of(bodies.map(lambda b: json.dumps(b).encode()), st.binary(max_size=100)))
def test_desk_endpoints_never_fail_on_odd_bodies(desk, body: bytes) -> None:
    ana = desk("fuzz-ana", on_duty=False)
    for path in ("/desk/api/duty", "/desk/api/handoffs/999999/messages", "/desk/api/handoffs/999999/wrap",
                 "/desk/api/handoffs/999999/transfer", "/desk/api/handoffs/abc/notes"):
        reply = ana.request("POST", path, body, {"Content-Type": "application/json", "X-CSRF-Token": ana.csrf})
        assert reply.status in (200, 400, 403, 404, 409), (path, reply)
