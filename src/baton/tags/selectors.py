"""Reads on tags: all tags (with how many leads carry them), a lead's tags, the rules."""

from collections.abc import Sequence

from django.db.models import Count, QuerySet

from baton.dbutil import chunks
from baton.leads.selectors import lead_get
from baton.tags.models import LeadTag, Tag, TagRule


def tags_list() -> QuerySet[Tag]:
    """Every tag with ``lead_count``: manual tags first, then by name."""
    return Tag.objects.annotate(lead_count=Count("lead_tags")).order_by("-kind", "key")


def manual_tag_names(limit: int = 200) -> list[str]:
    """Names to suggest when tagging by hand."""
    return list(
        Tag.objects.filter(kind=Tag.Kind.MANUAL).order_by("key").values_list("name", flat=True)[:limit]
    )


def lead_tags(lead_id: int) -> QuerySet[LeadTag]:
    """A lead's tags (no visibility check: pass the id of a lead you got from ``lead_get``)."""
    return (
        LeadTag.objects.filter(lead_id=lead_id)
        .select_related("tag", "rule", "added_by")
        .order_by("source", "tag__key")
    )


def lead_tags_of(user, lead_id: int) -> list[LeadTag]:
    """The tags of a lead the user can see; NotFound (404) otherwise."""
    return list(lead_tags(lead_get(user, lead_id).pk))


def leads_tags(lead_ids: Sequence[int]) -> dict[int, list[LeadTag]]:
    """{lead id: its tags} for many leads: one query per 500 leads (for lists and exports)."""
    out: dict[int, list[LeadTag]] = {pk: [] for pk in lead_ids}
    for part in chunks(list(out)):
        for lt in (
            LeadTag.objects.filter(lead_id__in=part).select_related("tag").order_by("source", "tag__key")
        ):
            out[lt.lead_id].append(lt)
    return out


def tag_rules(*, active_only: bool = False) -> QuerySet[TagRule]:
    qs = TagRule.objects.select_related("tag", "created_by").order_by("position", "pk")
    return qs.filter(active=True) if active_only else qs
