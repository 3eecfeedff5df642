"""Pseudonymous phone keys and sealed phone numbers."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.privacy.pseudonym import PhoneKeys, PseudonymConfigError, normalize_e164
from bot.privacy.sealed import SealedDataError, Sealer, SealingConfigError, generate_key

SECRET = "s" * 48
KEY = generate_key()


@pytest.mark.parametrize("raw", [
    "+19165550123", "(916) 555-0123", "916-555-0123", "916.555.0123", "1 916 555 0123", "+1 (916) 555-0123",
    "tel:+19165550123", "0019165550123", " 9165550123 ",
])
def test_normalizes_to_e164(raw: str) -> None:
    assert normalize_e164(raw) == "+19165550123"


@pytest.mark.parametrize("raw", ["", "741741", "HOME", "+0123456789", "+1", "12345", "+1916555012345678",
                                 "９１６５５５０１２３", "whatsapp:+19165550123"])
def test_rejects_what_is_not_a_phone_number(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_e164(raw)


def test_same_number_any_format_same_key_and_no_number_in_it() -> None:
    keys = PhoneKeys.from_env({"PSEUDONYM_SECRET": SECRET})
    key = keys.lookup_key("+19165550123")
    assert key == keys.lookup_key("(916) 555-0123")
    assert len(key) == 64 and "9165550123" not in key
    assert key != keys.lookup_key("+19165550124")
    assert key != PhoneKeys(b"t" * 48).lookup_key("+19165550123")  # the secret matters


def test_secret_missing_or_weak_is_a_clear_error() -> None:
    with pytest.raises(PseudonymConfigError, match="PSEUDONYM_SECRET is not set"):
        PhoneKeys.from_env({})
    with pytest.raises(PseudonymConfigError, match="at least 32 bytes"):
        PhoneKeys.from_env({"PSEUDONYM_SECRET": "short"})
    assert SECRET not in repr(PhoneKeys.from_env({"PSEUDONYM_SECRET": SECRET}))


@settings(max_examples=200)
@given(st.text(max_size=40))
def test_normalize_never_crashes_otherwise(raw: str) -> None:
    try:
        out = normalize_e164(raw)
    except ValueError:
        return
    assert out.startswith("+") and out[1:].isdigit() and 8 <= len(out) - 1 <= 15


def test_seal_and_open() -> None:
    sealer = Sealer.from_env({"SEALING_KEY": KEY})
    token = sealer.seal("+19165550123", context="conv-key-1")
    assert "9165550123" not in token and "+1916" not in token
    assert sealer.seal("+19165550123", context="conv-key-1") != token  # fresh nonce each time
    assert sealer.open(token, context="conv-key-1") == "+19165550123"


def test_sealed_value_is_bound_to_its_context_and_key() -> None:
    sealer = Sealer.from_env({"SEALING_KEY": KEY})
    token = sealer.seal("+19165550123", context="a")
    with pytest.raises(SealedDataError):
        sealer.open(token, context="b")
    with pytest.raises(SealedDataError, match="not configured"):
        Sealer.from_env({"SEALING_KEY": generate_key()}).open(token, context="a")
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[-1] ^= 1
    with pytest.raises(SealedDataError):
        sealer.open(base64.urlsafe_b64encode(bytes(raw)).decode(), context="a")
    for junk in ["", "abc", "%%%", "é", token[:10]]:
        with pytest.raises(SealedDataError):
            sealer.open(junk, context="a")


def test_key_rotation_first_key_seals_all_keys_open() -> None:
    old = Sealer.from_env({"SEALING_KEY": KEY})
    token = old.seal("+19165550123")
    new_key = generate_key()
    rotated = Sealer.from_env({"SEALING_KEY": f"{new_key}, {KEY}"})
    assert rotated.open(token) == "+19165550123"
    assert Sealer.from_env({"SEALING_KEY": new_key}).open(rotated.seal("x")) == "x"


def test_standard_base64_keys_work_too() -> None:
    raw = base64.urlsafe_b64decode(KEY)
    sealer = Sealer.from_env({"SEALING_KEY": base64.b64encode(raw).decode()})
    assert Sealer.from_env({"SEALING_KEY": KEY}).open(sealer.seal("x")) == "x"


@pytest.mark.parametrize(("value", "message"), [
    ("", "SEALING_KEY is not set"), ("   ", "SEALING_KEY is not set"), ("not-a-key", "not 32 bytes"),
    (base64.urlsafe_b64encode(b"k" * 16).decode(), "not 32 bytes"), (f"{KEY},short", "key #2"),
])
def test_missing_or_malformed_key_is_a_clear_error(value: str, message: str) -> None:
    with pytest.raises(SealingConfigError, match=message) as info:
        Sealer.from_env({"SEALING_KEY": value})
    assert value.strip() == "" or value.split(",")[-1] not in str(info.value)


@settings(max_examples=100)
@given(st.text(max_size=200), st.text(max_size=40))
def test_round_trip_any_text(plaintext: str, context: str) -> None:
    sealer = Sealer.from_env({"SEALING_KEY": KEY})
    assert sealer.open(sealer.seal(plaintext, context), context) == plaintext
