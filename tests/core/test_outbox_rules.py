"""Outbox rules (core.outbox): the retry schedule, HTTP outcomes, acceptable webhook URLs."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baton.core import outbox as o

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_the_retry_schedule_is_1_5_30_120_minutes_then_give_up():
    waits = [o.next_attempt_at(n, AT) for n in range(1, 6)]
    assert waits[:4] == [AT + timedelta(minutes=m) for m in (1, 5, 30, 120)]
    assert waits[4] is None
    assert o.MAX_ATTEMPTS == 5


@given(st.integers(100, 599))
def test_every_status_has_one_outcome(status):
    outcome = o.http_outcome(status)
    if 200 <= status < 300:
        assert outcome == o.DELIVERED
    elif status in (408, 429) or status >= 500:
        assert outcome == o.RETRY
    else:
        assert outcome == o.FAILED


def test_after_a_failure():
    assert o.after_failure(o.RETRY, 1, AT) == ("pending", AT + timedelta(minutes=1))
    assert o.after_failure(o.RETRY, 5, AT) == ("failed", None)
    assert o.after_failure(o.FAILED, 1, AT) == ("failed", None)


@pytest.mark.parametrize(
    ("address", "public"),
    [("8.8.8.8", True), ("2001:4860:4860::8888", True), ("127.0.0.1", False), ("::1", False),
     ("10.1.2.3", False), ("192.168.0.1", False), ("172.16.5.4", False), ("169.254.169.254", False),
     ("100.64.0.1", False), ("0.0.0.0", False), ("::ffff:127.0.0.1", False),  # noqa: S104
     ("fe80::1%eth0", False),
     ("224.0.0.1", False), ("fc00::1", False), ("not-an-ip", False)],
)  # fmt: skip
def test_public_addresses(address, public):
    assert o.address_is_public(address) is public


@pytest.mark.parametrize(
    ("url", "problem"),
    [("https://hooks.example.com/baton", None), ("http://127.0.0.1:8080/x?y=1", None),
     ("ftp://example.com/", "only http and https"), ("file:///etc/passwd", "only http and https"),
     ("javascript:alert(1)", "only http and https"), ("example.com/hook", "only http and https"),
     ("https://", "no host name"), ("https://user:pw@example.com/", "user name or password"),
     ("https://example.com/a b", "spaces"), ("", "required"), ("https://example.com/#x", "fragment"),
     ("https://example.com:99999/", "not a valid URL"), ("https://example.com/" + "a" * 600, "longer than")],
)  # fmt: skip
def test_url_problems(url, problem):
    found = o.url_problem(url)
    if problem is None:
        assert found is None
    else:
        assert problem in found
