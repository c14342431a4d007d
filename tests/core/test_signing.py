"""Webhook signatures (core.signing): any body and secret round-trip; any change is caught."""

import hashlib
import hmac
from datetime import UTC, datetime

from hypothesis import assume, given
from hypothesis import strategies as st

from baton.core.signing import signature, signature_header, signature_valid

NOW = 1_795_420_800  # 2026-11-23T08:00:00Z
secrets = st.text(min_size=1, max_size=80)
bodies = st.binary(max_size=2000)
timestamps = st.integers(0, 10**11)


@given(secret=secrets, body=bodies, ts=timestamps)
def test_a_signature_round_trips(secret, body, ts):
    header = signature_header(secret, ts, body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert signature_valid(secret, str(ts), body, header, now=ts)
    assert signature_valid(secret, ts, body, header, now=ts + 300)
    assert signature_valid(secret, ts, body, header.upper().replace("SHA256=", "sha256="), now=ts)


@given(secret=secrets, body=st.text(max_size=500))
def test_text_bodies_are_signed_as_utf8(secret, body):
    header = signature_header(secret, NOW, body)
    assert signature_valid(secret, NOW, body.encode(), header, now=NOW)


@given(secret=secrets, body=bodies)
def test_it_is_the_documented_hmac(secret, body):
    expected = hmac.new(secret.encode(), f"{NOW}.".encode() + body, hashlib.sha256).hexdigest()
    assert signature(secret, NOW, body) == expected


@given(secret=secrets, body=bodies, other=bodies)
def test_a_tampered_body_fails(secret, body, other):
    assume(other != body)
    header = signature_header(secret, NOW, body)
    assert not signature_valid(secret, NOW, other, header, now=NOW)


@given(secret=secrets, body=bodies, shift=st.integers(1, 250))
def test_a_tampered_timestamp_fails(secret, body, shift):
    header = signature_header(secret, NOW, body)
    assert not signature_valid(secret, NOW + shift, body, header, now=NOW)
    assert not signature_valid(secret, f"0{NOW}", body, header, now=NOW)


@given(secret=secrets, other=secrets, body=bodies)
def test_another_secret_fails(secret, other, body):
    assume(other != secret)
    assert not signature_valid(other, NOW, body, signature_header(secret, NOW, body), now=NOW)


@given(secret=secrets, body=bodies, age=st.integers(301, 10**6))
def test_old_and_future_timestamps_fail(secret, body, age):
    header = signature_header(secret, NOW, body)
    assert not signature_valid(secret, NOW, body, header, now=NOW + age)
    assert not signature_valid(secret, NOW, body, header, now=NOW - age)
    assert signature_valid(secret, NOW, body, header, now=NOW + age, tolerance=age)


def test_now_may_be_an_aware_datetime():
    header = signature_header("k", NOW, b"{}")
    assert signature_valid("k", NOW, b"{}", header, now=datetime.fromtimestamp(NOW + 10, UTC))
    assert not signature_valid("k", NOW, b"{}", header, now=datetime.fromtimestamp(NOW + 301, UTC))


def test_malformed_input_is_simply_invalid():
    header = signature_header("k", NOW, b"{}")
    for ts in ("", " 1795420800", "-1", "1.5", "1e9", "abc", None, True, -5):
        assert not signature_valid("k", ts, b"{}", header, now=NOW)
    for bad in (None, "", "sha256=", "md5=" + header[7:], header[7:], "sha256=zz", 42):
        assert not signature_valid("k", NOW, b"{}", bad, now=NOW)
    assert not signature_valid("", NOW, b"{}", signature_header("x", NOW, b"{}"), now=NOW)


def test_one_of_several_signatures_may_match():
    good = signature_header("new", NOW, b"{}")
    assert signature_valid("new", NOW, b"{}", f"sha256={'0' * 64}, {good}", now=NOW)
    assert not signature_valid("new", NOW, b"{}", f"sha256={'0' * 64}", now=NOW)
