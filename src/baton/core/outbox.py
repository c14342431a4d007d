"""Outbox rules (pure): the retry schedule, what an HTTP answer means, which webhook URLs are acceptable.

An outbound message (an e-mail, a webhook call) is tried when it is due. A failure that may pass (a 5xx,
a timeout, a refused connection, an SMTP error) is tried again after 1 minute, 5 minutes, 30 minutes and
2 hours; after the fifth failed attempt the message is failed for good. A failure that will not pass by
trying again (a 4xx other than 408 and 429, a refused URL) fails at once.
"""

import ipaddress
from datetime import datetime, timedelta
from urllib.parse import urlsplit

RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1

DELIVERED, RETRY, FAILED = "delivered", "retry", "failed"
RETRYABLE_4XX = frozenset({408, 429})

URL_MAX = 500


def next_attempt_at(attempts: int, at: datetime) -> datetime | None:
    """After ``attempts`` failed attempts (the latest at ``at``), when to try again; None: give up."""
    if attempts < 1:
        return at
    if attempts > len(RETRY_DELAYS):
        return None
    return at + RETRY_DELAYS[attempts - 1]


def http_outcome(status: int) -> str:
    """2xx: delivered. 408, 429 and 5xx: try again. Anything else (redirects are not followed): failed."""
    if 200 <= status < 300:
        return DELIVERED
    if status in RETRYABLE_4XX or 500 <= status < 600:
        return RETRY
    return FAILED


def after_failure(outcome: str, attempts: int, at: datetime) -> tuple[str, datetime | None]:
    """The message's next state after a failed attempt: ("pending", when) or ("failed", None)."""
    if outcome == RETRY:
        when = next_attempt_at(attempts, at)
        if when is not None:
            return "pending", when
    return "failed", None


def address_is_public(address: str) -> bool:
    """Is this IP address a public, routable unicast address (not loopback, private, link-local…)?"""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def url_problem(url: str) -> str | None:
    """What is wrong with a webhook URL, or None. Only the URL's shape: the caller resolves the host."""
    if not isinstance(url, str) or not url.strip():
        return "a URL is required"
    url = url.strip()
    if len(url) > URL_MAX:
        return f"the URL is longer than {URL_MAX} characters"
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "the URL contains spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return f"only http and https URLs are allowed, not {parts.scheme or 'a URL without a scheme'!r}"
    if not parts.hostname:
        return "the URL has no host name"
    if parts.username is not None or parts.password is not None:
        return "the URL must not contain a user name or password; Baton signs each request instead"
    if parts.fragment:
        return "the URL must not contain a #fragment"
    if port == 0:
        return "port 0 is not a valid port"
    return None


def host_literal_address(host: str) -> str | None:
    """The IP address when the URL's host is written as one (``127.0.0.1``, ``[::1]``), else None."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None
