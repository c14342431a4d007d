"""Idempotency-Key handling for creating writes: a replay returns the first response, nothing new."""

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction

from baton import clock
from baton.core.errors import Conflict, InvalidInput
from baton.leads.models import IdempotencyRecord

IN_PROGRESS = 0


def run_once(
    user, key: str | None, body: bytes, action: Callable[[], tuple[int, dict]]
) -> tuple[int, dict, bool]:
    """Run ``action`` once per (user, key). Returns (status, body, replayed)."""
    if not key:
        status, payload = action()
        return status, payload, False
    if len(key) > 200:
        raise InvalidInput("Idempotency-Key is longer than 200 characters")
    digest = hashlib.sha256(body).hexdigest()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user=user,
                key=key,
                request_digest=digest,
                status_code=IN_PROGRESS,
                response={},
                created_at=clock.now(),
            )
    except IntegrityError:
        existing = IdempotencyRecord.objects.get(user=user, key=key)
        if existing.request_digest != digest:
            raise InvalidInput(
                "this Idempotency-Key was already used with a different request body",
                code="idempotency_key_reused",
            )
        if existing.status_code == IN_PROGRESS:
            raise Conflict(
                "a request with this Idempotency-Key is still being processed", code="idempotency_in_progress"
            )
        return existing.status_code, existing.response, True
    try:
        status, payload = action()
    except Exception:
        # The request failed and wrote nothing: free the key so the client may retry.
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        raise
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=status, response=json.loads(json.dumps(payload, default=str))
    )
    return status, payload, False
