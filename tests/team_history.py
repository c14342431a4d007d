"""A team's made-up history with a known signal, written straight into the tables (fast), for the tests of
predictive scoring trained on our own history.

Leads are captured over ~120 days before ``end`` and handed off about a day later; the AE accepts with a
probability that depends on the source, the BANT criteria met at handoff and the replies before it. After
an acceptance the AE holds a meeting (a touch after the handoff: it must never become a feature, or it
would leak the outcome).
"""

import math
import random
from datetime import timedelta

from baton.dbutil import rows_insert_values
from baton.handoffs.models import Handoff
from baton.leads.models import Lead, Touch
from baton.qualification.models import CriterionAnswer
from baton.qualification.selectors import templates

SOURCES = {"partner": 2.4, "trial_signup": 0.9, "seo": 0.0, "outbound_list": -2.2}
INDUSTRIES = ["software", "manufacturing", "finance", "retail"]


def build_history(sdr, ae, *, end, n: int = 400, seed: int = 1, accept_all: bool = False) -> list[int]:
    """``n`` handed-off, decided leads (ids returned, oldest first); ``accept_all``: every one accepted."""
    rng = random.Random(seed)
    start = end - timedelta(days=125)
    bant = [c.id for c in templates().get("bant").active_criteria]
    leads, plans = [], []
    for i in range(n):
        created = start + timedelta(days=120 * i / n, minutes=rng.randint(0, 600))
        source = rng.choices(list(SOURCES), weights=[2, 3, 3, 2])[0]
        met = rng.choice([3, 3, 4])
        replies = rng.choice([0, 0, 1, 2])
        logit = -0.4 + SOURCES[source] + 2.0 * (met - 3) + 1.2 * replies
        accepted = accept_all or rng.random() < 1 / (1 + math.exp(-logit))
        handed = created + timedelta(hours=rng.uniform(20, 30))
        decided = handed + timedelta(hours=rng.uniform(2, 40))
        status = "sql" if accepted else "nurturing"
        leads.append((f"History {i}", f"h{i}@firm{i}.com", f"Firm {i}", source, "inbound", "manager",
                      rng.choice(INDUSTRIES), "East", rng.choice([50, 300, 2000]), status, sdr.pk, created,
                      decided))  # fmt: skip
        plans.append((created, handed, decided, accepted, met, replies))
    ids = rows_insert_values(Lead, ("name", "email", "company", "source", "direction", "seniority", "industry",
                                    "region", "company_size", "status", "owner_id", "created_at", "status_changed_at"),
                             leads)  # fmt: skip
    handoffs, touches, answers = [], [], []
    for pk, (created, handed, decided, accepted, met, replies) in zip(ids, plans, strict=True):
        status = Handoff.Status.ACCEPTED if accepted else Handoff.Status.REJECTED
        handoffs.append(
            (pk, 1, sdr.pk, ae.pk, status, {}, handed, handed + timedelta(hours=48), decided, ae.pk)
        )
        first = created + timedelta(hours=1)
        touches.append((pk, sdr.pk, "call", "outbound", "connected", 300, first, first))
        for r in range(replies):
            at = created + timedelta(hours=2 + r)
            touches.append((pk, sdr.pk, "email", "inbound", "replied", 0, at, at))
        if accepted:  # the AE's meeting after the acceptance: known only once the outcome is
            at = decided + timedelta(days=2)
            touches.append((pk, ae.pk, "meeting", "outbound", "held", 3600, at, at))
        for j, criterion in enumerate(bant):
            state = "met" if j < met else "unknown"
            answers.append((pk, criterion, state, sdr.pk, created + timedelta(hours=5)))
    rows_insert_values(Handoff, ("lead_id", "cycle", "sdr_id", "ae_id", "status", "packet", "created_at", "due_at",
                                 "decided_at", "decided_by_id"), handoffs, returning=False)  # fmt: skip
    rows_insert_values(Touch, ("lead_id", "user_id", "channel", "direction", "outcome", "duration_seconds",
                               "occurred_at", "recorded_at"), touches, returning=False)  # fmt: skip
    rows_insert_values(CriterionAnswer, ("lead_id", "criterion_id", "state", "set_by_id", "set_at"), answers,
                       returning=False)  # fmt: skip
    return ids
