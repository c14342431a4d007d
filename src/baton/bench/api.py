"""Benchmark-only endpoint, mounted when BATON_BENCH_ENDPOINTS=1: the floor a capture is compared with."""

from ninja import Router, Schema, Status

from baton import clock
from baton.bench.models import FloorRow

router = Router(tags=["benchmark"])


class FloorIn(Schema):
    payload: str


@router.post("/floor", response={201: dict}, summary="Insert one bare row (benchmark floor)")
def floor(request, body: FloorIn):
    row = FloorRow.objects.create(payload=body.payload[:200], created_at=clock.now())
    return Status(201, {"id": row.pk})
