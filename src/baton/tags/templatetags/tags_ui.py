"""The tags card of the lead page: ``{% load tags_ui %}{% lead_tags_card %}`` where ``lead`` is in context."""

from django import template

register = template.Library()


@register.inclusion_tag("tags/_card.html", takes_context=True)
def lead_tags_card(context):
    from baton.tags.views import lead_card_context

    failed = context.get("tags_card_failed")  # a plain POST that failed: the card with its error
    card = failed if failed is not None else lead_card_context(context["lead"])
    return {**card, "request": context.get("request"), "user": context.get("user")}
