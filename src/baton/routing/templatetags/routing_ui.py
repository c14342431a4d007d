"""Template filters of routing: strategy names and skip reasons in the reader's language."""

import re

from django import template
from django.utils.translation import gettext

from baton.routing.selectors import strategy_label
from baton.web.templatetags.baton_ui import skip_reason

register = template.Library()

# The reasons core.routing.skip_reason writes (in English, stored in explanations), read back to translate.
_REASONS = (
    (re.compile(r"^on leave until (\S+)$"), lambda m: gettext("on leave until %(day)s") % {"day": m[1]}),
    (re.compile(r"^not on the eligible list for (.+)$"),
     lambda m: gettext("not on the eligible list for %(month)s") % {"month": m[1]}),
    (re.compile(r"^outside their working hours$"), lambda m: gettext("outside their working hours")),
    (re.compile(r"^daily cap reached \((\d+)/(\d+)\)$"),
     lambda m: gettext("daily cap reached (%(n)s/%(cap)s)") % {"n": m[1], "cap": m[2]}),
    (re.compile(r"^open-item cap reached \((\d+)/(\d+)\)$"),
     lambda m: gettext("open-item cap reached (%(n)s/%(cap)s)") % {"n": m[1], "cap": m[2]}),
)  # fmt: skip


@register.filter
def routing_strategy(strategy: str) -> str:
    return strategy_label(strategy or "round_robin")


@register.filter
def routing_skip_reason(text: str) -> str:
    for pattern, say in _REASONS:
        found = pattern.match(text or "")
        if found:
            return say(found)
    return skip_reason(text or "")
