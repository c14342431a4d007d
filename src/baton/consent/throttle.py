"""Rate limit of the public unsubscribe endpoints: per client address, at the web-form rate."""

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import AnonRateThrottle


def unsubscribe_rate() -> str:
    return f"{settings.BATON['FORM_RATE_PER_MIN']}/m"


class UnsubscribeThrottle(AnonRateThrottle):
    """The web forms' throttle (same rate, same client address rule) in a bucket of its own."""

    scope = "unsubscribe"


def unsubscribe_allowed(request: HttpRequest) -> bool:
    """For the plain Django views (the API uses ``UnsubscribeThrottle`` through ninja)."""
    return UnsubscribeThrottle(unsubscribe_rate()).allow_request(request)
