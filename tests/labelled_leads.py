"""A made-up lead history with a known signal, for the predictive-scoring tests.

Columns like a real CRM export: an identifier, a prospect key, a form default ("Select"), blanks, a constant
column, free-text notes, a sign-up date, and the outcome as "Yes"/"No". Whether a lead converts depends on
its source, its visits (more for warm sources: an interaction a per-field baseline cannot see), its title and
its minutes on the site.
"""

import math
import random
from datetime import date, timedelta

SOURCES = {
    "Referral": 1.4,
    "Partner": 0.9,
    "Google": 0.0,
    "google": 0.0,
    "Trade show": 0.2,
    "Cold list": -1.6,
}
TITLES = {"CTO": 1.0, "Head of Sales": 0.8, "Engineer": 0.0, "Intern": -1.0, "Select": -0.6, "": -0.6}
INDUSTRIES = ["Software", "Retail", "Manufacturing", "Finance", "", "N/A"]
HEADERS = ["Lead ID", "Prospect", "Source", "Visits", "Minutes", "Title", "Industry", "Country", "Notes",
           "Signed up", "Converted"]  # fmt: skip


def labelled_leads(n: int, seed: int = 1) -> list[dict[str, str]]:
    rng = random.Random(seed)
    start = date(2025, 1, 1)
    rows = []
    for i in range(n):
        source = rng.choices(list(SOURCES), weights=[15, 10, 30, 5, 10, 30])[0]
        visits = rng.choice([0, 0, 1, 2, 3, 5, 8, 13])
        minutes = round(rng.expovariate(1 / 10), 1)
        title = rng.choice(list(TITLES))
        warm = SOURCES[source] > 0
        logit = -0.6 + SOURCES[source] + TITLES[title] + (0.3 if warm else -0.1) * visits + 0.04 * minutes
        converted = rng.random() < 1 / (1 + math.exp(-logit))
        rows.append({
            "Lead ID": str(500000 + i),
            "Prospect": f"{rng.getrandbits(64):016x}",
            "Source": source,
            "Visits": str(visits),
            "Minutes": "" if rng.random() < 0.05 else str(minutes),
            "Title": title,
            "Industry": rng.choice(INDUSTRIES),
            "Country": "China",
            "Notes": f"called {rng.randint(1, 10**6)} times",
            "Signed up": (start + timedelta(days=i * 400 // n)).isoformat(),
            "Converted": "Yes" if converted else "No",
        })  # fmt: skip
    return rows


def write_csv(path, rows: list[dict[str, str]], *, encoding: str = "utf-8", delimiter: str = ",") -> None:
    import csv

    with open(path, "w", newline="", encoding=encoding) as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
