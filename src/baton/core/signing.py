"""Signatures of outgoing webhooks: HMAC-SHA256 over ``"{timestamp}.{body}"`` (pure: no I/O, no clock).

Baton sends every webhook with the headers

    X-Baton-Timestamp: 1795420800                    (Unix seconds when the request was signed)
    X-Baton-Signature: sha256=<hex HMAC-SHA256 of "{timestamp}.{body}" keyed with the endpoint's secret>

A receiver recomputes the HMAC over the exact bytes it received and the timestamp header as sent, compares
in constant time, and refuses timestamps further than ``tolerance`` seconds from its own clock (replays).
``signature_valid`` does all of that; docs/notifications.md shows a stand-alone receiver.
"""

import hashlib
import hmac
from datetime import datetime

SCHEME = "sha256"
DEFAULT_TOLERANCE = 300  # seconds either side of the receiver's clock


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def _timestamp_text(timestamp: int | str) -> str | None:
    """The timestamp as it goes into the signed string: decimal digits only (no sign, spaces or dots)."""
    if isinstance(timestamp, bool):
        return None
    if isinstance(timestamp, int):
        return str(timestamp) if timestamp >= 0 else None
    if isinstance(timestamp, bytes):
        timestamp = timestamp.decode("ascii", "replace")
    if isinstance(timestamp, str) and timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 15:
        return timestamp
    return None


def signed_content(timestamp: int | str, body: bytes | str) -> bytes:
    text = _timestamp_text(timestamp)
    if text is None:
        raise ValueError(f"not a Unix timestamp: {timestamp!r}")
    return text.encode() + b"." + _bytes(body)


def signature(secret: str | bytes, timestamp: int | str, body: bytes | str) -> str:
    """The hex HMAC-SHA256 of ``"{timestamp}.{body}"``."""
    return hmac.new(_bytes(secret), signed_content(timestamp, body), hashlib.sha256).hexdigest()


def signature_header(secret: str | bytes, timestamp: int | str, body: bytes | str) -> str:
    """The value of ``X-Baton-Signature``: ``sha256=<hex>``."""
    return f"{SCHEME}={signature(secret, timestamp, body)}"


def signature_valid(
    secret: str | bytes,
    timestamp: int | str,
    body: bytes | str,
    header: str | None,
    now: datetime | int | float,
    tolerance: int = DEFAULT_TOLERANCE,
) -> bool:
    """Is ``header`` (the X-Baton-Signature value) a valid signature of ``body`` sent at ``timestamp``?

    ``timestamp`` is the X-Baton-Timestamp header as received; ``now`` the receiver's time (an aware
    datetime or Unix seconds). False when the timestamp is malformed or more than ``tolerance`` seconds
    away from ``now``, when the header is malformed, or when no ``sha256=`` value in it (several may be
    given, comma-separated) matches. The comparison is constant-time.
    """
    text = _timestamp_text(timestamp)
    if text is None or not isinstance(header, str) or not secret:
        return False
    now_seconds = now.timestamp() if isinstance(now, datetime) else float(now)
    if abs(now_seconds - int(text)) > tolerance:
        return False
    expected = signature(secret, text, body).encode()
    valid = False
    for part in header.split(","):
        scheme, sep, value = part.strip().partition("=")
        if sep and scheme == SCHEME:
            # Every candidate is compared (no early exit), each in constant time.
            valid |= hmac.compare_digest(expected, value.strip().lower().encode("ascii", "replace"))
    return valid
