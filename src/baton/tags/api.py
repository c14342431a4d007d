"""Tags API: /api/v1/tags, /api/v1/leads/{id}/tags, /api/v1/tag-rules."""

from datetime import datetime
from typing import Any

from ninja import Field, Router, Schema, Status

from baton.core import tagging
from baton.core.errors import InvalidInput
from baton.leads.selectors import lead_get
from baton.tags import selectors, services
from baton.tags.models import LeadTag, Tag, TagRule

router = Router(tags=["tags"])
lead_router = Router(tags=["tags"])
rules_router = Router(tags=["tags"])


class TagIn(Schema):
    name: str = Field(..., max_length=200, description="unique whatever the letter case; no '/' or ','")
    colour: Tag.Colour = Tag.Colour.GRAY
    kind: Tag.Kind = Field(Tag.Kind.MANUAL, description="auto: a tag for rules (admins)")

    model_config = {"extra": "forbid"}


class TagOut(Schema):
    id: int
    name: str
    colour: str
    kind: str
    lead_count: int
    created_at: datetime
    created_by: str | None


class RuleRef(Schema):
    id: int
    name: str


class LeadTagOut(Schema):
    tag: str
    colour: str
    source: str = Field(..., description="manual or rule")
    rule: RuleRef | None
    reason: str
    added_at: datetime
    added_by: str | None


class LeadTagsIn(Schema):
    names: list[str] = Field(..., description="tag names; new names become manual tags")

    model_config = {"extra": "forbid"}


class RuleIn(Schema):
    name: str = Field(..., max_length=200)
    tag: str = Field(..., max_length=200, description="the automatic tag it sets (created if new)")
    condition: Any = Field(..., description="see core/tagging.py: all/any/not, field and behaviour tests")
    position: int | None = Field(None, description="rules run in this order (default: after the others)")
    active: bool = True

    model_config = {"extra": "forbid"}


class RulePatch(Schema):
    name: str | None = Field(None, max_length=200)
    tag: str | None = Field(None, max_length=200)
    condition: Any = None
    position: int | None = None
    active: bool | None = None

    model_config = {"extra": "forbid"}


class RuleOut(Schema):
    id: int
    name: str
    tag: str
    active: bool
    position: int
    condition: Any
    description: str
    created_at: datetime
    updated_at: datetime


class ApplyOut(Schema):
    added: int
    removed: int


def tag_out(tag: Tag) -> dict:
    return {
        **{f: getattr(tag, f) for f in ("id", "name", "colour", "kind", "created_at")},
        "lead_count": getattr(tag, "lead_count", 0),
        "created_by": tag.created_by.username if tag.created_by else None,
    }


def lead_tag_out(lt: LeadTag) -> dict:
    return {
        "tag": lt.tag.name,
        "colour": lt.tag.colour,
        "source": lt.source,
        "rule": {"id": lt.rule.pk, "name": lt.rule.name} if lt.rule else None,
        "reason": lt.reason,
        "added_at": lt.added_at,
        "added_by": lt.added_by.username if lt.added_by else None,
    }


def rule_out(rule: TagRule) -> dict:
    try:
        description = tagging.describe(rule.condition)
    except ValueError as exc:
        description = f"(not valid: {exc})"
    return {
        **{
            f: getattr(rule, f)
            for f in ("id", "name", "active", "position", "condition", "created_at", "updated_at")
        },
        "tag": rule.tag.name,
        "description": description,
    }


@router.get("", response=list[TagOut], summary="All tags, with how many leads carry each")
def list_tags(request):
    return [tag_out(t) for t in selectors.tags_list().select_related("created_by")]


@router.post("", response={201: TagOut}, summary="Create a tag (409 if the name exists in any letter case)")
def create_tag(request, payload: TagIn):
    tag = services.tag_create(
        payload.name, request.auth, colour=payload.colour.value, kind=payload.kind.value
    )
    return Status(201, tag_out(tag))


@lead_router.get("/{lead_id}/tags", response=list[LeadTagOut], summary="A lead's tags")
def get_lead_tags(request, lead_id: int):
    return [lead_tag_out(lt) for lt in selectors.lead_tags_of(request.auth, lead_id)]


@lead_router.post("/{lead_id}/tags", response=list[LeadTagOut], summary="Tag a lead by hand")
def add_lead_tags(request, lead_id: int, payload: LeadTagsIn):
    """Names that do not exist become manual tags; tags the lead has already stay. Automatic (rule) tags
    cannot be added by hand (422)."""
    services.lead_tags_add(lead_id, payload.names, request.auth)
    return [lead_tag_out(lt) for lt in selectors.lead_tags(lead_id)]


@lead_router.delete(
    "/{lead_id}/tags/{name}", response=list[LeadTagOut], summary="Remove a manual tag from a lead"
)
def remove_lead_tag(request, lead_id: int, name: str):
    lead = lead_get(request.auth, lead_id)
    services.lead_tag_remove(lead.pk, name, request.auth)
    return [lead_tag_out(lt) for lt in selectors.lead_tags(lead.pk)]


@rules_router.get("", response=list[RuleOut], summary="Tag rules, in the order they run")
def list_rules(request, active: bool | None = None):
    return [rule_out(r) for r in selectors.tag_rules(active_only=bool(active))]


@rules_router.post("", response={201: RuleOut}, summary="Create a tag rule (admins)")
def create_rule(request, payload: RuleIn):
    rule = services.tagrule_create(request.auth, name=payload.name, tag=payload.tag, condition=payload.condition,
                                   position=payload.position, active=payload.active)  # fmt: skip
    return Status(201, rule_out(rule))


@rules_router.post("/apply", response=ApplyOut, summary="Apply the tag rules to every lead now (admins)")
def apply_rules(request):
    changes = services.tag_rules_apply_all(actor=request.auth)
    return {
        "added": sum(c.action == "added" for c in changes),
        "removed": sum(c.action == "removed" for c in changes),
    }


# After /apply: a path parameter would otherwise take the word "apply".
@rules_router.patch("/{rule_id}", response=RuleOut, summary="Change a tag rule (admins)")
def update_rule(request, rule_id: int, payload: RulePatch):
    changes = payload.model_dump(exclude_unset=True)
    nulls = sorted(k for k, v in changes.items() if v is None)
    if nulls:
        raise InvalidInput(f"{', '.join(nulls)}: may not be null (leave out what does not change)")
    return rule_out(services.tagrule_update(rule_id, request.auth, **changes))
