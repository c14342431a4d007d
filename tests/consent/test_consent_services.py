"""Consent services and selectors: recording, suppression, unsubscribe, decisions, bulk, fail closed."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import DatabaseError

from baton import clock
from baton.consent import selectors, services
from baton.consent.models import ContactPreference, DomainSuppression
from baton.core import consent as rules
from baton.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from baton.org.models import AuditLog, OrgSettings

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def decision(email=None, phone=None, channel="email", **kw):
    return selectors.contact_decision(email, phone, channel=channel, **kw)


# --- Recording preferences ---------------------------------------------------------------------


def test_a_preference_is_stored_normalised_and_audited(org):
    p = services.preference_record(email=" Wang.Wei@Example-Corp.CN ", phone="138 0013 8000", channel="email",
                                   state="opted_out", source="manual", actor=org.sdr, note="asked on the phone")  # fmt: skip
    p.refresh_from_db()
    assert (p.email, p.phone, p.recorded_by) == ("wang.wei@example-corp.cn", "+8613800138000", org.sdr)
    audit = AuditLog.objects.get(action="consent.preference_record")
    assert audit.actor == org.sdr and audit.object_id == str(p.pk)
    assert audit.data == {"email": p.email, "phone": p.phone, "channel": "email", "state": "opted_out",
                          "source": "manual"}  # fmt: skip


def test_history_is_append_only_and_the_latest_record_decides(org):
    with clock.travel_to(T0):
        services.preference_record(email="a@acme.com", channel="email", state="opted_out", actor=org.sdr)
    assert not decision("a@acme.com").allowed
    with clock.travel_to(T0 + timedelta(days=1)):
        services.preference_record(email="A@ACME.com", channel="email", state="opted_in", source="form")
    assert decision("a@acme.com").code == rules.CODE_OPTED_IN
    assert ContactPreference.objects.count() == 2
    # As of the first day the opt-out still stands.
    assert decision("a@acme.com", at=T0 + timedelta(hours=1)).code == rules.CODE_OPTED_OUT
    assert [p.state for p in selectors.preference_history("a@acme.com")] == ["opted_in", "opted_out"]


def test_an_opt_out_recorded_by_phone_applies_to_the_person_found_by_email_and_phone(org):
    services.preference_record(phone="+86 138 0013 8000", channel="all", state="opted_out", actor=org.ae)
    assert decision("li@acme.com").allowed  # another person
    both = decision("li@acme.com", "13800138000", channel="message")
    assert not both.allowed and both.code == rules.CODE_OPTED_OUT and "all channels" in both.reason


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-email", "channel": "email", "state": "opted_out"}, "email:"),
        ({"phone": "12", "channel": "email", "state": "opted_out"}, "phone:"),
        ({"email": "a@acme.com", "channel": "fax", "state": "opted_out"}, "unknown channel 'fax'"),
        ({"email": "a@acme.com", "channel": "email", "state": "maybe"}, "unknown state 'maybe'"),
        ({"channel": "email", "state": "opted_out"}, "an e-mail or a phone number is required"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(org, fields, message):
    with pytest.raises(InvalidInput, match=message):
        services.preference_record(actor=org.admin, **fields)
    assert not ContactPreference.objects.exists()


def test_anyone_may_record_an_opt_out_but_only_admins_and_marketers_an_opt_in(org):
    services.preference_record(email="a@acme.com", channel="call", state="opted_out", actor=org.sdr)
    for user in (org.sdr, org.ae):
        for state in ("opted_in", "unknown"):
            with pytest.raises(NotAllowed):
                services.preference_record(email="a@acme.com", channel="call", state=state, actor=user)
    services.preference_record(email="a@acme.com", channel="call", state="opted_in", actor=org.marketer)
    services.preference_record(email="a@acme.com", channel="call", state="unknown", actor=org.admin)
    assert decision("a@acme.com", channel="call").code == rules.LEGITIMATE_INTEREST


def test_bulk_recording_is_all_or_nothing_and_reports_every_bad_row(org):
    rows = [
        ("a@acme.com", None, "email", "opted_out", "import"),
        ("bad", None, "email", "opted_out", "import"),
        (None, "13800138000", "sms", "opted_out", "import"),
        ("c@acme.com", None, "email", "opted_out"),
    ]
    with pytest.raises(InvalidInput) as exc:
        services.preferences_record_bulk(rows, actor=org.admin)
    assert [r["row"] for r in exc.value.details["rejected"]] == [1, 2, 3]
    assert "unknown channel 'sms'" in exc.value.details["rejected"][1]["reason"]
    assert (
        not ContactPreference.objects.exists()
        and not AuditLog.objects.filter(action__startswith="consent").exists()
    )


def test_bulk_recording_uses_a_fixed_number_of_queries(org, django_assert_max_num_queries):
    rows = [(f"p{i}@acme{i % 7}.com", f"1380013{i:04d}", "email", "opted_out", "import") for i in range(300)]
    rows += [
        {"email": "m@acme.com", "channel": "all", "state": "opted_in", "source": "form", "note": "webinar"}
    ]
    OrgSettings.get()
    # settings, one INSERT per 500 rows, the audit record (and the savepoint of the transaction)
    with django_assert_max_num_queries(6):
        prefs = services.preferences_record_bulk(rows, actor=org.marketer)
    assert len(prefs) == 301 and all(p.pk for p in prefs)
    assert ContactPreference.objects.count() == 301
    audit = AuditLog.objects.get(action="consent.preferences_record_bulk")
    assert audit.data["count"] == 301 and audit.data["states"] == {"opted_out": 300, "opted_in": 1}
    assert not decision("p5@acme5.com").allowed and decision("m@acme.com", channel="call").allowed


# --- Domain suppression ------------------------------------------------------------------------


def test_a_suppressed_domain_blocks_every_channel_and_its_subdomains(org):
    row = services.domain_suppress("https://www.ACME.com/about", "their legal team asked", org.admin)
    assert row.domain == "acme.com" and row.active
    services.preference_record(email="li@acme.com", channel="all", state="opted_in", actor=org.marketer)
    for channel in rules.SEND_CHANNELS:
        d = decision("li@acme.com", channel=channel)
        assert not d.allowed and d.code == rules.DOMAIN_SUPPRESSED and "acme.com" in d.reason
    assert decision("x@sales.eu.acme.com").code == rules.DOMAIN_SUPPRESSED
    assert decision("x@notacme.com").allowed
    assert decision(phone="13800138000", channel="call").allowed  # no e-mail: no domain to check
    assert AuditLog.objects.filter(action="consent.domain_suppress", object_id=str(row.pk)).exists()


def test_suppressions_are_lifted_keeping_their_history(org):
    with clock.travel_to(T0):
        services.domain_suppress("acme.com", "competitor", org.admin)
    with clock.travel_to(T0 + timedelta(days=2)):
        lifted = services.domain_unsuppress("ACME.COM", org.admin)
    assert not lifted.active and lifted.removed_by == org.admin
    assert decision("li@acme.com").allowed
    assert decision("li@acme.com", at=T0 + timedelta(days=1)).code == rules.DOMAIN_SUPPRESSED
    assert decision("li@acme.com", at=T0 - timedelta(days=1)).allowed
    again = services.domain_suppress("acme.com", "competitor again", org.admin)
    assert DomainSuppression.objects.filter(domain="acme.com").count() == 2 and again.active
    assert list(selectors.suppressions()) == [again]
    assert AuditLog.objects.filter(action="consent.domain_unsuppress").count() == 1


def test_suppression_rules(org):
    services.domain_suppress("acme.com", "competitor", org.admin)
    with pytest.raises(Conflict, match="already suppressed"):
        services.domain_suppress("www.acme.com", "twice", org.admin)
    with pytest.raises(NotFound):
        services.domain_unsuppress("other.com", org.admin)
    with pytest.raises(InvalidInput, match="free-mail"):
        services.domain_suppress("qq.com", "spam", org.admin)
    with pytest.raises(InvalidInput, match="not a valid domain"):
        services.domain_suppress("not a domain", "x", org.admin)
    with pytest.raises(InvalidInput, match="reason"):
        services.domain_suppress("beta.com", "  ", org.admin)
    for user in (org.sdr, org.ae, org.marketer):
        with pytest.raises(NotAllowed):
            services.domain_suppress("beta.com", "no", user)
        with pytest.raises(NotAllowed):
            services.domain_unsuppress("acme.com", user)


def test_opt_in_requirements_come_from_the_settings(org):
    assert decision("a@acme.com", channel="call").code == rules.LEGITIMATE_INTEREST
    services.consent_settings_update(org.admin, opt_in_required=["call"])
    d = decision("a@acme.com", channel="call")
    assert not d.allowed and d.code == rules.OPT_IN_REQUIRED
    assert decision("a@acme.com", channel="email").allowed
    services.preference_record(email="a@acme.com", channel="call", state="opted_in", actor=org.marketer)
    assert decision("a@acme.com", channel="call").allowed
    with pytest.raises(NotAllowed):
        services.consent_settings_update(org.sdr, opt_in_required=[])
    with pytest.raises(InvalidInput):
        services.consent_settings_update(org.admin, opt_in_required=["fax"])
    assert AuditLog.objects.filter(action="consent.settings_update").count() == 1


# --- Unsubscribe links -------------------------------------------------------------------------


def test_an_unsubscribe_link_records_an_opt_out_once(org):
    url = services.unsubscribe_link("Wang.Wei@Example-Corp.cn", base_url="https://baton.example.com/")
    assert url.startswith("https://baton.example.com/unsubscribe/") and url.endswith("/")
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert services.unsubscribe_read(token) == ("wang.wei@example-corp.cn", "email")
    first = services.unsubscribe_apply(token)
    again = services.unsubscribe_apply(token)
    assert first.pk == again.pk and first.source == "unsubscribe_link" and first.recorded_by is None
    assert ContactPreference.objects.count() == 1
    assert decision("wang.wei@example-corp.cn").code == rules.CODE_OPTED_OUT
    assert decision("wang.wei@example-corp.cn", channel="call").allowed  # only e-mail


def test_a_tampered_or_foreign_token_is_refused(org):
    from django.core import signing

    token = services.unsubscribe_token("a@acme.com")
    for bad in (token[:-2] + "xx", token + "x", "nonsense", signing.dumps({"e": "a@acme.com", "c": "email"})):
        with pytest.raises(InvalidInput, match="not valid"):
            services.unsubscribe_apply(bad)
    assert not ContactPreference.objects.exists()


# --- Decisions in bulk and failing closed -------------------------------------------------------


def people(n):
    return [(f"p{i}@co{i % 10}.com" if i % 3 else None, f"+86138{i:08d}" if i % 2 else "") for i in range(n)]


@pytest.mark.parametrize("channel", ["email", "call"])
def test_bulk_decisions_agree_with_single_ones_in_a_fixed_number_of_queries(
    org, channel, django_assert_max_num_queries
):
    crowd = people(400)
    services.domain_suppress("co3.com", "competitor", org.admin)
    services.preferences_record_bulk(
        [
            (e, p, "all" if i % 4 else channel, "opted_out", "import")
            for i, (e, p) in enumerate(crowd[:60])
            if e or p
        ],
        actor=org.admin,
    )
    services.consent_settings_update(org.admin, opt_in_required=["call"])
    services.preference_record(email="p5@co5.com", channel="call", state="opted_in", actor=org.admin)
    # the settings, the preferences, the suppressions: the same for 400 people as for 1
    with django_assert_max_num_queries(3):
        got = selectors.contact_decisions(crowd, channel)
    assert len(got) == 400
    singles = [selectors.contact_decision(e, p, channel=channel) if (e or p) else None for e, p in crowd]
    for i, (g, s) in enumerate(zip(got, singles, strict=True)):
        if s is None:
            assert g.code == rules.CHECK_UNAVAILABLE and "no e-mail or phone" in g.reason, i
        else:
            assert g == s, i
    assert {d.code for d in got} >= {rules.CODE_OPTED_OUT, rules.DOMAIN_SUPPRESSED, rules.CHECK_UNAVAILABLE}


def test_bulk_decisions_accept_leads_mappings_and_pairs_and_fail_closed_per_person(org):
    from types import SimpleNamespace

    services.preference_record(email="b@acme.com", channel="email", state="opted_out", actor=org.sdr)
    got = selectors.contact_decisions(
        [
            SimpleNamespace(email="a@acme.com", phone=""),
            {"email": "B@acme.com"},
            ("broken@", None),
            (None, None),
        ],
        "email",
    )
    assert [d.code for d in got] == [rules.LEGITIMATE_INTEREST, rules.CODE_OPTED_OUT, rules.CHECK_UNAVAILABLE,
                                     rules.CHECK_UNAVAILABLE]  # fmt: skip
    assert got[2].reason.startswith("consent check unavailable: email:")


def test_the_check_fails_closed_when_the_records_cannot_be_read(org, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(selectors, "_settings", broken)
    d = decision("a@acme.com")
    assert not d.allowed and d.code == rules.CHECK_UNAVAILABLE
    assert d.reason == "consent check unavailable: the consent records could not be read"
    assert all(not d.allowed for d in selectors.contact_decisions(people(20), "call"))
    assert all(not d.allowed for d in selectors.person_decisions("a@acme.com", "13800138000").values())


def test_single_decisions_refuse_bad_input(org):
    with pytest.raises(InvalidInput, match="email:"):
        decision("not-an-email")
    with pytest.raises(InvalidInput, match="unknown channel"):
        decision("a@acme.com", channel="all")
    with pytest.raises(InvalidInput, match="an e-mail or a phone number is required"):
        decision()
