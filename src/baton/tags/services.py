"""Writes on tags: tags, manual tagging of leads (bulk), tag rules, and applying the rules (bulk).

Who may do what: anyone may tag the leads they can see by hand and create manual tags (a name that does
not exist yet becomes a new manual tag); automatic tags belong to their rules and cannot be added or
removed by hand; rules are for admins (sales ops). ``actor=None`` is Baton itself. Every tag change
appends a ``tagged`` event to the lead's timeline.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max

from baton import clock, localcache
from baton.behaviour.selectors import behaviour_tallies
from baton.core import tagging
from baton.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from baton.dbutil import chunks, rows_insert, rows_update
from baton.leads.models import Lead, LeadEvent
from baton.leads.selectors import leads_visible
from baton.org.services import audit_record
from baton.tags.models import RULES_ACTIVE_CACHE_KEY, LeadTag, Tag, TagRule, tag_key

log = logging.getLogger(__name__)

NAME_MAX = 60
RULE_NAME_MAX = 120
MAX_NAMES = 50  # tag names per call
FORBIDDEN = frozenset("/\\,，")  # paths (DELETE …/tags/{name}) and the lists people type ("a, b")
REASON_MAX = 1000


@dataclass(frozen=True, slots=True)
class TagChange:
    lead_id: int
    tag: str
    action: str  # "added" | "removed"
    source: str  # "manual" | "rule"
    rule: str = ""  # the rule's name, for rule tags


def _check_admin(actor, what: str) -> None:
    if actor is not None and not actor.is_admin:
        raise NotAllowed(f"only admins (sales ops) may {what}")


# --- Names ----------------------------------------------------------------------------------------


def tag_name_problem(raw) -> str:
    """Why ``raw`` cannot be a tag name ("" when it can)."""
    if not isinstance(raw, str) or not raw.strip():
        return "a tag needs a name"
    name = " ".join(raw.split())
    if len(name) > NAME_MAX:
        return f"{name[:20]}…: longer than {NAME_MAX} characters"
    bad = sorted({c for c in name if c in FORBIDDEN or not c.isprintable()})
    if bad:
        return f"{name!r}: may not contain {' '.join(repr(c) for c in bad)}"
    return ""


def tag_name_clean(raw) -> str:
    problem = tag_name_problem(raw)
    if problem:
        raise InvalidInput(f"name: {problem}", details={"fields": {"name": problem}})
    return " ".join(raw.split())


def _names_clean(names: Iterable) -> dict[str, str]:
    """{key: name} of the given names (one per key, in order); InvalidInput naming every bad one."""
    names = list(names)
    if not names:
        raise InvalidInput("give at least one tag name", details={"fields": {"names": "is required"}})
    if len(names) > MAX_NAMES:
        raise InvalidInput(f"at most {MAX_NAMES} tag names at once; got {len(names)}")
    problems = [p for p in (tag_name_problem(n) for n in names) if p]
    if problems:
        raise InvalidInput("; ".join(problems), details={"fields": {"names": problems}})
    out: dict[str, str] = {}
    for raw in names:
        name = " ".join(raw.split())
        out.setdefault(tag_key(name), name)
    return out


def _ids_clean(lead_ids: Iterable) -> list[int]:
    ids = list(dict.fromkeys(lead_ids))
    if not ids:
        raise InvalidInput("give at least one lead")
    if any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
        raise InvalidInput("lead ids must be whole numbers")
    return ids


def _leads_locked(actor, ids: Sequence[int]) -> dict[int, int]:
    """{lead id: cycle} of the leads, locked (a fixed order); NotFound for any the actor cannot see."""
    base = Lead.objects.all() if actor is None else leads_visible(actor)
    found: dict[int, int] = {}
    for part in chunks(sorted(ids)):
        found.update(base.filter(pk__in=part).select_for_update().order_by("pk").values_list("pk", "cycle"))
    missing = [i for i in ids if i not in found]
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (" …" if len(missing) > 10 else "")
        raise NotFound(
            f"lead {shown} does not exist or is not visible to you"
            if len(missing) == 1
            else f"leads {shown} do not exist or are not visible to you",
            details={"leads": missing},
        )
    return found


def _event(lead_id: int, cycle: int, change: TagChange, at: datetime, actor, why: str = "") -> LeadEvent:
    data = {"action": change.action, "tag": change.tag, "source": change.source}
    if change.rule:
        data["rule"] = change.rule
    if why:
        data["why"] = why
    return LeadEvent(lead_id=lead_id, kind=LeadEvent.Kind.TAGGED, occurred_at=at, actor=actor, cycle=cycle,
                     reason=f"{change.action}: {change.tag}"[:300], data=data)  # fmt: skip


# --- Tags -----------------------------------------------------------------------------------------


def tag_create(
    name: str,
    actor,
    *,
    colour: str = Tag.Colour.GRAY,
    kind: str = Tag.Kind.MANUAL,
    at: datetime | None = None,
) -> Tag:
    """A new tag. Names are unique whatever their letter case (Conflict otherwise); automatic tags
    (the ones rules set) are for admins."""
    name = tag_name_clean(name)
    if colour not in Tag.Colour.values:
        raise InvalidInput(
            f"colour: unknown colour {colour!r}; expected one of {', '.join(Tag.Colour.values)}",
            details={"fields": {"colour": "unknown"}},
        )
    if kind not in Tag.Kind.values:
        raise InvalidInput(
            f"kind: unknown kind {kind!r}; expected one of {', '.join(Tag.Kind.values)}",
            details={"fields": {"kind": "unknown"}},
        )
    if kind == Tag.Kind.AUTO:
        _check_admin(actor, "create automatic tags")
    existing = Tag.objects.filter(key=tag_key(name)).first()
    if existing is not None:
        raise Conflict(f"a tag named {existing.name!r} already exists", code="duplicate_tag")
    at = at or clock.now()
    try:
        with transaction.atomic():
            tag = Tag.objects.create(
                name=name, key=tag_key(name), colour=colour, kind=kind, created_at=at, created_by=actor
            )
            audit_record(actor, "tags.tag_create", "tag", tag.pk, {"name": name, "kind": kind}, at=at)
    except IntegrityError:
        raise Conflict(f"a tag named {name!r} already exists", code="duplicate_tag")
    return tag


def _tags_for(keys: dict[str, str], *, create: bool, actor, at: datetime) -> list[Tag]:
    """The tags of these names; missing ones are created as manual tags (``create``) or NotFound."""
    found = {t.key: t for t in Tag.objects.filter(key__in=list(keys))}
    missing = [name for key, name in keys.items() if key not in found]
    if missing and not create:
        raise NotFound(f"no tag named {', '.join(map(repr, missing))}", details={"tags": missing})
    auto = [t.name for t in found.values() if t.kind == Tag.Kind.AUTO]
    if auto:
        raise InvalidInput(
            f"{', '.join(map(repr, auto))}: set and removed by tag rules only, not by hand",
            code="rule_tag",
            details={"tags": auto},
        )
    new = [Tag(name=name, key=tag_key(name), kind=Tag.Kind.MANUAL, created_at=at, created_by=actor)
           for name in missing]  # fmt: skip
    if new:
        try:
            with transaction.atomic():
                rows_insert(Tag, new)
        except IntegrityError:
            raise Conflict("another request created one of these tags at the same moment; please retry")
    found.update({t.key: t for t in new})
    return [found[key] for key in keys]


def tags_add(
    lead_ids: Iterable[int], names: Iterable[str], actor, *, at: datetime | None = None
) -> list[TagChange]:
    """Tag leads by hand (every lead with every name). Names that do not exist become manual tags.

    Tags a lead already has are left as they are; all leads must be visible to ``actor`` (NotFound
    otherwise, nothing written). One query per table (per 500 leads), however many leads and names.
    """
    ids = _ids_clean(lead_ids)
    keys = _names_clean(names)
    at = at or clock.now()
    with transaction.atomic():
        cycles = _leads_locked(actor, ids)
        tags = _tags_for(keys, create=True, actor=actor, at=at)
        tag_ids = [t.pk for t in tags]
        existing: set[tuple[int, int]] = set()
        for part in chunks(ids):
            existing.update(
                LeadTag.objects.filter(lead_id__in=part, tag_id__in=tag_ids).values_list("lead_id", "tag_id")
            )
        rows, changes, events = [], [], []
        for lead_id in ids:
            for tag in tags:
                if (lead_id, tag.pk) in existing:
                    continue
                rows.append(LeadTag(lead_id=lead_id, tag=tag, source=LeadTag.Source.MANUAL, added_at=at,
                                    added_by=actor))  # fmt: skip
                change = TagChange(lead_id, tag.name, "added", LeadTag.Source.MANUAL)
                changes.append(change)
                events.append(_event(lead_id, cycles[lead_id], change, at, actor))
        rows_insert(LeadTag, rows)
        rows_insert(LeadEvent, events)
    return changes


def tags_remove(
    lead_ids: Iterable[int], names: Iterable[str], actor, *, at: datetime | None = None
) -> list[TagChange]:
    """Remove manual tags from leads (those that have them). Unknown tag names are NotFound; rule tags
    cannot be removed by hand. One query per table (per 500 leads)."""
    ids = _ids_clean(lead_ids)
    keys = _names_clean(names)
    at = at or clock.now()
    with transaction.atomic():
        cycles = _leads_locked(actor, ids)
        tags = {t.pk: t for t in _tags_for(keys, create=False, actor=actor, at=at)}
        rows: list[tuple[int, int, int]] = []
        for part in chunks(ids):
            rows.extend(
                LeadTag.objects.filter(lead_id__in=part, tag_id__in=list(tags)).values_list(
                    "pk", "lead_id", "tag_id"
                )
            )
        for part in chunks([pk for pk, _, _ in rows]):
            LeadTag.objects.filter(pk__in=part).delete()
        changes = [TagChange(lead_id, tags[tag_id].name, "removed", LeadTag.Source.MANUAL)
                   for _, lead_id, tag_id in sorted(rows, key=lambda r: (r[1], tags[r[2]].key))]  # fmt: skip
        rows_insert(LeadEvent, [_event(c.lead_id, cycles[c.lead_id], c, at, actor) for c in changes])
    return changes


def lead_tags_add(lead_id: int, names: Iterable[str], actor) -> list[TagChange]:
    return tags_add([lead_id], names, actor)


def lead_tag_remove(lead_id: int, name: str, actor) -> TagChange:
    """Remove one manual tag from one lead; NotFound if the lead does not have it."""
    changes = tags_remove([lead_id], [name], actor)
    if not changes:
        raise NotFound(f"lead {lead_id} has no tag {tag_name_clean(name)!r}")
    return changes[0]


# --- Rules ----------------------------------------------------------------------------------------


def _condition_clean(condition) -> dict:
    errors = tagging.validate(condition)
    if errors:
        raise InvalidInput(
            "the condition is not valid: " + "; ".join(errors[:10])
            + (f"; and {len(errors) - 10} more" if len(errors) > 10 else ""),
            code="invalid_condition",
            details={"fields": {"condition": errors}},
        )  # fmt: skip
    return condition


def _rule_name_clean(raw) -> str:
    name = " ".join(raw.split()) if isinstance(raw, str) else ""
    if not name:
        raise InvalidInput("name: a rule needs a name", details={"fields": {"name": "is required"}})
    if len(name) > RULE_NAME_MAX:
        raise InvalidInput(
            f"name: longer than {RULE_NAME_MAX} characters", details={"fields": {"name": "too long"}}
        )
    return name


def _rule_tag(name, actor, at: datetime) -> Tag:
    """The automatic tag of a rule: an existing one, or a new one. A manual tag cannot be a rule's."""
    name = tag_name_clean(name)
    tag = Tag.objects.filter(key=tag_key(name)).first()
    if tag is None:
        return tag_create(name, actor, colour=Tag.Colour.VIOLET, kind=Tag.Kind.AUTO, at=at)
    if tag.kind != Tag.Kind.AUTO:
        raise InvalidInput(
            f"tag: {tag.name!r} is a manual tag; a rule sets a tag of its own (choose another name)",
            code="manual_tag",
            details={"fields": {"tag": "manual tag"}},
        )
    return tag


def tagrule_create(
    actor,
    *,
    name: str,
    tag: str,
    condition,
    position: int | None = None,
    active: bool = True,
    at: datetime | None = None,
) -> TagRule:
    """A rule giving leads that meet ``condition`` the automatic tag ``tag`` (created if new).

    The rule applies to a lead whenever its behaviour is recorded; ``tag_rules_apply_all`` brings every
    lead up to date at once.
    """
    _check_admin(actor, "manage tag rules")
    name = _rule_name_clean(name)
    condition = _condition_clean(condition)
    if position is not None and (isinstance(position, bool) or not isinstance(position, int)):
        raise InvalidInput(
            "position: must be a whole number", details={"fields": {"position": "not a number"}}
        )
    if TagRule.objects.filter(name=name).exists():
        raise Conflict(f"a rule named {name!r} already exists", code="duplicate_rule")
    at = at or clock.now()
    try:
        with transaction.atomic():
            rule_tag = _rule_tag(tag, actor, at)
            if position is None:
                position = (TagRule.objects.aggregate(m=Max("position"))["m"] or 0) + 10
            rule = TagRule.objects.create(name=name, tag=rule_tag, condition=condition, position=position,
                                          active=active, created_at=at, created_by=actor, updated_at=at)  # fmt: skip
            audit_record(actor, "tags.tagrule_create", "tag_rule", rule.pk,
                         {"name": name, "tag": rule_tag.name, "condition": condition, "active": active}, at=at)  # fmt: skip
    except IntegrityError:
        raise Conflict(f"a rule named {name!r} already exists", code="duplicate_rule")
    return rule


def tagrule_update(
    rule_id: int,
    actor,
    *,
    name: str | None = None,
    tag: str | None = None,
    condition=None,
    position: int | None = None,
    active: bool | None = None,
    at: datetime | None = None,
) -> TagRule:
    """Change a rule (only what is given). Leads keep their tags until the rules are applied again."""
    _check_admin(actor, "manage tag rules")
    at = at or clock.now()
    with transaction.atomic():
        rule = TagRule.objects.select_for_update().select_related("tag").filter(pk=rule_id).first()
        if rule is None:
            raise NotFound(f"tag rule {rule_id} does not exist")
        changed: dict = {}
        if name is not None:
            name = _rule_name_clean(name)
            if name != rule.name and TagRule.objects.filter(name=name).exclude(pk=rule.pk).exists():
                raise Conflict(f"a rule named {name!r} already exists", code="duplicate_rule")
            rule.name = changed["name"] = name
        if condition is not None:
            rule.condition = changed["condition"] = _condition_clean(condition)
        if tag is not None:
            rule.tag = _rule_tag(tag, actor, at)
            changed["tag"] = rule.tag.name
        if position is not None:
            if isinstance(position, bool) or not isinstance(position, int):
                raise InvalidInput(
                    "position: must be a whole number", details={"fields": {"position": "not a number"}}
                )
            rule.position = changed["position"] = position
        if active is not None:
            rule.active = changed["active"] = bool(active)
        rule.updated_at = at
        rule.save()
        audit_record(actor, "tags.tagrule_update", "tag_rule", rule.pk, changed, at=at)
    return rule


def rules_load() -> list[tuple[tagging.Rule, TagRule]]:
    """The active rules in order, each as core evaluates it. A stored condition that is not valid
    (changed outside Baton's services) is skipped and logged, never applied."""
    out = []
    for rule in TagRule.objects.filter(active=True).select_related("tag").order_by("position", "pk"):
        errors = tagging.validate(rule.condition)
        if errors:
            log.warning("tag rule %s (%s) skipped: %s", rule.pk, rule.name, "; ".join(errors))
            continue
        out.append((tagging.Rule(rule.pk, rule.tag_id, rule.condition), rule))
    return out


def rules_active() -> bool:
    """Whether any tag rule is active: asked on every capture, so kept a few seconds per process
    (``localcache``; saving or deleting a rule here drops it at once)."""
    return localcache.get(RULES_ACTIVE_CACHE_KEY, TagRule.objects.filter(active=True).exists)


def tag_rules_apply(lead_ids: Iterable[int], at: datetime | None = None) -> list[TagChange]:
    """Bring the rule tags of these leads in line with the active rules, as of ``at`` (default now).

    Adds the tags whose rules the lead now meets, removes those it no longer meets (or whose rules
    are inactive), and appends a ``tagged`` event per change, with the rule's explanation. Reads lead
    facts, behaviour counts and current tags with one query each per 500 leads; writes with one
    statement per table.
    """
    ids = list(dict.fromkeys(lead_ids))
    if not ids:
        return []
    at = at or clock.now()
    loaded = rules_load()
    core_rules = [core for core, _ in loaded]
    by_id = {rule.pk: (core, rule) for core, rule in loaded}
    needs = set().union(*(tagging.needs(r.condition) for r in core_rules)) if core_rules else set()
    fields = ("pk", "cycle", *tagging.FIELDS)
    changes: list[TagChange] = []
    with transaction.atomic():
        for part in chunks(sorted(ids)):
            leads = list(Lead.objects.filter(pk__in=part).select_for_update().order_by("pk").values(*fields))
            tallies = behaviour_tallies(part, needs, at) if needs else {}
            current: dict[int, dict[int, tuple[int, int | None, str]]] = {}
            for pk, lead_id, tag_id, rule_id, tag_name in LeadTag.objects.filter(
                lead_id__in=part, source=LeadTag.Source.RULE
            ).values_list("pk", "lead_id", "tag_id", "rule_id", "tag__name"):
                current.setdefault(lead_id, {})[tag_id] = (pk, rule_id, tag_name)
            new, gone, moved, events = [], [], [], []
            for lead in leads:
                lead_id = lead["pk"]
                facts = tagging.Facts({f: lead[f] for f in tagging.FIELDS}, tallies.get(lead_id, {}))
                desired = tagging.desired_tags(core_rules, facts)
                have = current.get(lead_id, {})
                for tag_id, match in desired.items():
                    rule = by_id[match.rule][1]
                    if tag_id in have:
                        pk, rule_id, _ = have[tag_id]
                        if rule_id != match.rule:
                            moved.append(LeadTag(pk=pk, rule_id=match.rule, reason=match.why[:REASON_MAX]))
                        continue
                    new.append(LeadTag(lead_id=lead_id, tag_id=tag_id, source=LeadTag.Source.RULE,
                                       rule_id=match.rule, reason=match.why[:REASON_MAX], added_at=at))  # fmt: skip
                    change = TagChange(lead_id, rule.tag.name, "added", LeadTag.Source.RULE, rule.name)
                    changes.append(change)
                    events.append(_event(lead_id, lead["cycle"], change, at, None, match.why))
                for tag_id, (pk, rule_id, tag_name) in have.items():
                    if tag_id in desired:
                        continue
                    gone.append(pk)
                    if rule_id in by_id:
                        core, rule = by_id[rule_id]
                        why = tagging.evaluate(core.condition, facts)[1]
                        rule_name = rule.name
                    else:
                        why, rule_name = "the rule that set it is no longer active", ""
                    change = TagChange(lead_id, tag_name, "removed", LeadTag.Source.RULE, rule_name)
                    changes.append(change)
                    events.append(_event(lead_id, lead["cycle"], change, at, None, why))
            if gone:
                LeadTag.objects.filter(pk__in=gone).delete()
            rows_insert(LeadTag, new)
            rows_update(LeadTag, moved, ["rule", "reason"])
            rows_insert(LeadEvent, events)
    return changes


def tag_rules_apply_all(*, at: datetime | None = None, actor=None, batch: int = 500) -> list[TagChange]:
    """Apply the rules to every lead (merged duplicates aside), ``batch`` leads per transaction."""
    _check_admin(actor, "apply the tag rules to all leads")
    at = at or clock.now()
    changes: list[TagChange] = []
    last = 0
    while True:
        ids = list(
            Lead.objects.filter(pk__gt=last, merged_into=None)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            break
        changes.extend(tag_rules_apply(ids, at))
        last = ids[-1]
    if actor is not None:
        audit_record(actor, "tags.tag_rules_apply_all", "tag_rule", "*", {"changes": len(changes)}, at=at)
    return changes
