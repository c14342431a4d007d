"""Writes of qualification: a lead's criterion answers, the framework templates and the handoff gates.

Every write is one transaction and validates everything before it writes anything.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db import IntegrityError, transaction

from baton import clock, localcache
from baton.core import qualification as rules
from baton.core.errors import Conflict, InvalidInput, NotAllowed
from baton.leads.models import Lead, LeadEvent
from baton.leads.services import can_work
from baton.org.models import MANAGER_ROLES, Team
from baton.org.selectors import subtree_user_ids
from baton.org.services import audit_record
from baton.qualification import selectors
from baton.qualification.models import Criterion, CriterionAnswer, Framework, GateRule

NOTE_MAX = 2000
TEXT_MAX = 120


def can_qualify(user, lead: Lead) -> bool:
    """The lead's owner, an ops admin, or a manager the owner reports to (directly or not)."""
    if can_work(user, lead):
        return True
    if lead.owner_id is None or not user.has_role(*MANAGER_ROLES):
        return False
    return lead.owner_id in subtree_user_ids(user)


def _invalidate(*keys: str) -> None:
    for key in keys:
        localcache.invalidate(key)
    # Other transactions of this process may have cached the old rows meanwhile.
    transaction.on_commit(lambda: [localcache.invalidate(k) for k in keys])


# --- A lead's answers --------------------------------------------------------------------------------


def _split(value) -> tuple[str | None, str | None]:
    """(state, note) from a tuple, a {"state", "note"} mapping or a bare state; None keeps the current."""
    if isinstance(value, Mapping):
        return value.get("state"), value.get("note")
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise InvalidInput(f"an answer is (state, note), not {value!r}")
        return value[0], value[1]
    return value, None


def criteria_set(
    lead: Lead,
    framework_key: str,
    answers: Mapping[str, object],
    actor,
    at: datetime | None = None,
) -> list[CriterionAnswer]:
    """Set some criteria of one framework for a lead: ``{criterion: (state, note)}``.

    A state or note of None keeps the current one. Only changes are recorded: each is a new answer row
    (append-only, the latest wins) and one ``qualified`` event on the timeline lists them. Unknown
    frameworks, criteria or states are refused, naming them; nothing is written then.
    """
    at = at or clock.now()
    if not can_qualify(actor, lead):
        raise NotAllowed("only the lead's owner, their manager or an ops admin may qualify it")
    templates = selectors.templates()
    fw = templates.get(framework_key)
    if fw is None or not fw.active:
        known = ", ".join(f.key for f in templates.active)
        raise InvalidInput(
            f"unknown qualification framework {framework_key!r}; expected one of {known}",
            details={"fields": {"framework": "unknown"}},
        )
    if not answers:
        raise InvalidInput(f"nothing to set: name at least one {fw.name} criterion")
    parsed: dict[str, tuple[str | None, str | None]] = {}
    unknown, inactive, bad_states, bad_notes = [], [], [], []
    for key, value in answers.items():
        criterion = fw.criterion(key)
        state, note = _split(value)
        if criterion is None:
            unknown.append(key)
        elif not criterion.active:
            inactive.append(key)
        if state is not None and state not in rules.CRITERION_STATES:
            bad_states.append(f"{key}: {state!r}")
        if note is not None and (not isinstance(note, str) or len(note.strip()) > NOTE_MAX):
            bad_notes.append(key)
        parsed[key] = (state, note.strip() if isinstance(note, str) else note)
    problems, fields = [], {}
    if unknown:
        problems.append(
            f"unknown {fw.name} criteria: {', '.join(map(repr, unknown))}; "
            f"expected one of {', '.join(c.key for c in fw.active_criteria)}"
        )
        fields.update(dict.fromkeys(unknown, "unknown criterion"))
    if inactive:
        problems.append(
            f"deactivated {fw.name} criteria cannot be answered: {', '.join(map(repr, inactive))}"
        )
        fields.update(dict.fromkeys(inactive, "deactivated"))
    if bad_states:
        problems.append(
            f"a state must be one of {', '.join(rules.CRITERION_STATES)}, not {', '.join(bad_states)}"
        )
        fields.update({s.split(":")[0]: "unknown state" for s in bad_states})
    if bad_notes:
        problems.append(f"notes must be text of at most {NOTE_MAX} characters: {', '.join(bad_notes)}")
        fields.update(dict.fromkeys(bad_notes, "note too long"))
    if problems:
        raise InvalidInput("; ".join(problems), details={"fields": fields})

    current = selectors.lead_answers(lead)
    rows, changes = [], []
    for key, (state, note) in parsed.items():
        criterion = fw.criterion(key)
        cur = current.get(criterion.id)
        new_state = state if state is not None else (cur.state if cur else rules.UNKNOWN)
        new_note = note if note is not None else (cur.note if cur else "")
        old = (cur.state, cur.note) if cur else (rules.UNKNOWN, "")
        if (new_state, new_note) == old:
            continue
        rows.append(CriterionAnswer(lead_id=lead.pk, criterion_id=criterion.id, state=new_state, note=new_note,
                                    set_by=actor, set_at=at))  # fmt: skip
        changes.append({"criterion": key, "label": criterion.label, "label_zh": criterion.label_zh,
                        "state": new_state, "note": new_note})  # fmt: skip
    if not rows:
        return []
    data = {
        "framework": fw.key,
        "framework_name": fw.name,
        "framework_name_zh": fw.name_zh,
        "changes": changes,
    }
    if fw.key == "bant":  # the shape earlier timeline entries have
        after = {
            **current,
            **{r.criterion_id: selectors.Answer(r.state, r.note, None, "", "", at) for r in rows},
        }
        data["bant"], _notes = selectors.bant_states(lead, after)
    with transaction.atomic():
        CriterionAnswer.objects.bulk_create(rows)
        LeadEvent.objects.create(
            lead=lead, kind=LeadEvent.Kind.QUALIFIED, occurred_at=at, actor=actor, cycle=lead.cycle, data=data
        )
    return rows


# --- Templates (ops admins) ---------------------------------------------------------------------------


def _require_admin(actor, what: str) -> None:
    if not actor.is_admin:
        raise NotAllowed(f"only ops admins may {what}")


def _text(value, name: str, *, required: bool = False, limit: int | None = TEXT_MAX) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text", details={"fields": {name: "not text"}})
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{name} is required", details={"fields": {name: "is required"}})
    if limit and len(value) > limit:
        raise InvalidInput(
            f"{name} is longer than {limit} characters", details={"fields": {name: "too long"}}
        )
    return value


def _key(value, what: str) -> str:
    try:
        rules.check_key(value, what)
    except ValueError as exc:
        raise InvalidInput(str(exc), details={"fields": {"key": "invalid"}})
    return value


CRITERION_FIELDS = ("label", "label_zh", "description", "description_zh", "active", "position")
FRAMEWORK_FIELDS = ("name", "name_zh", "description", "description_zh", "active", "position")


def _criterion_values(spec: Mapping, *, new: bool) -> dict:
    extra = set(spec) - {"key", *CRITERION_FIELDS}
    if extra:
        raise InvalidInput(f"unknown criterion fields: {', '.join(sorted(extra))}")
    out = {}
    if new or "label" in spec:
        out["label"] = _text(spec.get("label"), "label", required=True)
    for name in ("label_zh",):
        if name in spec:
            out[name] = _text(spec[name], name)
    for name in ("description", "description_zh"):
        if name in spec:
            out[name] = _text(spec[name], name, limit=1000)
    if "active" in spec:
        if not isinstance(spec["active"], bool):
            raise InvalidInput("active must be true or false")
        out["active"] = spec["active"]
    if "position" in spec and spec["position"] is not None:
        if (
            not isinstance(spec["position"], int)
            or isinstance(spec["position"], bool)
            or spec["position"] < 0
        ):
            raise InvalidInput("position must be a whole number of 0 or more")
        out["position"] = spec["position"]
    return out


def _check_gates_still_pass(framework: Framework) -> None:
    """After a template change: every gate rule on the framework must still be able to pass."""
    active = framework.criteria.filter(active=True).count()
    impossible = []
    for rule in GateRule.objects.filter(framework=framework).select_related("team"):
        need = rules.required_count(rule.as_rule(framework.key), active)
        if need > active or (not framework.active):
            impossible.append(rule.team.name if rule.team else "default")
    if impossible:
        raise Conflict(
            f"{framework.name} is used by the handoff gate of: {', '.join(sorted(set(impossible)))}; with "
            f"{active} active criteria{'' if framework.active else ' and the framework deactivated'} that gate "
            "could never pass. Change the gate first.",
            code="gate_in_use",
        )


@transaction.atomic
def framework_create(
    actor,
    *,
    key: str,
    name: str,
    name_zh: str = "",
    description: str = "",
    description_zh: str = "",
    criteria: Iterable[Mapping] = (),
    at: datetime | None = None,
) -> Framework:
    _require_admin(actor, "create qualification frameworks")
    at = at or clock.now()
    key = _key(key, "framework key")
    values = {
        "name": _text(name, "name", required=True),
        "name_zh": _text(name_zh, "name_zh"),
        "description": _text(description, "description", limit=1000),
        "description_zh": _text(description_zh, "description_zh", limit=1000),
    }
    specs = list(criteria)
    keys = [s.get("key") for s in specs]
    for k in keys:
        _key(k, "criterion key")
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise InvalidInput(f"criterion keys appear twice: {', '.join(dupes)}")
    crit_values = [_criterion_values(s, new=True) for s in specs]
    if Framework.objects.filter(key=key).exists():
        raise Conflict(f"a framework with key {key!r} exists already", code="framework_exists")
    last = Framework.objects.order_by("-position").values_list("position", flat=True).first() or 0
    try:
        with transaction.atomic():
            fw = Framework.objects.create(key=key, position=last + 10, created_at=at, updated_at=at, **values)
    except IntegrityError:
        raise Conflict(f"a framework with key {key!r} exists already", code="framework_exists")
    Criterion.objects.bulk_create(
        Criterion(framework=fw, key=k, **{"position": (i + 1) * 10, **v})
        for i, (k, v) in enumerate(zip(keys, crit_values, strict=True))
    )
    audit_record(actor, "qualification.framework_create", "framework", fw.key, {"criteria": keys}, at=at)
    _invalidate(selectors.TEMPLATES_CACHE_KEY)
    return fw


@transaction.atomic
def framework_update(framework_key: str, actor, *, criteria: Iterable[Mapping] | None = None,
                     at: datetime | None = None, **fields) -> Framework:  # fmt: skip
    """Change a framework's texts or active flag, and add or change criteria (by key).

    Criteria are never deleted here: ``{"key": ..., "active": false}`` deactivates one. A change that
    would leave a handoff gate unable to pass is refused (409) and nothing is saved.
    """
    _require_admin(actor, "edit qualification frameworks")
    at = at or clock.now()
    fw = Framework.objects.select_for_update().filter(key=framework_key).first()
    if fw is None:
        raise InvalidInput(
            f"unknown qualification framework {framework_key!r}", details={"fields": {"key": "unknown"}}
        )
    extra = set(fields) - set(FRAMEWORK_FIELDS)
    if extra:
        raise InvalidInput(f"unknown framework fields: {', '.join(sorted(extra))}")
    for name in ("name", "name_zh"):
        if name in fields:
            setattr(fw, name, _text(fields[name], name, required=name == "name"))
    for name in ("description", "description_zh"):
        if name in fields:
            setattr(fw, name, _text(fields[name], name, limit=1000))
    if "active" in fields:
        if not isinstance(fields["active"], bool):
            raise InvalidInput("active must be true or false")
        fw.active = fields["active"]
    if fields.get("position") is not None:
        if not isinstance(fields["position"], int) or fields["position"] < 0:
            raise InvalidInput("position must be a whole number of 0 or more")
        fw.position = fields["position"]
    fw.updated_at = at
    fw.save()
    changed = []
    if criteria is not None:
        specs = list(criteria)
        keys = [s.get("key") for s in specs]
        for k in keys:
            _key(k, "criterion key")
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise InvalidInput(f"criterion keys appear twice: {', '.join(dupes)}")
        existing = {c.key: c for c in fw.criteria.all()}
        last = max((c.position for c in existing.values()), default=0)
        for spec in specs:
            crit = existing.get(spec["key"])
            values = _criterion_values(spec, new=crit is None)
            if crit is None:
                last += 10
                Criterion.objects.create(framework=fw, key=spec["key"], **{"position": last, **values})
            else:
                for name, value in values.items():
                    setattr(crit, name, value)
                crit.save()
            changed.append(spec["key"])
    _check_gates_still_pass(fw)
    audit_record(actor, "qualification.framework_update", "framework", fw.key,
                 {"fields": sorted(fields), "criteria": changed}, at=at)  # fmt: skip
    _invalidate(selectors.TEMPLATES_CACHE_KEY)
    return fw


@transaction.atomic
def criterion_delete(framework_key: str, criterion_key: str, actor, *, at: datetime | None = None) -> None:
    """Delete a criterion nobody answered yet; an answered one can only be deactivated (409)."""
    _require_admin(actor, "edit qualification frameworks")
    crit = Criterion.objects.select_related("framework").filter(
        framework__key=framework_key, key=criterion_key
    )
    crit = crit.first()
    if crit is None:
        raise InvalidInput(f"{framework_key!r} has no criterion {criterion_key!r}")
    answered = CriterionAnswer.objects.filter(criterion=crit).count()
    if answered:
        raise Conflict(
            f"{crit.label!r} has {answered} answers and is kept for their history; deactivate it instead",
            code="criterion_answered",
        )
    fw = crit.framework
    crit.delete()
    _check_gates_still_pass(fw)
    audit_record(
        actor, "qualification.criterion_delete", "framework", fw.key, {"criterion": criterion_key}, at=at
    )
    _invalidate(selectors.TEMPLATES_CACHE_KEY)


# --- Handoff gates (ops admins; managers for their teams) ---------------------------------------------


def _rule_from(spec) -> rules.GateRule:
    if isinstance(spec, rules.GateRule):
        return spec
    if not isinstance(spec, Mapping):
        raise InvalidInput(f"a gate rule is an object with framework and kind, not {spec!r}")
    extra = set(spec) - {"framework", "kind", "count", "numerator", "denominator"}
    if extra:
        raise InvalidInput(f"unknown gate rule fields: {', '.join(sorted(extra))}")
    kind = spec.get("kind")
    if kind == rules.AT_LEAST:
        return rules.GateRule.at_least(spec.get("framework"), spec.get("count"))
    if kind == rules.MORE_THAN:
        return rules.GateRule.more_than(
            spec.get("framework"), spec.get("numerator"), spec.get("denominator", 1)
        )
    raise InvalidInput(f"unknown gate rule kind {kind!r}; expected one of {', '.join(rules.RULE_KINDS)}")


@transaction.atomic
def gate_set(team: Team | None, rule_specs: Iterable, actor, *, at: datetime | None = None) -> list[GateRule]:
    """Replace a team's handoff gate (team None: the default gate). All rules must pass at handoff.

    An empty list removes a team's own gate: it inherits its parent team's, else the default. The
    default gate needs at least one rule.
    """
    at = at or clock.now()
    if not selectors.can_edit_gate(actor, team):
        who = "ops admins" if team is None else "ops admins and the team's managers"
        raise NotAllowed(f"only {who} may change this handoff gate")
    parsed = [_rule_from(s) for s in rule_specs]
    if team is None and not parsed:
        raise InvalidInput("the default handoff gate needs at least one rule")
    tpl = selectors.templates()
    problems = []
    seen = set()
    for i, rule in enumerate(parsed, 1):
        fw = tpl.get(rule.framework) if isinstance(rule.framework, str) else None
        if fw is None or not fw.active:
            known = ", ".join(f.key for f in tpl.active)
            problems.append(f"rule {i}: unknown framework {rule.framework!r}; expected one of {known}")
            continue
        if rule.framework in seen:
            problems.append(f"rule {i}: {fw.name} appears twice; one rule per framework")
        seen.add(rule.framework)
        try:
            rule.check()
        except ValueError as exc:
            problems.append(f"rule {i}: {exc}")
            continue
        active = len(fw.active_criteria)
        if rules.required_count(rule, active) > active:
            problems.append(
                f"rule {i}: {fw.name} has {active} active criteria, so {rule.threshold()} can never pass"
            )
    if problems:
        raise InvalidInput("; ".join(problems), details={"rules": problems})
    GateRule.objects.filter(team=team).delete()
    ids = {f.key: f.id for f in tpl.frameworks}
    created = GateRule.objects.bulk_create(
        GateRule(team=team, framework_id=ids[r.framework], kind=r.kind, count=r.count, numerator=r.numerator,
                 denominator=r.denominator, position=i, updated_by=actor, updated_at=at)
        for i, r in enumerate(parsed)
    )  # fmt: skip
    audit_record(actor, "qualification.gate_set", "team", team.pk if team else "default",
                 {"rules": [r.as_dict() for r in parsed]}, at=at)  # fmt: skip
    _invalidate(selectors.GATES_CACHE_KEY)
    return created
