"""Company enrichment: what a provider found, what to fill, and whether a lead still waits (spec §4.2).

Pure logic: no Django, no I/O, no clock reads. A provider answers with ``CompanyFacts``; ``merge_plan``
says which fields to fill and why; ``wait_decision`` says whether a lead waiting for enrichment may be
routed now. ``parse_registered_capital`` and ``parse_headcount`` read the ways company directories
write those two numbers ("1000万人民币", "2亿", "5,000,000"; "100-499人", "10000+").

The rules of ``merge_plan``:

1. Only empty fields are filled (None, or text that is blank). What is there — typed by a person,
   imported, or filled earlier — is never overwritten; when the provider disagrees, the plan says so
   (action ``keep``) and leaves it.
2. A value is filled only if it is valid for its field (length, non-negative numbers); an invalid
   one is ignored, never written.
3. Every entry explains itself: the field was empty, the provider and its record say this.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

# --- statuses ----------------------------------------------------------------------------------------

PENDING = "pending"  # asked; the provider has not answered yet (asynchronous providers)
ENRICHED = "enriched"  # the provider found the company
NOT_FOUND = "not_found"  # the provider answered: no such company
FAILED = "failed"  # the provider raised an error
TIMED_OUT = "timed_out"  # no answer within the timeout; the lead was released for routing
STATUSES = (PENDING, ENRICHED, NOT_FOUND, FAILED, TIMED_OUT)
FINISHED = frozenset({ENRICHED, NOT_FOUND, FAILED, TIMED_OUT})

WAIT, ROUTE = "wait", "route"

# --- facts -------------------------------------------------------------------------------------------

FACT_FIELDS = ("domain", "industry", "city", "region", "headcount", "registered_capital", "funding_round")
TEXT_FIELDS = frozenset({"domain", "industry", "city", "region", "funding_round"})
# The longest value each text field stores (the columns of Lead, Account and AccountProfile).
MAX_LENGTHS = {"domain": 200, "industry": 80, "city": 80, "region": 60, "funding_round": 40, "name": 200}
# Registered capital is stored as CNY with two decimals and at most 20 digits.
CAPITAL_MAX = Decimal("1e18")
CENT = Decimal("0.01")

CompanyKey = tuple[str, str]
"""(domain, normalised company name): what a provider looks a company up by; either may be ""."""


@dataclass(frozen=True, slots=True)
class CompanyFacts:
    """What a provider knows about a company. Empty strings and None mean "not known".

    ``registered_capital`` is in CNY. ``source`` names where the facts come from for explanations
    ("directory companies.csv, line 12"); ``as_of`` is the date the facts were true.
    """

    name: str = ""
    domain: str = ""
    industry: str = ""
    city: str = ""
    region: str = ""
    headcount: int | None = None
    registered_capital: Decimal | None = None
    funding_round: str = ""
    source: str = ""
    as_of: date | None = None

    def value(self, field: str):
        return getattr(self, field)

    def as_json(self) -> dict:
        """A JSON-safe dict (the capital as a string, the date in ISO form)."""
        return {
            "name": self.name,
            "domain": self.domain,
            "industry": self.industry,
            "city": self.city,
            "region": self.region,
            "headcount": self.headcount,
            "registered_capital": _json_value(self.registered_capital),
            "funding_round": self.funding_round,
            "source": self.source,
            "as_of": self.as_of.isoformat() if self.as_of else None,
        }


def problem(field: str, value) -> str:
    """Why ``value`` cannot be stored in ``field``, or "" if it can (empty values are fine)."""
    if is_empty(value):
        return ""
    if field in TEXT_FIELDS or field == "name":
        if not isinstance(value, str):
            return "not text"
        if len(value.strip()) > MAX_LENGTHS[field]:
            return f"longer than {MAX_LENGTHS[field]} characters"
        return ""
    if field == "headcount":
        if isinstance(value, bool) or not isinstance(value, int):
            return "not a whole number"
        return "negative" if value < 0 else ""
    if field == "registered_capital":
        if not isinstance(value, Decimal) or not value.is_finite():
            return "not a decimal number"
        if value < 0:
            return "negative"
        return "too large" if value >= CAPITAL_MAX else ""
    return f"unknown field {field!r}"


def is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- the merge plan ----------------------------------------------------------------------------------

FILL, KEEP = "fill", "keep"


@dataclass(frozen=True, slots=True)
class Fill:
    """One entry of a merge plan: ``fill`` an empty field with ``value``, or ``keep`` ``current``."""

    field: str
    action: str
    value: object
    current: object
    reason: str

    def as_json(self) -> dict:
        return {
            "field": self.field,
            "action": self.action,
            "value": _json_value(self.value),
            "current": _json_value(self.current),
            "reason": self.reason,
        }


def merge_plan(current: dict, found: CompanyFacts) -> dict[str, Fill]:
    """What to do with each field of ``current`` (keys from ``FACT_FIELDS``) given what was found.

    Returns an entry per field where the provider has a valid value: ``fill`` when the field is
    empty, ``keep`` when it holds something else (never overwritten). Fields whose value equals the
    provider's, fields the provider does not know and keys of ``current`` outside ``FACT_FIELDS`` get
    no entry. The result is in ``FACT_FIELDS`` order.
    """
    plan: dict[str, Fill] = {}
    where = _where(found)
    for field in FACT_FIELDS:
        if field not in current:
            continue
        new = _clean(field, found.value(field))
        if is_empty(new) or problem(field, new):
            continue
        old = current[field]
        if is_empty(old):
            plan[field] = Fill(field, FILL, new, old, f"{field} was empty; {where} says {_show(new)}")
        elif not _same(field, old, new):
            plan[field] = Fill(
                field, KEEP, new, old, f"kept {_show(old)} (already set); {where} says {_show(new)}"
            )
    return plan


def fills(plan: dict[str, Fill]) -> dict[str, object]:
    """The field → value pairs a plan writes."""
    return {f: entry.value for f, entry in plan.items() if entry.action == FILL}


def _clean(field: str, value):
    if isinstance(value, str):
        value = " ".join(value.split())
        return value.lower() if field == "domain" else value
    if field == "registered_capital" and isinstance(value, Decimal) and value.is_finite():
        return value.quantize(CENT)
    return value


def _same(field: str, old, new) -> bool:
    if isinstance(old, str) and isinstance(new, str):
        return " ".join(old.split()).casefold() == new.casefold()
    if field == "registered_capital" and isinstance(old, Decimal | int) and isinstance(new, Decimal):
        return Decimal(old) == new
    return old == new


def _where(found: CompanyFacts) -> str:
    where = found.source or "the provider"
    return f"{where} (as of {found.as_of.isoformat()})" if found.as_of else where


def _show(value) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.2f} CNY"
    return repr(value) if isinstance(value, str) else str(value)


def _json_value(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


# --- waiting -----------------------------------------------------------------------------------------


def wait_decision(requested_at: datetime, now: datetime, timeout: timedelta | float, status: str) -> str:
    """May a lead that waits for enrichment be routed at ``now``?

    ``route`` when the request is finished (enriched, not found, failed, timed out) or when ``timeout``
    (a timedelta or seconds) has passed since ``requested_at``; ``wait`` otherwise.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown enrichment status {status!r}; expected one of {', '.join(STATUSES)}")
    if status in FINISHED:
        return ROUTE
    if not isinstance(timeout, timedelta):
        timeout = timedelta(seconds=timeout)
    return ROUTE if now >= requested_at + timeout else WAIT


# --- reading directory values -----------------------------------------------------------------------

# Placeholders directories write for "unknown".
_BLANKS = frozenset(
    ["-", "--", "—", "——", "/", "n/a", "na", "null", "none", "无", "未知", "暂无", "未公开", "不详"]
)

# (token, ISO code); the longest tokens are tried first, so "美元" wins over "元".
_CURRENCY_TOKENS = sorted(
    [
        ("人民币", "CNY"), ("rmb", "CNY"), ("cny", "CNY"), ("¥", "CNY"), ("元", "CNY"),
        ("美元", "USD"), ("美金", "USD"), ("usd", "USD"), ("us$", "USD"), ("$", "USD"),
        ("港元", "HKD"), ("港币", "HKD"), ("hkd", "HKD"), ("hk$", "HKD"),
        ("欧元", "EUR"), ("eur", "EUR"), ("€", "EUR"),
        ("日元", "JPY"), ("jpy", "JPY"),
        ("英镑", "GBP"), ("gbp", "GBP"), ("£", "GBP"),
        ("新台币", "TWD"), ("台币", "TWD"), ("twd", "TWD"),
        ("新加坡元", "SGD"), ("sgd", "SGD"),
    ],
    key=lambda t: len(t[0]),
    reverse=True,
)  # fmt: skip
_MULTIPLIERS = {
    "": 1, "千": 10**3, "万": 10**4, "十万": 10**5, "百万": 10**6, "千万": 10**7, "亿": 10**8,
    "十亿": 10**9, "百亿": 10**10, "千亿": 10**11, "万亿": 10**12,
    "k": 10**3, "thousand": 10**3, "m": 10**6, "mn": 10**6, "mio": 10**6, "million": 10**6,
    "b": 10**9, "bn": 10**9, "billion": 10**9,
}  # fmt: skip
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_AMOUNT_RE = re.compile(
    rf"({_NUMBER})({'|'.join(sorted((re.escape(u) for u in _MULTIPLIERS if u), key=len, reverse=True))})?"
)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def parse_registered_capital(text: str) -> tuple[Decimal, str] | None:
    """(amount, ISO currency) of a registered capital as directories write it; None for a blank.

    "1000万人民币" → (10000000, CNY); "2亿" → (200000000, CNY); "5,000,000" → (5000000, CNY);
    "人民币1000万元", "1.5亿元", "RMB 5 million", "¥500万" likewise; "100万美元" → (1000000, USD).
    No currency means CNY. Full-width characters are read as half-width. The amount has two decimals.
    Raises ValueError for anything else (a negative amount, two currencies, words it does not know).
    """
    folded = _fold(text)
    if not folded or folded in _BLANKS:
        return None
    compact = "".join(folded.split())
    currencies = set()
    for token, code in _CURRENCY_TOKENS:
        if token in compact:
            currencies.add(code)
            compact = compact.replace(token, "")
    if len(currencies) > 1:
        raise ValueError(f"{text.strip()!r} names more than one currency ({', '.join(sorted(currencies))})")
    match = _AMOUNT_RE.fullmatch(compact)
    if match is None:
        raise ValueError(f"{text.strip()!r} is not an amount (e.g. 1000万人民币, 2亿, 5,000,000, 100万美元)")
    try:
        amount = Decimal(match.group(1).replace(",", "")) * _MULTIPLIERS[match.group(2) or ""]
    except InvalidOperation:
        raise ValueError(f"{text.strip()!r} is not an amount")
    if amount >= CAPITAL_MAX:
        raise ValueError(f"{text.strip()!r} is too large for a registered capital")
    return amount.quantize(CENT), (currencies.pop() if currencies else "CNY")


_HEADCOUNT_WORDS = ("employees", "employee", "people", "persons", "staff", "人左右", "人", "名", "位")
_RANGE_RE = re.compile(r"(\d+)(?:-|~|–|—|至|到|to)(\d+)")
_AT_LEAST_RE = re.compile(
    r"(?:(\d+)(?:\+|以上|及以上|或以上)|(?:>|>=|≥|超过|大于|over|morethan|atleast)(\d+))"
)
_BELOW_RE = re.compile(r"(?:(?:<|<=|≤|少于|小于|不足|低于|under|fewerthan|lessthan)(\d+)|(\d+)(?:以下|以内))")


def parse_headcount(text: str) -> int | None:
    """The number of employees a directory gives; None for a blank. Never more than the text says.

    "500", "1,200", "500人", "约500人" → the number; a range ("100-499人", "100~499") → its lower bound;
    "10000+", "10000人以上" → 10000; "少于50人", "<50", "50人以下" → 1. Raises ValueError otherwise.
    """
    folded = _fold(text)
    if not folded or folded in _BLANKS:
        return None
    compact = "".join(folded.split()).removeprefix("约").removeprefix("about").removeprefix("approx.")
    for word in _HEADCOUNT_WORDS:
        compact = compact.replace(word, "")
    compact = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", compact)
    if compact.isdigit():
        return int(compact)
    if m := _RANGE_RE.fullmatch(compact):
        low, high = int(m.group(1)), int(m.group(2))
        if low > high:
            raise ValueError(f"{text.strip()!r}: the range runs backwards")
        return low
    if m := _AT_LEAST_RE.fullmatch(compact):
        return int(m.group(1) or m.group(2))
    if m := _BELOW_RE.fullmatch(compact):
        if int(m.group(1) or m.group(2)) < 1:
            raise ValueError(f"{text.strip()!r} is not a number of employees")
        return 1
    raise ValueError(f"{text.strip()!r} is not a number of employees (e.g. 500, 100-499人, 10000+)")
