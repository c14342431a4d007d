"""Behaviour events (spec §4.2): the kinds, and the checks on one event that need no database.

Pure: no Django, no I/O, no clock reads (the caller passes ``now``).
"""

from datetime import datetime, timedelta

SIGNUP = "signup"
EVENT_REGISTRATION = "event_registration"
EVENT_ATTENDANCE = "event_attendance"
CONTENT_DOWNLOAD = "content_download"
EMAIL_OPEN = "email_open"
EMAIL_CLICK = "email_click"
PAGE_VISIT = "page_visit"

KINDS = (SIGNUP, EVENT_REGISTRATION, EVENT_ATTENDANCE, CONTENT_DOWNLOAD, EMAIL_OPEN, EMAIL_CLICK, PAGE_VISIT)

# Other systems' clocks run a little ahead of ours: a few minutes "in the future" is not an error.
CLOCK_SKEW = timedelta(minutes=5)

DETAIL_KEYS = ("title", "url", "campaign")
DETAIL_MAX = {"title": 300, "url": 1000, "campaign": 200}
CHANNEL_MAX = 60
EXTERNAL_ID_MAX = 200


def time_problem(occurred_at: datetime, *, now: datetime, lead_created_at: datetime | None = None) -> str:
    """Why ``occurred_at`` cannot be a behaviour event's time ("" when it can)."""
    if occurred_at.tzinfo is None:
        return "needs a UTC offset, e.g. 2026-11-23T09:30:00+08:00"
    if occurred_at > now + CLOCK_SKEW:
        return f"is in the future ({occurred_at.isoformat()})"
    if lead_created_at is not None and occurred_at < lead_created_at:
        return f"is before the lead was created ({lead_created_at.isoformat()})"
    return ""
