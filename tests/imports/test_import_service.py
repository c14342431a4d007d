"""The importer: every row accounted for, all or nothing, idempotent, routed in bulk."""

import csv
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from baton import clock
from baton.core.errors import InvalidInput
from baton.imports import prepare, services
from baton.imports.models import ImportJob
from baton.imports.services import import_leads
from baton.leads.models import Lead, LeadEvent
from baton.notifications.models import Notification
from baton.org.services import team_create, user_create
from baton.routing.models import RoutingDecision
from baton.scoring.models import ScoreSnapshot

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HEADER = ["name", "email", "phone", "company", "title", "source", "external_id", "created_at"]


@pytest.fixture(autouse=True)
def _now():
    clock.set_frozen(NOW)
    yield
    clock.set_frozen(None)


def write_csv(path: Path, rows: list[list[str]], header=HEADER, encoding="utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def good(i: int, **over) -> list[str]:
    row = {"name": f"Person {i}", "email": f"p{i}@firm{i % 3}.com", "phone": "", "company": f"Firm {i % 3}",
           "title": "CTO", "source": "seo", "external_id": f"X{i}", "created_at": "2026-01-15"}  # fmt: skip
    row.update(over)
    return [row[h] for h in HEADER]


def rejects(job: ImportJob) -> list[dict]:
    with open(job.rejects_file, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.django_db
def test_every_row_is_imported_or_rejected_with_its_line_and_reason(tmp_path):
    path = write_csv(tmp_path / "leads.csv", [
        good(1), good(2, email="not an e-mail"), good(3, name=""), good(4, created_at="2027-01-01"),
        good(5, source="carrier pigeon"), good(6, created_at="yesterday"), good(7),
    ])  # fmt: skip
    job = import_leads(path, mapping="baton", assign="pool")
    assert (job.status, job.rows, job.imported, job.rejected) == ("done", 7, 3, 4)
    lines = {int(r["line"]): r["reason"] for r in rejects(job)}
    assert set(lines) == {3, 4, 5, 7}
    assert "email" in lines[3] and "no name" in lines[4]
    assert "in the future" in lines[5] and "not a date" in lines[7]
    assert rejects(job)[0]["email"] == "not an e-mail"  # the original values travel with the reason
    lead = Lead.objects.get(external_id="X1")
    assert lead.created_at == datetime(2026, 1, 15, tzinfo=lead.created_at.tzinfo)
    assert lead.routed_at == NOW and lead.owner_id is None  # pool
    assert Lead.objects.get(external_id="X5").source == "other"  # unknown source: kept as detail
    assert Lead.objects.get(external_id="X5").source_detail == "carrier pigeon"
    assert LeadEvent.objects.filter(kind="imported").count() == 3


@pytest.mark.django_db
def test_running_the_same_file_again_creates_nothing_and_new_facts_merge(tmp_path):
    path = write_csv(tmp_path / "a.csv", [good(i) for i in range(5)])
    first = import_leads(path, mapping="baton", assign="pool")
    again = import_leads(path, mapping="baton", assign="pool")
    assert (first.imported, again.imported, again.unchanged) == (5, 0, 5)
    assert any("imported before" in w for w in again.warnings)
    # Same people found by e-mail (no external id), with a phone number they did not have.
    richer = write_csv(tmp_path / "b.csv", [good(i, external_id="", phone="13800138000") for i in range(5)])
    merged = import_leads(richer, mapping="baton", assign="pool")
    assert (merged.imported, merged.merged) == (0, 5)
    assert set(Lead.objects.values_list("phone", flat=True)) == {"+8613800138000"}
    event = LeadEvent.objects.filter(kind="import_merged").first()
    assert event.data["matched_by"] == "email" and event.data["filled"] == ["phone"]
    assert Lead.objects.count() == 5


@pytest.mark.django_db
def test_duplicates_inside_one_file_become_one_lead(tmp_path):
    path = write_csv(
        tmp_path / "d.csv", [good(1, external_id=""), good(1, external_id="", title="", phone="13800138000")]
    )
    job = import_leads(path, mapping="baton", assign="pool")
    assert (job.imported, job.merged) == (1, 1)
    assert Lead.objects.get().phone == "+8613800138000"


@pytest.mark.django_db
def test_a_dry_run_keeps_nothing_but_reports_everything(tmp_path):
    path = write_csv(tmp_path / "d.csv", [good(1), good(2, email="bad")])
    job = import_leads(path, mapping="baton", dry_run=True)
    assert (job.status, job.imported, job.rejected) == ("dry_run", 1, 1)
    assert Lead.objects.count() == 0 and LeadEvent.objects.count() == 0
    assert len(rejects(job)) == 1


@pytest.mark.django_db
def test_a_failure_half_way_rolls_back_every_row(tmp_path, monkeypatch):
    monkeypatch.setattr(prepare, "BATCH_ROWS", 2)
    calls = Counter()
    real = services._apply

    def failing(items, *args, **kwargs):
        calls["batches"] += 1
        if calls["batches"] == 2:
            raise OSError("disk full")
        return real(items, *args, **kwargs)

    monkeypatch.setattr(services, "_apply", failing)
    path = write_csv(tmp_path / "f.csv", [good(i) for i in range(5)] + [good(9, email="bad")])
    job = import_leads(path, mapping="baton", assign="pool")
    assert job.status == "failed" and "disk full" in job.error
    assert Lead.objects.count() == 0 and job.rejects_file == ""
    assert ImportJob.objects.get(pk=job.pk).status == "failed"


@pytest.mark.django_db
def test_new_leads_are_routed_round_robin_with_one_summary_per_sdr(tmp_path):
    team = team_create("Inbound", "sdr_inbound")
    sdrs = [user_create(f"sdr{i}", None, roles=["sdr_inbound"], team=team) for i in range(3)]
    path = write_csv(tmp_path / "r.csv", [good(i) for i in range(9)])
    job = import_leads(path, mapping="baton")
    assert job.imported == 9
    assert Counter(Lead.objects.values_list("owner_id", flat=True)) == {s.pk: 3 for s in sdrs}
    notes = Notification.objects.filter(verb="leads_imported")
    assert sorted((n.user_id, n.params["count"]) for n in notes) == [(s.pk, 3) for s in sdrs]
    assert not Notification.objects.filter(verb="lead_assigned").exists()
    # What capture would have written: a decision, a score snapshot, one timeline entry that explains both.
    lead = Lead.objects.order_by("pk").first()
    decision = RoutingDecision.objects.get(lead=lead)
    assert decision.chosen_id == lead.owner_id and "fewest assignments" in decision.explanation["why"]
    snap = ScoreSnapshot.objects.get(lead=lead)
    assert (snap.total, snap.grade, snap.trigger) == (lead.score, lead.grade, "imported") and lead.score > 0
    assert lead.score_version is not None and (snap.model_version, snap.band) == (
        lead.score_version,
        lead.score_band,
    )
    event = LeadEvent.objects.get(lead=lead)
    assert event.kind == "imported" and event.data["routing"]["decision_id"] == decision.pk
    assert event.data["score"] == {"total": lead.score, "grade": lead.grade}
    assert lead.account.name == "Firm 0" and lead.contact is None  # a contact comes with conversion


@pytest.mark.django_db
def test_chinese_headers_in_gbk(tmp_path):
    header = ["姓名", "公司", "职位", "手机", "邮箱", "来源"]
    path = write_csv(tmp_path / "cn.csv", [["王伟", "上海某某科技有限公司", "销售总监", "13800138000", "ww@mou.cn", "官网"]],
                     header=header, encoding="gbk")  # fmt: skip
    job = import_leads(path, mapping="chinese", assign="pool")
    assert (job.imported, job.rejected) == (1, 0)
    lead = Lead.objects.get()
    assert (lead.name, lead.phone, lead.title) == ("王伟", "+8613800138000", "销售总监")


@pytest.mark.django_db
def test_unusable_files_and_mappings_are_refused_before_anything_starts(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InvalidInput, match="empty"):
        import_leads(empty, mapping="baton")
    no_name = write_csv(tmp_path / "n.csv", [["x@y.com"]], header=["email"])
    with pytest.raises(InvalidInput, match="name"):
        import_leads(no_name, mapping="baton")
    with pytest.raises(InvalidInput, match="preset"):
        import_leads(write_csv(tmp_path / "ok.csv", [good(1)]), mapping="no-such-mapping")
    with pytest.raises(InvalidInput, match="assignment"):
        import_leads(write_csv(tmp_path / "ok2.csv", [good(1)]), mapping="baton", assign="everyone")
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db
def test_do_not_contact_columns_become_consent_records(tmp_path):
    from baton.consent.selectors import contact_decision

    header = [*HEADER, "do_not_email", "do_not_call"]
    path = write_csv(tmp_path / "dnc.csv", [[*good(1), "yes", "no"], [*good(2, phone="13800138000"), "", "是"]],
                     header=header)  # fmt: skip
    job = import_leads(path, mapping="baton", assign="pool")
    assert (job.imported, job.rejected) == (2, 0)
    assert contact_decision(email="p1@firm1.com", channel="email").allowed is False
    assert contact_decision(email="p1@firm1.com", channel="call").allowed is True
    assert contact_decision(phone="+8613800138000", channel="call").allowed is False


@pytest.mark.django_db
def test_tag_rules_run_on_imported_leads(tmp_path):
    from baton.tags.models import LeadTag
    from baton.tags.services import tag_create, tagrule_create

    admin = user_create("admin", None, roles=["ops_admin"])
    tag = tag_create("CTO", admin, colour="blue", kind="auto")
    tagrule_create(admin, name="CTOs", tag=tag.name, condition={"field": "title", "op": "eq", "value": "cto"})
    path = write_csv(tmp_path / "t.csv", [good(1), good(2, title="Engineer")])
    import_leads(path, mapping="baton", assign="pool")
    tagged = set(LeadTag.objects.values_list("lead__external_id", flat=True))
    assert tagged == {"X1"}


def _outcome(job: ImportJob) -> dict:
    leads = Lead.objects.order_by("pk")
    return {
        "job": (job.status, job.rows, job.imported, job.merged, job.unchanged, job.rejected),
        "leads": [(x.name, x.email, x.company, x.account.name if x.account else None,
                   x.account_match.get("method"), x.score, x.grade, x.owner_id is not None) for x in leads],
        "rejects": [(r["line"], r["reason"]) for r in rejects(job)] if job.rejects_file else [],
    }  # fmt: skip


def _mixed_rows(n: int) -> list[list[str]]:
    rows = []
    for i in range(n):
        if i % 7 == 3:
            rows.append(good(i, email="not an e-mail"))
        elif i % 5 == 4:
            rows.append(
                good(i - 2, name=f"Person {i - 2}", external_id=f"X{i}", title="VP Sales")
            )  # same e-mail
        else:
            rows.append(
                good(i, company=["Firm 0", "Firm 1 Ltd", "Firm 2", "Acme Robotics", "Acme Robotic"][i % 5])
            )
    return rows


@pytest.mark.django_db
def test_a_large_file_is_read_in_a_second_process_with_the_same_outcome(tmp_path, monkeypatch):
    team = team_create("Inbound", "sdr_inbound")
    for i in range(2):
        user_create(f"sdr{i}", None, roles=["sdr_inbound"], team=team)
    path = write_csv(tmp_path / "big.csv", _mixed_rows(60))
    serial = _outcome(import_leads(path, mapping="baton", assign="route"))
    Lead.objects.all().delete()
    from baton.leads.models import Account

    Account.objects.all().delete()
    monkeypatch.setattr(prepare, "PARALLEL_MIN_ROWS", 10)  # the importer starts the reading process
    calls = Counter()
    real = prepare.subprocess.Popen

    def counted(*args, **kwargs):
        calls["reader"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(prepare.subprocess, "Popen", counted)
    parallel = _outcome(import_leads(path, mapping="baton", assign="route"))
    assert calls["reader"] == 1
    assert serial["job"][0] == "done" and serial["job"][5] > 0
    assert {k: v for k, v in parallel.items() if k != "leads"} == {
        k: v for k, v in serial.items() if k != "leads"
    }
    # The same leads, matched to the same accounts the same way (owners differ: routing tallies moved on).
    assert [x[:7] for x in parallel["leads"]] == [x[:7] for x in serial["leads"]]


@pytest.mark.django_db
def test_when_the_reading_process_fails_the_job_fails_and_nothing_is_kept(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "gone.csv", _mixed_rows(30))
    monkeypatch.setattr(prepare, "PARALLEL_MIN_ROWS", 10)
    job = import_leads(path, mapping="baton", assign="pool", on_start=lambda job: path.unlink())
    assert job.status == "failed" and "reading the file failed" in job.error and "gone.csv" in job.error
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_what_one_batch_learns_holds_in_the_next(tmp_path, monkeypatch):
    """Batches of two rows: accounts created, matched by name, fuzzily, and colleagues found across batches."""
    monkeypatch.setattr(prepare, "BATCH_ROWS", 2)
    path = write_csv(tmp_path / "b.csv", [
        good(1, company="Acme Robotics Ltd", email="a@gmail.com"), good(2, company="Other", email="o@other.cn"),
        good(3, company="ACME Robotics", email="b@gmail.com"), good(4, company="Filler", email="f@filler.cn"),
        good(5, company="Acme Robotic", email="c@gmail.com"), good(6, name="Person 1", company="Acme Robotics",
                                                                    email="p1@gmail.com"),
    ])  # fmt: skip
    job = import_leads(path, mapping="baton", assign="pool")
    assert (job.status, job.imported) == ("done", 6)
    acme = [Lead.objects.get(email=e) for e in ("a@gmail.com", "b@gmail.com", "c@gmail.com", "p1@gmail.com")]
    assert len({x.account_id for x in acme}) == 1
    assert [x.account_match["method"] for x in acme] == ["new", "name", "fuzzy", "name"]
    from baton.leads.models import DuplicateCandidate

    pair = DuplicateCandidate.objects.get()
    assert (pair.lead_id, pair.other_id) == (acme[3].pk, acme[0].pk)


@pytest.mark.django_db
def test_a_merge_fills_only_empty_fields_and_a_filled_title_brings_its_seniority(tmp_path):
    first = write_csv(tmp_path / "a.csv", [good(1, title=""), good(2, title="CTO")])
    import_leads(first, mapping="baton", assign="pool")
    second = write_csv(
        tmp_path / "b.csv", [good(1, title="Head of Sales", company="Renamed"), good(2, title="CEO")]
    )
    job = import_leads(second, mapping="baton", assign="pool")
    assert (job.merged, job.unchanged, job.imported) == (1, 1, 0)
    one, two = Lead.objects.get(external_id="X1"), Lead.objects.get(external_id="X2")
    assert (one.title, one.seniority, one.company) == ("Head of Sales", "director", "Firm 1")
    assert (two.title, two.seniority) == ("CTO", "c_level")
    event = LeadEvent.objects.get(lead=one, kind="import_merged")
    assert event.data["filled"] == ["title", "seniority"] and event.data["matched_by"] == "external_id"
    # The filled title (and seniority) are read by the scoring rules: the lead was rescored.
    assert one.score_snapshots.filter(trigger="import_merged").exists()
