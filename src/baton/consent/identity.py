"""Who a consent record is about: the normalised e-mail and/or E.164 phone of a person, and domains."""

from baton.core import normalize
from baton.core.errors import InvalidInput
from baton.org.models import OrgSettings


def email_key(raw: str) -> str:
    """The e-mail as consent stores it: normalised by ``normalize.email``, then lower-cased whole."""
    try:
        return normalize.email(raw).address.lower()
    except normalize.NormalisationError as exc:
        raise InvalidInput(f"email: {exc.message}", details={"fields": {"email": exc.message}})


def phone_key(raw: str, region: str) -> str:
    try:
        return normalize.phone(raw, region)
    except normalize.NormalisationError as exc:
        raise InvalidInput(f"phone: {exc.message}", details={"fields": {"phone": exc.message}})


class PhoneRegion:
    """The organisation's default phone region, read at most once and only if a number needs it."""

    def __init__(self, region: str | None = None):
        self._region = region

    def __call__(self, raw: str) -> str:
        if raw.strip().startswith("+"):
            return "ZZ"  # an international number carries its own region
        if self._region is None:
            self._region = OrgSettings.get().default_phone_region
        return self._region


def identity_clean(email: str | None, phone: str | None, *, region=None) -> tuple[str, str]:
    """(e-mail key, E.164 phone) of a person; at least one is required. Raises InvalidInput."""
    region = region or PhoneRegion()
    email = (email or "").strip()
    phone = (phone or "").strip()
    if not email and not phone:
        raise InvalidInput(
            "an e-mail or a phone number is required", details={"fields": {"email": "required"}}
        )
    return (email_key(email) if email else "", phone_key(phone, region(phone)) if phone else "")


def domain_clean(raw: str) -> str:
    """A domain as typed ("Example.com", "@example.com", "https://www.example.com/x") → "example.com"."""
    text = (raw or "").strip()
    if not text:
        raise InvalidInput("domain: is required", details={"fields": {"domain": "is required"}})
    text = normalize.domain_from_website(text.lstrip("@"))
    try:
        return normalize.email(f"postmaster@{text}").domain
    except normalize.NormalisationError:
        message = f"{raw.strip()!r} is not a valid domain (expected something like example.com)"
        raise InvalidInput(f"domain: {message}", details={"fields": {"domain": message}})
