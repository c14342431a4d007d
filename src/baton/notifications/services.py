"""Writes of notifications: in-app notifications and their fan-out to e-mail and webhooks, the users'
e-mail preferences, webhook endpoints, test events and redeliveries.

``notifications_send`` stores the in-app notifications and, in the same transaction, the outbox messages
for the other channels: an e-mail when the channel is configured and the recipient wants the verb's group
by e-mail, a webhook call per active endpoint subscribed to the verb. A batch costs a handful of queries
whatever its size. ``outbox.outbox_deliver`` sends them later.
"""

import json
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from baton import clock, localcache
from baton.core.errors import InvalidInput, NotAllowed
from baton.dbutil import rows_insert
from baton.notifications import messages, webhooks
from baton.notifications.email import absolute, email_enabled
from baton.notifications.models import Notification, NotificationPreference, OutboxMessage, WebhookEndpoint
from baton.notifications.outbox import outbox_deliver, outbox_deliver_now  # noqa: F401  (the app's API)

WEBHOOKS_CACHE_KEY = "notifications.webhooks"
GROUPS_CACHE_KEY = "notifications.email_groups"
NAME_MAX = 120
EVENTS_MAX = 50


@dataclass(frozen=True, slots=True)
class NotificationRequest:
    user: object  # a User or a user id
    verb: str
    params: dict
    link: str = ""
    lead: object = None
    at: datetime | None = None


def _row(req: NotificationRequest, now: datetime) -> Notification:
    user_field = {"user_id": req.user} if isinstance(req.user, int) else {"user": req.user}
    return Notification(
        **user_field, verb=req.verb, params=req.params, link=req.link, lead=req.lead, created_at=req.at or now
    )


@dataclass(frozen=True, slots=True)
class _Hook:
    id: int
    events: frozenset

    def wants(self, verb: str) -> bool:
        return messages.WILDCARD in self.events or verb in self.events


def _active_hooks() -> list[_Hook]:
    def load():
        rows = WebhookEndpoint.objects.filter(active=True).values_list("pk", "events")
        return [_Hook(pk, frozenset(events or ())) for pk, events in rows]

    return localcache.get(WEBHOOKS_CACHE_KEY, load)


def _new_id() -> str:
    return str(uuid.uuid4())


def _user_ref(user) -> dict:
    return {"id": user.pk, "username": user.username, "name": user.label}


def _groups_in_use() -> frozenset:
    """The verb groups someone gets by e-mail: the defaults and every group anyone chose (cached a few
    seconds), so a batch nobody could want by e-mail costs no query."""

    def load():
        chosen = NotificationPreference.objects.values_list("email_groups", flat=True).distinct()
        return frozenset(messages.EMAIL_DEFAULT_GROUPS).union(*[set(g or ()) for g in chosen])

    return localcache.get(GROUPS_CACHE_KEY, load)


def _message_en(n: Notification) -> str:
    # Webhook payloads are for machines: the same language and zone whoever's request caused them.
    with translation.override(settings.LANGUAGE_CODE), timezone.override(UTC):
        return messages.render(n.verb, n.params)


def _event_body(n: Notification, user, delivery_id: str) -> str:
    return webhooks.body_text({
        "id": delivery_id,
        "event": n.verb,
        "occurred_at": n.created_at.isoformat(),
        "notification_id": n.pk,
        "recipient": _user_ref(user) if user is not None else None,
        "lead_id": n.lead_id,
        "link": absolute(n.link),
        "message": _message_en(n),
        "params": n.params,
    })  # fmt: skip


def _fan_out(notes: list[Notification], now: datetime) -> None:
    """The outbox messages of a batch of notifications: a few queries per batch, one insert."""
    verbs = {n.verb for n in notes}
    hooks = [h for h in _active_hooks() if any(h.wants(v) for v in verbs)]
    mail = email_enabled() and any(messages.group_of(v) in _groups_in_use() for v in verbs)
    if not hooks and not mail:
        return
    from baton.org.models import User

    user_ids = {n.user_id for n in notes}
    users = User.objects.only("username", "display_name", "email", "is_active").in_bulk(user_ids)
    wanted = {}
    if mail:
        chosen = dict(
            NotificationPreference.objects.filter(user_id__in=user_ids).values_list("user_id", "email_groups")
        )
        default = set(messages.EMAIL_DEFAULT_GROUPS)
        wanted = {uid: set(chosen[uid]) if uid in chosen else default for uid in user_ids}
    rows = []
    for n in notes:
        user = users.get(n.user_id)
        emailed = mail and user is not None and user.is_active and user.email
        if emailed and messages.group_of(n.verb) in wanted.get(n.user_id, ()):
            payload = {"params": n.params, "link": n.link, "lead_id": n.lead_id, "notification_id": n.pk}
            rows.append(OutboxMessage(
                channel=OutboxMessage.Channel.EMAIL, delivery_id=_new_id(), event=n.verb, user_id=n.user_id,
                notification_id=n.pk, recipient=user.email, payload=payload, created_at=now, next_attempt_at=now,
            ))  # fmt: skip
        for hook in hooks:
            if hook.wants(n.verb):
                delivery_id = _new_id()
                rows.append(OutboxMessage(
                    channel=OutboxMessage.Channel.WEBHOOK, delivery_id=delivery_id, event=n.verb,
                    endpoint_id=hook.id, notification_id=n.pk, recipient="", body=_event_body(n, user, delivery_id),
                    created_at=now, next_attempt_at=now,
                ))  # fmt: skip
    if rows:
        rows_insert(OutboxMessage, rows)


def notifications_send(requests: Sequence[NotificationRequest]) -> list[Notification]:
    """Store many in-app notifications with one insert, and queue their e-mails and webhook calls in the
    same transaction (sent later by ``outbox_deliver``)."""
    if not requests:
        return []
    now = clock.now()
    with transaction.atomic(savepoint=False):
        notes = rows_insert(Notification, [_row(r, now) for r in requests])
        _fan_out(notes, now)
    return notes


def notification_send(
    user, verb: str, params: dict, *, link: str = "", lead=None, at: datetime | None = None
) -> Notification:
    return notifications_send([NotificationRequest(user, verb, params, link, lead, at)])[0]


def notifications_mark_read(user, ids: list[int] | None = None, *, seen_up_to: datetime | None = None) -> int:
    """Mark a user's unread notifications read: the given ones, or all (created up to ``seen_up_to``)."""
    qs = Notification.objects.filter(user=user, read_at=None)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    if seen_up_to is not None:
        qs = qs.filter(created_at__lte=seen_up_to)
    return qs.update(read_at=clock.now())


# --- Preferences ----------------------------------------------------------------------------------


def preferences_set(user, *, email_groups: Iterable[str] | None = None, language: str | None = None) -> dict:
    """Set which verb groups reach ``user`` by e-mail and/or the language of their e-mails (and of the
    UI: it is the user's language). All checked before anything is written."""
    problems = {}
    groups = None
    if email_groups is not None:
        groups = list(dict.fromkeys(email_groups))
        unknown = [g for g in groups if g not in messages.GROUPS]
        if unknown:
            problems["email_groups"] = (
                f"unknown group(s) {', '.join(map(repr, unknown))}; expected some of {', '.join(messages.GROUPS)}"
            )
    codes = [code for code, _name in settings.LANGUAGES]
    if language is not None:
        language = language.strip().lower().replace("_", "-")
        if language not in codes:
            problems["language"] = f"unknown language {language!r}; expected one of {', '.join(codes)}"
    if problems:
        raise InvalidInput("; ".join(f"{k}: {v}" for k, v in problems.items()), details={"fields": problems})
    now = clock.now()
    with transaction.atomic():
        if groups is not None:
            NotificationPreference.objects.update_or_create(
                user=user, defaults={"email_groups": groups, "updated_at": now}
            )
            localcache.invalidate(GROUPS_CACHE_KEY)
        if language is not None and user.language != language:
            user.language = language
            user.save(update_fields=["language"])
    from baton.notifications.selectors import preferences_get

    return preferences_get(user)


# --- Webhook endpoints ---------------------------------------------------------------------------


def _check_admin(actor) -> None:
    if actor is not None and not actor.is_admin:
        raise NotAllowed("only admins (sales ops) may manage webhooks")


def _events_clean(events) -> list[str]:
    if isinstance(events, str) or not isinstance(events, Iterable):
        raise InvalidInput(
            "events: a list of event names is required", details={"fields": {"events": "required"}}
        )
    events = [str(e).strip() for e in events]
    events = list(dict.fromkeys(e for e in events if e))
    if not events:
        message = "subscribe to at least one event (or '*' for all)"
        raise InvalidInput(f"events: {message}", details={"fields": {"events": message}})
    if len(events) > EVENTS_MAX:
        raise InvalidInput(f"events: at most {EVENTS_MAX}", details={"fields": {"events": "too many"}})
    known = set(messages.known_verbs()) | {messages.WILDCARD}
    unknown = [e for e in events if e not in known]
    if unknown:
        message = f"unknown event(s) {', '.join(map(repr, unknown))}; expected '*' or some of {', '.join(messages.known_verbs())}"
        raise InvalidInput(f"events: {message}", details={"fields": {"events": message}})
    return [messages.WILDCARD] if messages.WILDCARD in events else events


def _name_clean(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name: a name is required", details={"fields": {"name": "required"}})
    if len(name) > NAME_MAX:
        raise InvalidInput(
            f"name: longer than {NAME_MAX} characters", details={"fields": {"name": "too long"}}
        )
    return name


def new_secret() -> str:
    return webhooks.SECRET_PREFIX + secrets.token_urlsafe(32)


def _changed() -> None:
    localcache.invalidate(WEBHOOKS_CACHE_KEY)


def _audit(actor, action: str, endpoint: WebhookEndpoint, data: dict | None = None) -> None:
    from baton.org.services import audit_record

    audit_record(actor, action, "webhook_endpoint", endpoint.pk, data or {})  # never the secret


def webhook_create(actor, *, name: str, url: str, events, active: bool = True) -> tuple[WebhookEndpoint, str]:
    """Create an endpoint; returns it and its secret (shown to the person once, never again)."""
    _check_admin(actor)
    name, events = _name_clean(name), _events_clean(events)
    url = webhooks.url_clean(url)
    now = clock.now()
    secret = new_secret()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            name=name, url=url, secret=secret, events=events, active=bool(active), created_at=now,
            created_by=actor, updated_at=now, secret_rotated_at=now,
        )  # fmt: skip
        _audit(
            actor, "webhook.create", endpoint, {"name": name, "url": url, "events": events, "active": active}
        )
    _changed()
    return endpoint, secret


def webhook_update(actor, endpoint: WebhookEndpoint, *, name: str | None = None, url: str | None = None,
                   events=None, active: bool | None = None) -> WebhookEndpoint:  # fmt: skip
    _check_admin(actor)
    changes = {}
    if name is not None:
        changes["name"] = _name_clean(name)
    if url is not None:
        changes["url"] = webhooks.url_clean(url)
    if events is not None:
        changes["events"] = _events_clean(events)
    if active is not None:
        changes["active"] = bool(active)
    if not changes:
        return endpoint
    with transaction.atomic():
        for field, value in changes.items():
            setattr(endpoint, field, value)
        endpoint.updated_at = clock.now()
        endpoint.save(update_fields=[*changes, "updated_at"])
        _audit(actor, "webhook.update", endpoint, changes)
    _changed()
    return endpoint


def webhook_rotate_secret(actor, endpoint: WebhookEndpoint) -> str:
    """A new secret for the endpoint (the old one stops working at once); returned to be shown once."""
    _check_admin(actor)
    secret = new_secret()
    with transaction.atomic():
        endpoint.secret, endpoint.secret_rotated_at = secret, clock.now()
        endpoint.save(update_fields=["secret", "secret_rotated_at"])
        _audit(actor, "webhook.rotate_secret", endpoint)
    return secret


def webhook_delete(actor, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint with its deliveries and their log (to keep the log, deactivate it instead)."""
    _check_admin(actor)
    with transaction.atomic():
        _audit(actor, "webhook.delete", endpoint, {"name": endpoint.name, "url": endpoint.url})
        endpoint.delete()
    _changed()


def webhook_test(actor, endpoint: WebhookEndpoint, *, at: datetime | None = None) -> OutboxMessage:
    """Send a ``ping`` event to the endpoint now (active or not), once, and return the delivery."""
    _check_admin(actor)
    at = at or clock.now()
    delivery_id = _new_id()
    body = webhooks.body_text({
        "id": delivery_id, "event": messages.TEST_EVENT, "occurred_at": at.isoformat(),
        "endpoint": {"id": endpoint.pk, "name": endpoint.name},
        "sent_by": _user_ref(actor) if actor is not None else None,
        "message": "A test event from Baton: your endpoint is reachable and can check the signature.",
    })  # fmt: skip
    message = OutboxMessage.objects.create(
        channel=OutboxMessage.Channel.WEBHOOK, delivery_id=delivery_id, event=messages.TEST_EVENT,
        endpoint=endpoint, recipient="", body=body, created_at=at, next_attempt_at=at,
    )  # fmt: skip
    outbox_deliver_now([message.pk], at)
    message.refresh_from_db()
    return message


def delivery_redeliver(actor, message: OutboxMessage, *, at: datetime | None = None) -> OutboxMessage:
    """Send a webhook delivery again as a new delivery (a new X-Baton-Delivery id, the same event and
    body otherwise), now; it is retried like any other if it fails."""
    _check_admin(actor)
    if message.channel != OutboxMessage.Channel.WEBHOOK or message.endpoint_id is None:
        raise InvalidInput("only webhook deliveries can be redelivered")
    if message.status == OutboxMessage.Status.PENDING:
        raise InvalidInput(
            "this delivery is still pending (it will be retried on its schedule); redeliver it once it has "
            "been delivered or has failed", code="delivery_pending",
        )  # fmt: skip
    at = at or clock.now()
    delivery_id = _new_id()
    body = message.body
    try:
        data = json.loads(body)
        if isinstance(data, dict) and "id" in data:
            data["id"] = delivery_id
            data["redelivery_of"] = message.delivery_id
            body = webhooks.body_text(data)
    except ValueError:
        pass
    copy = OutboxMessage.objects.create(
        channel=message.channel, delivery_id=delivery_id, event=message.event, endpoint_id=message.endpoint_id,
        notification_id=message.notification_id, recipient="", body=body, redelivery_of=message,
        created_at=at, next_attempt_at=at,
    )  # fmt: skip
    outbox_deliver_now([copy.pk], at)
    copy.refresh_from_db()
    return copy
