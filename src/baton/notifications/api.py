"""Notifications API: /api/v1/notifications (yours, your preferences) and /api/v1/webhooks (ops admins)."""

from datetime import datetime

from ninja import Field, Router, Schema, Status

from baton.core.errors import InvalidInput
from baton.notifications import messages, selectors, services
from baton.notifications.messages import render
from baton.notifications.models import DeliveryAttempt, Notification, OutboxMessage, WebhookEndpoint
from baton.notifications.services import notifications_mark_read

router = Router(tags=["notifications"])
webhooks_router = Router(tags=["webhooks"])


class NotificationOut(Schema):
    id: int
    verb: str
    message: str
    link: str
    lead_id: int | None
    created_at: datetime
    read: bool


@router.get("", response=list[NotificationOut])
def list_notifications(request, unread_only: bool = False, limit: int = 50):
    qs = Notification.objects.filter(user=request.auth).order_by("-created_at", "-id")
    if unread_only:
        qs = qs.filter(read_at=None)
    return [{"id": n.pk, "verb": n.verb, "message": render(n.verb, n.params), "link": n.link, "lead_id": n.lead_id,
             "created_at": n.created_at, "read": n.read_at is not None} for n in qs[: min(max(limit, 1), 200)]]  # fmt: skip


@router.post("/read", summary="Mark all your notifications read")
def mark_read(request):
    return {"marked": notifications_mark_read(request.auth)}


# --- Preferences ----------------------------------------------------------------------------------


class GroupOut(Schema):
    key: str
    label: str
    verbs: list[str]
    default: bool


class PreferencesOut(Schema):
    email_groups: list[str] = Field(..., description="the verb groups that reach you by e-mail")
    language: str = Field(..., description="en or zh-hans (empty: the organisation's default, English)")
    email_address: str
    email_available: bool = Field(..., description="false: no SMTP server is configured; nothing is e-mailed")
    email_status: str
    groups: list[GroupOut]


class PreferencesIn(Schema):
    email_groups: list[str] | None = Field(None, description="group keys; [] turns e-mail off")
    language: str | None = Field(None, description="en or zh-hans")

    model_config = {"extra": "forbid"}


def _groups() -> list[dict]:
    return [
        {
            "key": key,
            "label": str(label),
            "verbs": list(verbs),
            "default": key in messages.EMAIL_DEFAULT_GROUPS,
        }
        for key, (label, verbs) in messages.GROUPS.items()
    ]


@router.get("/preferences", response=PreferencesOut, summary="Your notification preferences")
def get_preferences(request):
    return {**selectors.preferences_get(request.auth), "groups": _groups()}


@router.put(
    "/preferences", response=PreferencesOut, summary="Set what reaches you by e-mail, and its language"
)
def put_preferences(request, payload: PreferencesIn):
    if payload.email_groups is None and payload.language is None:
        raise InvalidInput("give email_groups and/or language")
    prefs = services.preferences_set(
        request.auth, email_groups=payload.email_groups, language=payload.language
    )
    return {**prefs, "groups": _groups()}


# --- Webhooks -------------------------------------------------------------------------------------


class WebhookIn(Schema):
    name: str = Field(..., max_length=120)
    url: str = Field(
        ..., description="http(s) URL; public addresses only unless BATON_WEBHOOK_ALLOW_PRIVATE=1"
    )
    events: list[str] = Field(..., description="notification verbs (GET /webhooks/events), or ['*'] for all")
    active: bool = True

    model_config = {"extra": "forbid"}


class WebhookPatch(Schema):
    name: str | None = Field(None, max_length=120)
    url: str | None = None
    events: list[str] | None = None
    active: bool | None = None

    model_config = {"extra": "forbid"}


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    active: bool
    secret_hint: str = Field(..., description="the start of the secret, to tell secrets apart")
    created_at: datetime
    updated_at: datetime
    secret_rotated_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(..., description="shown this once: keep it in the receiver's configuration")


class SecretOut(Schema):
    secret: str = Field(..., description="shown this once; the previous secret no longer works")


class EventOut(Schema):
    event: str
    group: str


class AttemptOut(Schema):
    number: int
    attempted_at: datetime
    result: str = Field(..., description="delivered, retry or failed")
    status_code: int | None
    duration_ms: int
    response_excerpt: str
    error: str


class DeliveryOut(Schema):
    id: str = Field(..., description="the X-Baton-Delivery header")
    event: str
    status: str = Field(..., description="pending, delivered or failed")
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str
    redelivery_of: str | None
    body: str
    log: list[AttemptOut]


def webhook_out(e: WebhookEndpoint, secret: str | None = None) -> dict:
    data = {
        f: getattr(e, f)
        for f in ("id", "name", "url", "events", "active", "secret_hint", "created_at", "updated_at",
                  "secret_rotated_at")
    }  # fmt: skip
    if secret is not None:
        data["secret"] = secret
    return data


def _attempt(a: DeliveryAttempt) -> dict:
    return {f: getattr(a, f) for f in ("number", "attempted_at", "result", "status_code", "duration_ms",
                                       "response_excerpt", "error")}  # fmt: skip


def delivery_out(
    m: OutboxMessage, log: list[DeliveryAttempt] | None = None, original: str | None = None
) -> dict:
    """A delivery; without ``log`` its attempts and the id of the delivery it repeats are read (2 queries)."""
    if log is None:
        log = list(m.attempt_log.order_by("number", "id"))
        original = m.redelivery_of.delivery_id if m.redelivery_of_id else None
    return {
        "id": m.delivery_id, "event": m.event, "status": m.status, "attempts": m.attempts,
        "created_at": m.created_at, "next_attempt_at": m.next_attempt_at, "delivered_at": m.delivered_at,
        "last_error": m.last_error, "redelivery_of": original, "body": m.body, "log": [_attempt(a) for a in log],
    }  # fmt: skip


@webhooks_router.get("/events", response=list[EventOut], summary="The events an endpoint can subscribe to")
def list_events(request):
    return [{"event": v, "group": messages.group_of(v)} for v in messages.known_verbs()]


@webhooks_router.get("", response=list[WebhookOut], summary="Webhook endpoints (ops admins)")
def list_webhooks(request):
    return [webhook_out(e) for e in selectors.webhooks_list(request.auth)]


@webhooks_router.post(
    "", response={201: WebhookCreatedOut}, summary="Create an endpoint; its secret is shown once"
)
def create_webhook(request, payload: WebhookIn):
    endpoint, secret = services.webhook_create(
        request.auth, name=payload.name, url=payload.url, events=payload.events, active=payload.active
    )
    return Status(201, webhook_out(endpoint, secret))


@webhooks_router.get("/{endpoint_id}", response=WebhookOut, summary="One endpoint (without its secret)")
def get_webhook(request, endpoint_id: int):
    return webhook_out(selectors.webhook_get(request.auth, endpoint_id))


@webhooks_router.patch(
    "/{endpoint_id}", response=WebhookOut, summary="Change an endpoint's name, URL, events, state"
)
def update_webhook(request, endpoint_id: int, payload: WebhookPatch):
    endpoint = selectors.webhook_get(request.auth, endpoint_id)
    fields = payload.model_dump(exclude_unset=True)
    return webhook_out(services.webhook_update(request.auth, endpoint, **fields))


@webhooks_router.delete(
    "/{endpoint_id}", response={204: None}, summary="Delete an endpoint and its delivery log"
)
def delete_webhook(request, endpoint_id: int):
    services.webhook_delete(request.auth, selectors.webhook_get(request.auth, endpoint_id))
    return Status(204, None)


@webhooks_router.post(
    "/{endpoint_id}/rotate-secret", response=SecretOut, summary="Replace the secret (shown once)"
)
def rotate_secret(request, endpoint_id: int):
    endpoint = selectors.webhook_get(request.auth, endpoint_id)
    return {"secret": services.webhook_rotate_secret(request.auth, endpoint)}


@webhooks_router.get(
    "/{endpoint_id}/deliveries", response=list[DeliveryOut], summary="The endpoint's deliveries, newest first"
)
def list_deliveries(request, endpoint_id: int, status: str | None = None, limit: int = 50):
    if status is not None and status not in OutboxMessage.Status.values:
        raise InvalidInput(
            f"unknown status {status!r}; expected one of {', '.join(OutboxMessage.Status.values)}"
        )
    if not 1 <= limit <= 500:
        raise InvalidInput("limit must be between 1 and 500")
    endpoint = selectors.webhook_get(request.auth, endpoint_id)
    rows = selectors.deliveries_for(request.auth, endpoint, status=status, limit=limit)
    originals = {m.redelivery_of_id for m in rows} - {None}
    ids = (
        dict(OutboxMessage.objects.filter(pk__in=originals).values_list("pk", "delivery_id"))
        if originals
        else {}
    )
    return [delivery_out(m, m.log, ids.get(m.redelivery_of_id)) for m in rows]


@webhooks_router.post(
    "/{endpoint_id}/test",
    response=DeliveryOut,
    summary="Send a 'ping' event now (tried once) and return the delivery",
)
def test_webhook(request, endpoint_id: int):
    endpoint = selectors.webhook_get(request.auth, endpoint_id)
    return delivery_out(services.webhook_test(request.auth, endpoint))


@webhooks_router.post(
    "/deliveries/{delivery_id}/redeliver",
    response={201: DeliveryOut},
    summary="Send a delivered or failed delivery again, as a new delivery",
)
def redeliver(request, delivery_id: str):
    message = selectors.delivery_get(request.auth, delivery_id)
    return Status(201, delivery_out(services.delivery_redeliver(request.auth, message)))
