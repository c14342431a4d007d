"""The e-mail channel: whether it is on, and an outbox message rendered as an e-mail in the recipient's
language and time zone (text and HTML from templates/notifications/email/).

Sending goes through Django's SMTP backend, configured by the EMAIL_* settings that settings.py reads
from BATON_SMTP_*; without a host the channel is off.
"""

import smtplib
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from baton.logging import redact
from baton.notifications import messages

ERROR_MAX = 1000


@dataclass(frozen=True, slots=True)
class EmailChannel:
    enabled: bool
    detail: str


def email_enabled() -> bool:
    return bool(getattr(settings, "EMAIL_HOST", ""))


def email_channel() -> EmailChannel:
    """Whether e-mail notifications can be sent, and a sentence saying how (never the password)."""
    if not email_enabled():
        return EmailChannel(
            False, _("E-mail notifications are off: no SMTP server is configured (BATON_SMTP_HOST).")
        )
    security = (
        "SSL/TLS" if settings.EMAIL_USE_SSL else "STARTTLS" if settings.EMAIL_USE_TLS else _("unencrypted")
    )
    return EmailChannel(
        True,
        _("E-mail goes through %(host)s:%(port)s (%(security)s) from %(sender)s.")
        % {"host": settings.EMAIL_HOST, "port": settings.EMAIL_PORT, "security": security,
           "sender": settings.DEFAULT_FROM_EMAIL},
    )  # fmt: skip


def smtp_connection() -> EmailBackend:
    """Django's SMTP backend, always: pytest-django swaps settings.EMAIL_BACKEND for an in-memory one,
    and this channel is SMTP by definition (tests talk to a real SMTP server on loopback)."""
    return EmailBackend(fail_silently=False)


def language_of(user) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return user.language if user.language in codes else settings.LANGUAGE_CODE


def _zone(user):
    try:
        return zoneinfo.ZoneInfo(user.effective_timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def absolute(link: str) -> str:
    if not link:
        return ""
    if link.startswith(("http://", "https://")):
        return link
    base = settings.BATON.get("BASE_URL", "http://localhost:8000")
    return base + (link if link.startswith("/") else "/" + link)


def email_build(message, user, lead=None) -> EmailMultiAlternatives:
    """The e-mail for an outbox message to ``user``: subject, text and HTML in their language and zone."""
    payload = message.payload or {}
    verb, params = message.event, payload.get("params") or {}
    with translation.override(language_of(user)), timezone.override(_zone(user)):
        shown = messages.display_params(params)
        count = params.get("count")
        context = {
            "verb": verb,
            "params": shown,
            "text": messages.render(verb, params),
            "link": absolute(payload.get("link", "")),
            "user": user,
            # The lead, when the notification names one (the SLA engine's may cover several: ``count``).
            "lead_name": lead.name if lead is not None else params.get("lead") or "",
            "company": lead.company if lead is not None else "",
            "count": count if isinstance(count, int) and count > 0 else 1,
            "due": shown["due"] if "due" in shown else shown.get("since", "…"),
            "preferences_url": absolute("/settings/notifications/"),
            "subject": messages.subject(verb, params),
        }
        name = messages.EMAIL_TEMPLATES.get(verb, "generic")
        text = render_to_string(f"notifications/email/{name}.txt", context)
        html = render_to_string(f"notifications/email/{name}.html", context)
        subject = context["subject"]
    mail = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers={
            "X-Baton-Delivery": message.delivery_id,
            "X-Baton-Event": verb,
            "Auto-Submitted": "auto-generated",
        },
    )
    mail.attach_alternative(html, "text/html")
    return mail


def permanent(exc: Exception) -> bool:
    """An SMTP error that trying again will not cure: every recipient refused with a 5xx code."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    return False


def error_text(exc: Exception) -> str:
    """An exception as a delivery-log line: its type and message, secrets removed, truncated."""
    text = f"{type(exc).__name__}: {exc}"
    password = getattr(settings, "EMAIL_HOST_PASSWORD", "")
    if password:
        text = text.replace(password, "[redacted]")
    text = redact(text)
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"
