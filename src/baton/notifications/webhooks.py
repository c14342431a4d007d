"""The webhook channel's transport: which URLs may be called, the JSON body, one signed POST.

Each request carries ``X-Baton-Event``, ``X-Baton-Delivery`` (the outbox message's id, the same on every
retry), ``X-Baton-Timestamp`` (Unix seconds when signed) and ``X-Baton-Signature: sha256=<hex>`` (HMAC-
SHA256 of ``"{timestamp}.{body}"`` with the endpoint's secret; ``baton.core.signing``). Redirects are not
followed. Loopback, private and link-local addresses are refused unless settings.BATON
["WEBHOOK_ALLOW_PRIVATE"] (BATON_WEBHOOK_ALLOW_PRIVATE=1) allows them; the host is resolved again before
every request.
"""

import json
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from baton.core import outbox as rules
from baton.core import signing
from baton.core.errors import InvalidInput

USER_AGENT = "Baton-Webhooks/1"
EXCERPT_MAX = 1000
ERROR_MAX = 1000
SECRET_PREFIX = "whsec_"  # noqa: S105  (a prefix, not a secret)


@dataclass(frozen=True, slots=True)
class Attempt:
    result: str  # rules.DELIVERED, RETRY or FAILED
    status_code: int | None = None
    duration_ms: int = 0
    response_excerpt: str = ""
    error: str = ""


def allow_private() -> bool:
    return bool(settings.BATON.get("WEBHOOK_ALLOW_PRIVATE", False))


def timeout() -> float:
    return float(settings.BATON.get("WEBHOOK_TIMEOUT", 5.0))


def _addresses(host: str, port: int) -> list[str]:
    literal = rules.host_literal_address(host)
    if literal is not None:
        return [literal]
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def address_refusal(url: str) -> str | None:
    """Why this URL may not be called now (its host is not public and private ones are not allowed), or
    None. Raises OSError when the host name does not resolve."""
    if allow_private():
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for address in _addresses(host, port):
        if not rules.address_is_public(address):
            return (
                f"{host} is {address}, a loopback, private or reserved address; webhooks go to public "
                "addresses only (BATON_WEBHOOK_ALLOW_PRIVATE=1 allows others)"
            )
    return None


def url_clean(url: str) -> str:
    """A webhook URL ready to store, or InvalidInput saying what is wrong with it."""
    problem = rules.url_problem(url)
    if problem:
        raise InvalidInput(f"url: {problem}", details={"fields": {"url": problem}})
    url = url.strip()
    try:
        refusal = address_refusal(url)
    except OSError:
        host = urlsplit(url).hostname
        message = f"the host name {host!r} does not resolve"
        raise InvalidInput(f"url: {message}", details={"fields": {"url": message}})
    if refusal:
        raise InvalidInput(f"url: {refusal}", details={"fields": {"url": refusal}})
    return url


def body_text(payload: dict) -> str:
    """The JSON text sent (and kept in the outbox, so every retry sends the same bytes)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)


def _excerpt(response: httpx.Response) -> str:
    data = b""
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) >= EXCERPT_MAX * 4:
            break
    text = data.decode(response.encoding or "utf-8", errors="replace")
    return text if len(text) <= EXCERPT_MAX else text[: EXCERPT_MAX - 1] + "…"


def _cut(text: str) -> str:
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"


def post(client: httpx.Client, *, url: str, secret: str, event: str, delivery_id: str, body: str,
         timestamp: int) -> Attempt:  # fmt: skip
    """POST one signed event. Never raises for network trouble: the outcome says what happened."""
    try:
        refusal = address_refusal(url)
    except OSError as exc:
        return Attempt(rules.RETRY, error=_cut(f"cannot resolve {urlsplit(url).hostname}: {exc}"))
    if refusal:
        return Attempt(rules.FAILED, error=refusal)
    data = body.encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Baton-Event": event,
        "X-Baton-Delivery": delivery_id,
        "X-Baton-Timestamp": str(timestamp),
        "X-Baton-Signature": signing.signature_header(secret, timestamp, data),
    }
    started = time.perf_counter()
    try:
        request = client.build_request("POST", url, content=data, headers=headers)
        response = client.send(request, stream=True, follow_redirects=False)
        try:
            excerpt = _excerpt(response)
        finally:
            response.close()
    except httpx.TimeoutException as exc:
        elapsed = int((time.perf_counter() - started) * 1000)
        return Attempt(
            rules.RETRY,
            duration_ms=elapsed,
            error=_cut(f"timed out after {timeout():g} s ({type(exc).__name__})"),
        )
    except httpx.HTTPError as exc:
        elapsed = int((time.perf_counter() - started) * 1000)
        return Attempt(rules.RETRY, duration_ms=elapsed, error=_cut(f"{type(exc).__name__}: {exc}"))
    elapsed = int((time.perf_counter() - started) * 1000)
    result = rules.http_outcome(response.status_code)
    error = ""
    if result != rules.DELIVERED:
        error = f"HTTP {response.status_code}"
        if 300 <= response.status_code < 400:
            error += " (redirects are not followed: configure the final URL)"
    return Attempt(result, response.status_code, elapsed, excerpt, error)


def client() -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(timeout()), headers={"User-Agent": USER_AGENT}, trust_env=False)
