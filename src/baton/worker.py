"""Background sweeps: SLA timers, leads whose routing did not run, decayed scores. Every sweep takes an explicit
instant."""

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
    # Scores as of this instant: decayed engagement that is due, leads scored by another model version.
    from baton.scoring.services import scores_refresh

    try:
        result["scores_refreshed"] = scores_refresh(at)
    except Exception:  # scoring failing must not stop the SLA sweeps
        log.exception("score refresh failed")
        result["scores_refreshed"] = None
    from baton.sla.services import sla_sweep

    result.update(sla_sweep(at))  # SLA reminders, breaches (found at any instant) and lifted penalties
    # Last: the e-mails and webhook calls of everything above go out in the same run.
    from baton.notifications.outbox import outbox_sweep

    result["outbox"] = outbox_sweep(at)
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
