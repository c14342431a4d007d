"""The import page: upload, live progress, outcome, rejects download; roles and bad input."""

import time

import pytest

from baton.imports.models import ImportJob
from baton.leads.models import Lead
from baton.org.services import team_create, user_create

CSV = "name,email,company\nAnn Lee,ann@acme.io,Acme\nBo,not-an-email,Zed\n张伟,zw@foo.cn,Foo\n"


@pytest.mark.django_db(transaction=True)
def test_upload_watch_and_download_the_rejects(client, tmp_path):
    team = team_create("Inbound", "sdr_inbound")
    user_create("sdr", None, roles=["sdr_inbound"], team=team)
    ops = user_create("ops", None, roles=["ops_admin"])
    client.force_login(ops)
    assert client.get("/imports/").status_code == 200
    path = tmp_path / "leads.csv"
    path.write_text(CSV, encoding="utf-8")
    with path.open("rb") as f:
        r = client.post("/imports/", {"file": f, "mapping": "baton", "assign": "route"})
    assert r.status_code == 302, r.content[:500]
    url = r["Location"]
    for _ in range(100):  # the import runs in the background; the page polls
        part = client.get(url, headers={"HX-Request": "true"})
        if b"every 1s" not in part.content:
            break
        time.sleep(0.1)
    job = ImportJob.objects.get()
    assert (job.status, job.imported, job.rejected) == ("done", 2, 1)
    assert b"download the rejected rows" in part.content
    rejects = client.get(f"/imports/{job.pk}/rejects/")
    assert rejects.status_code == 200
    assert b"not-an-email" in b"".join(rejects.streaming_content)
    assert Lead.objects.count() == 2


@pytest.mark.django_db
def test_refusals(client, tmp_path):
    sdr = user_create("sdr", None, roles=["sdr_inbound"])
    ops = user_create("ops", None, roles=["ops_admin"])
    client.force_login(sdr)
    assert client.get("/imports/").status_code == 403
    client.force_login(ops)
    assert client.post("/imports/", {"mapping": "baton"}).status_code == 422
    path = tmp_path / "x.csv"
    path.write_text(CSV)
    with path.open("rb") as f:
        assert client.post("/imports/", {"file": f, "mapping": "/etc/passwd"}).status_code == 422
    assert client.get("/imports/999/").status_code == 404
    assert ImportJob.objects.count() == 0
