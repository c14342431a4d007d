"""Reads of routing: who may see and change the routing settings, policies described for people, the
month's eligible list, leaves, territories and the leads routing could not place."""

from datetime import datetime

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from baton.core import routing as core
from baton.core.errors import NotAllowed, NotFound
from baton.org.models import MANAGER_ROLES, SDR_ROLES, Leave, Role, Team, User
from baton.routing.models import RoutingDecision, RoutingPolicy, Territory


def latest_decisions(lead, limit: int = 10) -> list[RoutingDecision]:
    """The most recent routing decision of each kind (lead → SDR, handoff → AE), newest first."""
    decisions = (
        RoutingDecision.objects.filter(lead=lead).select_related("chosen").order_by("-decided_at", "-id")
    )
    latest: dict[str, RoutingDecision] = {}
    for decision in decisions[:limit]:
        latest.setdefault(decision.kind, decision)
    return list(latest.values())


def display_names(usernames: set[str]) -> dict[str, str]:
    return dict(
        User.objects.filter(username__in=usernames)
        .exclude(display_name="")
        .values_list("username", "display_name")
    )


# --- Who may do what ------------------------------------------------------------------------------------


def can_read(user) -> bool:
    """Ops admins and managers (sales directors, the VP, the SDR director) read routing and replay;
    ``None`` is Baton itself (the CLI)."""
    return user is None or user.is_admin or user.has_role(*MANAGER_ROLES)


def can_write(user) -> bool:
    """Only sales ops (admins) change policies, eligible lists, leaves and territories."""
    return user is None or user.is_admin


def can_see_unrouted(user) -> bool:
    """The people told when routing cannot place a lead: the SDR director and ops admins."""
    return user is None or user.is_admin or user.has_role(Role.SDR_DIRECTOR)


def require_reader(user) -> None:
    if not can_read(user):
        raise NotAllowed("only ops admins and managers may read the routing settings")


def require_writer(user) -> None:
    if not can_write(user):
        raise NotAllowed("only ops admins may change the routing settings")


# --- Policies -------------------------------------------------------------------------------------------


def policies(kind: str | None = None) -> QuerySet:
    """Policy versions, newest first within each kind."""
    qs = RoutingPolicy.objects.select_related("created_by").order_by("kind", "-version")
    return qs.filter(kind=kind) if kind else qs


def policy_get(kind: str, version: int) -> RoutingPolicy:
    row = RoutingPolicy.objects.select_related("created_by").filter(kind=kind, version=version).first()
    if row is None:
        raise NotFound(f"no {kind} routing policy version {version}")
    return row


def policy_draft(kind: str) -> RoutingPolicy | None:
    """The newest draft of a kind (the one the settings page edits)."""
    return policies(kind).filter(state=RoutingPolicy.State.DRAFT).first()


def policy_current(kind: str) -> RoutingPolicy | None:
    return policies(kind).filter(state=RoutingPolicy.State.ACTIVE).first()


STRATEGY_LABELS = {
    core.ROUND_ROBIN: _("round robin"),
    core.WEIGHTED: _("weighted round robin"),
    core.LEAST_LOADED: _("least loaded"),
    core.ACCOUNT_OWNER: _("account owner"),
    core.TERRITORY_OWNER: _("territory owner"),
    core.DIRECTOR_DISPATCH: _("director dispatch"),
    "queue": _("queue"),
}
OPERATOR_LABELS = {
    "eq": _("is"), "ne": _("is not"), "in": _("is one of"), "not_in": _("is none of"),
    "contains": _("contains"), "gt": ">", "gte": "≥", "lt": "<", "lte": "≤", "exists": _("is set"),
    "missing": _("is empty"),
}  # fmt: skip
ROLE_LABELS = dict(Role.choices)


def strategy_label(strategy: str) -> str:
    return str(STRATEGY_LABELS.get(strategy, strategy or ""))


def _value_text(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return "" if value is None else str(value)


def condition_text(cond: dict) -> str:
    op = cond.get("op", "eq")
    text = f"{cond.get('field', '')} {OPERATOR_LABELS.get(op, op)}"
    return text if op in ("exists", "missing") else f"{text} {_value_text(cond.get('value'))}"


def destination_text(dest: dict, teams: dict[int, str] | None = None) -> str:
    kind = dest.get("type")
    role = ROLE_LABELS.get(dest.get("role") or "", dest.get("role") or "")
    if kind == "team":
        name = (teams or {}).get(dest.get("team_id")) or f"#{dest.get('team_id')}"
        text = _("team %(team)s") % {"team": name}
        if dest.get("role"):
            text = _("%(role)s of team %(team)s") % {"role": role, "team": name}
    elif kind == "role":
        text = _("everyone with the role %(role)s") % {"role": role}
    elif kind == "region_team":
        text = _("%(role)s of the lead's region") % {"role": role}
    elif kind == "director":
        text = _("the regional sales director")
    elif kind == "queue":
        text = _("the public pool")
    else:
        text = str(kind)
    return str(text) + (f" · pool {dest['pool']}" if dest.get("pool") else "")


def options_text(options: dict) -> list[str]:
    out = []
    if options.get("weights"):
        weights = ", ".join(f"{u} {w:g}" for u, w in options["weights"].items())
        out.append(str(_("weights: %(weights)s") % {"weights": weights}))
    if options.get("cap_per_day"):
        out.append(str(_("at most %(n)s a day each") % {"n": options["cap_per_day"]}))
    if options.get("cap_open"):
        out.append(str(_("at most %(n)s open each") % {"n": options["cap_open"]}))
    if options.get("working_hours"):
        out.append(str(_("only within working hours")))
    if "eligible_list" in options:
        out.append(
            str(
                _("the month's eligible list") if options["eligible_list"] else _("ignores the eligible list")
            )
        )
    if options.get("then"):
        out.append(str(_("otherwise: %(strategy)s") % {"strategy": strategy_label(options["then"])}))
    return out


def policy_rows(definition: dict) -> list[dict]:
    """A stored definition as the settings page's table: one row per rule, then the fallback."""
    teams = dict(Team.objects.values_list("pk", "name"))
    rows = []
    raw_rules = definition.get("rules") or []
    fallback = definition.get("fallback") or {}
    for i, rule in enumerate([*raw_rules, fallback], start=1):
        is_fallback = i == len(raw_rules) + 1
        dest = rule.get("destination") or {}
        rows.append({
            "order": None if is_fallback else i, "key": rule.get("key", ""), "name": rule.get("name", ""),
            "fallback": is_fallback,
            "conditions": [] if is_fallback else [condition_text(c) for c in rule.get("conditions") or []],
            "destination": destination_text(dest, teams),
            "strategy": strategy_label("queue" if dest.get("type") == "queue" else rule.get("strategy", "")),
            "options": options_text(rule.get("options") or {}),
        })  # fmt: skip
    return rows


# --- People, eligible lists, leaves, territories ----------------------------------------------------------


def assignable_people() -> list[User]:
    """Active SDRs, AEs and AMs: who may be on the month's eligible list or away on leave."""
    roles = (*SDR_ROLES, Role.AE, Role.AM)
    return list(User.objects.filter(is_active=True, roles__role__in=roles).distinct().order_by("username"))


def leaves_upcoming(at: datetime, limit: int = 200) -> QuerySet:
    """Leaves that have not ended, soonest first."""
    return Leave.objects.filter(ends_at__gt=at).select_related("user").order_by("starts_at", "pk")[:limit]


def territories() -> QuerySet:
    return Territory.objects.select_related("owner").order_by("name")


def territory_get(pk: int) -> Territory:
    territory = Territory.objects.select_related("owner").filter(pk=pk).first()
    if territory is None:
        raise NotFound(f"no territory {pk}")
    return territory


# --- Unrouted leads -------------------------------------------------------------------------------------


def unrouted_leads(limit: int = 200) -> list:
    """Inbound leads routing could not place (routed_at NULL), oldest first, each with its latest failed
    decision (``failed``: None when routing never ran, e.g. still waiting for enrichment)."""
    from baton.leads.models import Lead

    latest = (
        RoutingDecision.objects.filter(lead=OuterRef("pk"), kind=RoutingDecision.Kind.LEAD, chosen=None)
        .order_by("-decided_at", "-id")
        .values("id")[:1]
    )
    leads = list(
        Lead.objects.filter(routed_at=None, direction=Lead.Direction.INBOUND, merged_into=None)
        .annotate(failed_id=Subquery(latest))
        .order_by("created_at", "pk")[:limit]
    )
    failed = RoutingDecision.objects.in_bulk([x.failed_id for x in leads if x.failed_id])
    for lead in leads:
        lead.failed = failed.get(lead.failed_id)
    return leads


def unrouted_count() -> int:
    from baton.leads.models import Lead

    return Lead.objects.filter(routed_at=None, direction=Lead.Direction.INBOUND, merged_into=None).count()
