"""Background sweeps: SLA timers and leads whose routing did not run. Every sweep takes an explicit instant."""

import logging
import threading
from datetime import datetime

from baton import clock

log = logging.getLogger(__name__)


def sweep(at: datetime) -> dict:
    from baton.enrichment.services import enrichment_sweep
    from baton.handoffs.services import handoffs_sweep
    from baton.leads.services import leads_recycle, leads_route_pending

    result = handoffs_sweep(at)
    # Before routing: leads whose enrichment finished or timed out are routed in this same sweep.
    try:
        result["enrichment_released"] = len(enrichment_sweep(at))
    except Exception:  # enrichment failing must not stop routing
        log.exception("enrichment sweep failed")
        result["enrichment_released"] = 0
    result["leads_routed"] = leads_route_pending(at=at)
    result["leads_recycled"] = leads_recycle(at=at)
    return result


def run_forever(interval: float = 30.0, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            sweep(clock.now())
        except Exception:  # a failed sweep must not kill the worker; the next one retries
            log.exception("sweep failed")
        stop.wait(interval)


def start_in_thread(interval: float = 30.0) -> threading.Event:
    stop = threading.Event()
    threading.Thread(target=run_forever, args=(interval, stop), daemon=True, name="baton-worker").start()
    return stop
