"""`baton notify deliver [--at ISO]`: one run of the outbox."""

import json
from datetime import timedelta

import pytest

from baton.cli import main
from baton.notifications import services
from baton.notifications.services import notification_send

from .conftest import T0

pytestmark = pytest.mark.django_db


def test_notify_deliver_runs_the_outbox_once_as_of_an_instant(org, receiver, frozen, capsys, settings):
    settings.EMAIL_HOST = ""
    services.webhook_create(org.admin, name="CRM", url=receiver.url, events=["*"])
    receiver.script.append((503, b""))
    notification_send(org.ae, "handoff_received", {"sdr": "S", "lead": "L", "due": "d"})

    assert main(["notify", "deliver", "--at", T0.isoformat()]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out == {
        "at": T0.isoformat(),
        "delivered": 0,
        "retried": 1,
        "failed": 0,
        "deferred": 0,
        "email_enabled": False,
    }
    assert "BATON_SMTP_HOST" in captured.err

    assert main(["notify", "deliver", "--at", (T0 + timedelta(minutes=1)).isoformat()]) == 0
    assert json.loads(capsys.readouterr().out)["delivered"] == 1
    assert len(receiver.requests) == 2


def test_notify_deliver_refuses_a_bad_instant(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["notify", "deliver", "--at", "tomorrow"])
    assert exc.value.code == 2 and "not an ISO 8601 time" in capsys.readouterr().err
