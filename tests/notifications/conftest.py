"""Fixtures of the notification-channel tests: a small organisation, a real SMTP server (aiosmtpd) and a
real HTTP receiver (ThreadingHTTPServer) on loopback, a frozen clock. Nothing is mocked."""

import contextlib
import email
import email.policy
import json
import socket
import threading
from collections import deque
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from api_client import Api
from django.test import Client

from baton import clock
from baton.org.services import team_create, token_create, user_create

PASSWORD = "correct-horse-battery"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def frozen():
    clock.set_frozen(T0)
    yield T0
    clock.set_frozen(None)


@pytest.fixture
def org(db):
    inbound = team_create("Inbound SDR", "sdr_inbound")
    sales = team_create("Sales East", "sales", region="East", timezone="Asia/Shanghai")
    director = user_create("diana", PASSWORD, roles=["sales_director"], team=sales, display_name="Diana Director",
                           email="diana@example.com")  # fmt: skip
    return SimpleNamespace(
        admin=user_create("root", PASSWORD, roles=["ops_admin"], display_name="Ops Admin", email="ops@example.com"),
        sdr=user_create("sam", PASSWORD, roles=["sdr_inbound"], team=inbound, display_name="Sam SDR",
                        email="sam@example.com"),
        ae=user_create("alex", PASSWORD, roles=["ae"], team=sales, manager=director, display_name="Alex AE",
                       email="alex@example.com"),
        director=director,
        marketer=user_create("mia", PASSWORD, roles=["marketer"], display_name="Mia Marketing"),
    )  # fmt: skip


@pytest.fixture
def api_as(org):
    def make(username: str | None) -> Api:
        return Api(token_create(getattr(org, username)) if username else None)

    return make


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- A real SMTP server ---------------------------------------------------------------------------


class Inbox:
    """What the SMTP server received: parsed messages, in order."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse_next = 0  # answer the next N messages with a temporary failure (451)

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_next:
            self.refuse_next -= 1
            return "451 4.3.0 try again later"
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        return "250 OK"


def subject(message) -> str:
    # Django folds a long encoded subject after "Subject:"; unfolded, that leaves a leading space.
    return str(message["Subject"]).strip()


def plain(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def _smtp(settings, inbox: Inbox, **server_kwargs):
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **server_kwargs)
    controller.start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "Baton <baton@example.com>"
    return controller


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = _smtp(settings, inbox)
    yield inbox
    controller.stop()


SMTP_USER, SMTP_PASSWORD = "baton", "s3cret-smtp-passw0rd"


@pytest.fixture
def smtp_with_auth(settings):
    """An SMTP server that wants a login and refuses every password."""
    inbox = Inbox()

    def authenticator(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=False, handled=False)

    controller = _smtp(settings, inbox, authenticator=authenticator, auth_require_tls=False)
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = SMTP_USER, SMTP_PASSWORD
    yield inbox
    controller.stop()


# --- A real HTTP receiver -------------------------------------------------------------------------


class Receiver:
    """An HTTP server on loopback that records each POST and answers from a script (default 200)."""

    def __init__(self):
        self.requests: list[SimpleNamespace] = []
        self.script: deque = deque()  # (status, body) or "hang"
        self.release = threading.Event()  # a "hang" answer waits for this (the client times out first)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append(
                    SimpleNamespace(
                        path=self.path, headers={k.lower(): v for k, v in self.headers.items()}, body=body
                    )
                )
                answer = receiver.script.popleft() if receiver.script else (200, b'{"ok":true}')
                if answer == "hang":
                    receiver.release.wait(10)
                    answer = (200, b"too late")
                status, payload = answer
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the client gave up (a timeout test)
                    self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/baton"

    def json(self, i: int = -1) -> dict:
        return json.loads(self.requests[i].body)

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def allow_private(settings):
    settings.BATON = {**settings.BATON, "WEBHOOK_ALLOW_PRIVATE": True, "WEBHOOK_TIMEOUT": 2.0}


@pytest.fixture
def receiver(allow_private):
    r = Receiver()
    yield r
    r.close()
