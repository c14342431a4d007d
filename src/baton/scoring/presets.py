"""A recommended scoring model: what a team can start a draft from (and what ``baton bench score`` uses).

Fit on seniority (computed from English and Chinese titles), industry, company-size bands, region and an
imported budget band (``extra.budget``); engagement on the capture channel and on behaviour, each kind
with points per event, a cap and a half-life.
"""

from django.utils.translation import gettext_noop

RECOMMENDED_NAME = "Recommended: seniority, size bands, behaviour with decay"

RECOMMENDED_RULES = [
    {"kind": "fit", "field": "seniority", "op": "in", "value": ["c_level", "vp"], "points": 30,
     "label": "Executive (C-level, VP)"},
    {"kind": "fit", "field": "seniority", "op": "eq", "value": "director", "points": 20, "label": "Director"},
    {"kind": "fit", "field": "seniority", "op": "eq", "value": "manager", "points": 10, "label": "Manager"},
    {"kind": "fit", "field": "industry", "op": "in", "points": 15, "label": "Target industry",
     "value": ["software", "internet", "manufacturing", "finance", "healthcare", "education",
               "软件", "互联网", "制造", "金融", "医疗", "教育"]},
    {"kind": "fit", "field": "company_size", "op": "between", "value": [1000, None], "points": 20,
     "label": "1,000+ employees"},
    {"kind": "fit", "field": "company_size", "op": "between", "value": [200, 1000], "points": 15,
     "label": "200–999 employees"},
    {"kind": "fit", "field": "company_size", "op": "between", "value": [50, 200], "points": 8,
     "label": "50–199 employees"},
    {"kind": "fit", "field": "region", "op": "in", "value": ["East", "North", "South", "华东", "华北", "华南"],
     "points": 5, "label": "Covered region"},
    {"kind": "fit", "field": "extra.budget", "op": "in", "value": ["500k+", "100k-500k", "50万以上", "10-50万"],
     "points": 15, "label": "Budget band"},
    {"kind": "engagement", "field": "source", "op": "in", "value": ["trial_signup", "hotline", "chat"], "points": 20,
     "label": "High-intent channel"},
    {"kind": "engagement", "field": "behaviour.signup", "op": "count", "points": 15, "cap": 15,
     "half_life_days": 30, "label": "Signed up"},
    {"kind": "engagement", "field": "behaviour.event_attendance", "op": "count", "points": 15, "cap": 30,
     "half_life_days": 45, "label": "Came to an event"},
    {"kind": "engagement", "field": "behaviour.event_registration", "op": "count", "points": 5, "cap": 10,
     "half_life_days": 30, "label": "Registered for an event"},
    {"kind": "engagement", "field": "behaviour.content_download", "op": "count", "points": 8, "cap": 24,
     "half_life_days": 30, "label": "Downloaded content"},
    {"kind": "engagement", "field": "behaviour.email_click", "op": "count", "points": 3, "cap": 15,
     "half_life_days": 14, "label": "Clicked an e-mail"},
    {"kind": "engagement", "field": "behaviour.email_open", "op": "count", "points": 1, "cap": 5,
     "half_life_days": 7, "label": "Opened an e-mail"},
    {"kind": "engagement", "field": "behaviour.page_visit", "op": "count", "points": 1, "cap": 10,
     "half_life_days": 7, "label": "Visited the website"},
    {"kind": "engagement", "field": "behaviour.replied", "op": "count", "points": 10, "cap": 30,
     "half_life_days": 30, "label": "Replied"},
    {"kind": "engagement", "field": "behaviour.connected", "op": "count", "points": 10, "cap": 30,
     "half_life_days": 30, "label": "Meaningful call"},
    {"kind": "engagement", "field": "behaviour.meeting_held", "op": "count", "points": 20, "cap": 40,
     "half_life_days": 60, "label": "Meeting held"},
]  # fmt: skip

RECOMMENDED_GRADES = {"fit": [60, 40, 20], "engagement": [50, 25, 10]}
RECOMMENDED_BANDS = [
    {"band": "handoff_ready", "fit": "A", "engagement": "2", "min_total": 0},
    {"band": "handoff_ready", "fit": "B", "engagement": "1", "min_total": 0},
    {"band": "sdr_queue", "fit": "B", "engagement": "3", "min_total": 0},
    {"band": "sdr_queue", "fit": "C", "engagement": "2", "min_total": 0},
    {"band": "sdr_queue", "fit": "D", "engagement": "1", "min_total": 0},
]

# The labels are stored in English with the rules; listed here so that makemessages collects them and the
# lead page shows them translated (the ``factor_label`` filter), as web/labels.py does for version 1's.
RULE_LABELS = (
    gettext_noop("Executive (C-level, VP)"),
    gettext_noop("Director"),
    gettext_noop("Manager"),
    gettext_noop("Target industry"),
    gettext_noop("1,000+ employees"),
    gettext_noop("200–999 employees"),
    gettext_noop("50–199 employees"),
    gettext_noop("Covered region"),
    gettext_noop("Budget band"),
    gettext_noop("High-intent channel"),
    gettext_noop("Signed up"),
    gettext_noop("Came to an event"),
    gettext_noop("Registered for an event"),
    gettext_noop("Downloaded content"),
    gettext_noop("Clicked an e-mail"),
    gettext_noop("Opened an e-mail"),
    gettext_noop("Visited the website"),
    gettext_noop("Replied"),
    gettext_noop("Meaningful call"),
    gettext_noop("Meeting held"),
)
