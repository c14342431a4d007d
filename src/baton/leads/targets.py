"""Outbound target lists and the inbound/outbound conflict rule (spec §4.2).

Before an outbound SDR works a target company, Baton checks whether the company already exists as
an inbound lead or account: if an inbound lead at that company has an owner, the target belongs to
the inbound side — the outbound SDR is told whose it is and why, and the inbound owner is told that
outbound asked. Clear targets with a contact become outbound leads owned by the SDR at once.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from baton import clock
from baton.core import normalize
from baton.core.errors import InvalidInput, NotAllowed
from baton.dbutil import chunks, rows_insert
from baton.leads.models import Lead, Target, TargetList
from baton.notifications.services import NotificationRequest, notifications_send
from baton.org.models import Role

OUTBOUND_ROLES = (Role.SDR_OUTBOUND, Role.BDR)
MAX_TARGETS = 5000


@dataclass(frozen=True, slots=True)
class TargetIn:
    company: str
    website: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    contact_title: str = ""
    industry: str = ""
    region: str = ""
    city: str = ""


def _keys(t: TargetIn) -> tuple[str, str]:
    domain = normalize.domain_from_website(t.website) if t.website.strip() else ""
    if not domain and t.contact_email and "@" in t.contact_email:
        mail_domain = t.contact_email.rpartition("@")[2].strip().lower()
        domain = "" if mail_domain in normalize.FREE_MAIL_DOMAINS else mail_domain
    return domain, normalize.company_key(t.company) if t.company.strip() else ""


def targets_check(name: str, targets: Sequence[TargetIn], *, owner, at: datetime | None = None) -> TargetList:
    """Create a target list and check every target; returns the list with its targets' outcomes."""
    from baton.leads.services import CaptureRequest, accounts_by_keys, leads_capture

    at = at or clock.now()
    if not (owner.is_admin or owner.has_role(*OUTBOUND_ROLES)):
        raise NotAllowed("target lists are for outbound SDRs and BDRs")
    if not name.strip():
        raise InvalidInput("a target list needs a name")
    if not targets:
        raise InvalidInput("the list has no targets")
    if len(targets) > MAX_TARGETS:
        raise InvalidInput(f"at most {MAX_TARGETS} targets per list; split the file")
    keys = [_keys(t) for t in targets]
    accounts_by_domain, accounts_by_name = accounts_by_keys(
        {d for d, _ in keys if d}, {k for _, k in keys if k}
    )
    account_ids = {a.pk for a in (*accounts_by_domain.values(), *accounts_by_name.values())}
    inbound: dict[int, Lead] = {}  # account → its oldest owned inbound lead
    for part in chunks(sorted(account_ids)):
        leads = Lead.objects.filter(account_id__in=part, direction=Lead.Direction.INBOUND, merged_into=None,
                                    owner__isnull=False).select_related("owner").order_by("-created_at", "-pk")  # fmt: skip
        for lead in leads:
            inbound[lead.account_id] = lead
    mine = set(
        Target.objects.filter(target_list__owner=owner, outcome=Target.Outcome.CLEAR)
        .exclude(name_key="")
        .values_list("name_key", flat=True)
    )
    with transaction.atomic():
        target_list = TargetList.objects.create(name=name.strip(), owner=owner, created_at=at)
        rows: list[Target] = []
        seen: set[str] = set()
        captures: list[tuple[int, CaptureRequest]] = []
        told: dict[int, list[str]] = {}
        for line, (t, (domain, key)) in enumerate(zip(targets, keys, strict=True), start=1):
            row = Target(target_list=target_list, line=line, company=t.company.strip()[:200], domain=domain,
                         name_key=key, contact_name=t.contact_name.strip()[:200],
                         contact_email=t.contact_email.strip()[:254], contact_phone=t.contact_phone.strip()[:32],
                         contact_title=t.contact_title.strip()[:200], checked_at=at)  # fmt: skip
            account = accounts_by_domain.get(domain) if domain else None
            account = account or (accounts_by_name.get(key) if key else None)
            row.account_id = account.pk if account else None
            if not key:
                row.outcome, row.reason = Target.Outcome.INVALID, "no company name"
            elif key in seen or key in mine:
                row.outcome, row.reason = Target.Outcome.DUPLICATE, "already on one of your target lists"
            elif account is not None and account.pk in inbound:
                lead = inbound[account.pk]
                row.outcome = Target.Outcome.INBOUND
                row.inbound_lead, row.inbound_owner = lead, lead.owner
                how = (
                    "the same website domain"
                    if domain and account.domain == domain
                    else "the same company name"
                )
                row.reason = (
                    f"{account.name} came in inbound on {lead.created_at:%Y-%m-%d} (lead {lead.pk}, "
                    f"{lead.get_source_display()}), owned by {lead.owner.label}; matched by {how}"
                )
                told.setdefault(lead.owner_id, []).append(account.name)
            else:
                row.outcome = Target.Outcome.CLEAR
                row.reason = (f"known account {account.name} without an inbound owner" if account
                              else "new to Baton")  # fmt: skip
                if t.contact_name.strip() and (t.contact_email.strip() or t.contact_phone.strip()):
                    data = {"name": t.contact_name, "company": t.company, "source": "outbound_list",
                            "source_detail": f"目标客户名单 · {target_list.name}", "direction": "outbound"}  # fmt: skip
                    for field, value in (("email", t.contact_email), ("phone", t.contact_phone),
                                         ("title", t.contact_title), ("website", t.website),
                                         ("industry", t.industry), ("region", t.region), ("city", t.city)):  # fmt: skip
                        if value.strip():
                            data[field] = value
                    captures.append((len(rows), CaptureRequest(data, owner, at)))
            seen.add(key)
            rows.append(row)
        if captures:
            try:
                created = leads_capture([req for _, req in captures])
            except InvalidInput as exc:
                raise InvalidInput(
                    f"a clear target's contact is not valid: {exc.message}", details=exc.details
                )
            for (index, _), lead in zip(captures, created, strict=True):
                rows[index].lead = lead
        rows_insert(Target, rows)
        notifications_send([
            NotificationRequest(user_id, "targets_inbound_conflict",
                                {"sdr": owner.label, "count": len(companies), "companies": ", ".join(companies[:5])},
                                link="/leads/", at=at)
            for user_id, companies in sorted(told.items())
        ])  # fmt: skip
    return target_list


def targets_from_file(path) -> list[TargetIn]:
    """Targets from a CSV/XLSX file: headers as Baton names or Chinese (公司, 网址, 姓名, 邮箱, 手机, 职位…)."""
    from baton.imports.mapping import RowValueError, preset
    from baton.imports.reader import open_table

    table = open_table(path)
    plan = preset("chinese").apply(table.headers)
    out, problems = [], []
    for row in table.rows():
        if row.problem is not None:
            problems.append(str(row.problem))
            continue
        try:
            values = plan.row(row.values)
        except RowValueError as exc:
            problems.append(f"line {row.line}: {'; '.join(exc.reasons)}")
            continue
        out.append(TargetIn(company=values.get("company", ""), website=values.get("website", ""),
                            contact_name=values.get("name", ""), contact_email=values.get("email", ""),
                            contact_phone=values.get("phone", ""), contact_title=values.get("title", ""),
                            industry=values.get("industry", ""), region=values.get("region", ""),
                            city=values.get("city", "")))  # fmt: skip
    if problems:
        raise InvalidInput("the target file has unusable rows: " + "; ".join(problems[:10]))
    return out
