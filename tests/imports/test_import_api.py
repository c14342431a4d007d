"""POST /api/v1/imports/leads and friends: the same importer, with roles and clear errors."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from baton.imports.models import ImportJob
from baton.leads.models import Lead
from baton.org.services import team_create, token_create, user_create


@pytest.fixture
def people(db):
    inbound = team_create("Inbound", "sdr_inbound")
    return {
        "ops": user_create("ops", None, roles=["ops_admin"]),
        "marketer": user_create("mkt", None, roles=["marketer"]),
        "sdr": user_create("sdr", None, roles=["sdr_inbound"], team=inbound),
    }


def upload(user, content: bytes, name="leads.csv", token=True, **form):
    client = Client()
    headers = {"Authorization": f"Bearer {token_create(user)}"} if token else {}
    data = {"file": SimpleUploadedFile(name, content, content_type="text/csv"), **form}
    return client.post("/api/v1/imports/leads", data, headers=headers)


def csv_bytes(rows, header=("name", "email", "company")) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def test_a_marketer_imports_a_file_and_reads_the_job_and_its_rejects(people):
    content = csv_bytes([["Ann Lee", "ann@acme.io", "Acme"], ["", "x@y.io", "Y"], ["Bo", "bad", "Z"]])
    r = upload(people["marketer"], content)
    assert r.status_code == 201, r.content
    job = r.json()
    assert (job["status"], job["rows"], job["imported"], job["rejected"]) == ("done", 3, 1, 2)
    assert Lead.objects.get().owner.username == "sdr"  # routed
    client, token = Client(), token_create(people["marketer"])
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/imports/{job['id']}", headers=auth).json()["imported"] == 1
    rejects = client.get(f"/api/v1/imports/{job['id']}/rejects", headers=auth)
    assert rejects.status_code == 200
    text = b"".join(rejects.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["line"], r["email"]) for r in rows] == [("3", "x@y.io"), ("4", "bad")]
    assert [j["id"] for j in client.get("/api/v1/imports", headers=auth).json()] == [job["id"]]


def test_dry_run_and_an_uploaded_mapping(people):
    toml = '[columns]\n"Full Name" = "name"\n"Mail" = "email"\n'
    content = csv_bytes([["Ann Lee", "ann@acme.io"]], header=("Full Name", "Mail"))
    r = upload(people["ops"], content, mapping_toml=toml, dry_run="true")
    assert r.status_code == 201, r.content
    assert (r.json()["status"], r.json()["imported"]) == ("dry_run", 1)
    assert Lead.objects.count() == 0


@pytest.mark.parametrize(
    ("form", "status", "words"),
    [
        ({"mapping": "/etc/passwd"}, 422, "unknown mapping"),
        ({"mapping_toml": "[columns]\n'Name' = 'nonsense'"}, 422, "nonsense"),
        ({"assign": "everyone"}, 422, "unknown assign"),
    ],
)
def test_bad_options_are_refused_clearly_and_nothing_starts(people, form, status, words):
    r = upload(people["ops"], csv_bytes([["Ann", "a@b.io", "B"]]), **form)
    assert r.status_code == status, r.content
    assert words in r.json()["detail"]
    assert ImportJob.objects.count() == 0 and Lead.objects.count() == 0


def test_empty_files_wrong_roles_and_missing_tokens(people):
    r = upload(people["ops"], b"")
    assert r.status_code == 422 and "empty" in r.json()["detail"]
    assert upload(people["sdr"], csv_bytes([["Ann", "a@b.io", "B"]])).status_code == 403
    assert upload(people["ops"], csv_bytes([["Ann", "a@b.io", "B"]]), token=False).status_code == 401
    assert Lead.objects.count() == 0


def test_others_imports_are_invisible(people):
    job = upload(people["marketer"], csv_bytes([["Ann", "a@b.io", "B"]])).json()
    other = user_create("mkt2", None, roles=["marketer"])
    auth = {"Authorization": f"Bearer {token_create(other)}"}
    assert Client().get(f"/api/v1/imports/{job['id']}", headers=auth).status_code == 404
    admin = {"Authorization": f"Bearer {token_create(people['ops'])}"}
    assert Client().get(f"/api/v1/imports/{job['id']}", headers=admin).status_code == 200
