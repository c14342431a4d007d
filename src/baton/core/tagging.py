"""Tag rules (spec §4.2): a small condition language over lead facts and behaviour counts.

A condition is a JSON object, one of:

- ``{"all": [c, …]}``, ``{"any": [c, …]}``, ``{"not": c}``;
- a lead fact: ``{"field": "industry", "op": "eq", "value": "manufacturing"}``;
- a behaviour count: ``{"behaviour": "content_download", "op": "gte", "value": 2}``, optionally only the
  last days (``"within_days": 30``) and only events whose title, URL or campaign contains a text
  (``"matching": "MES"``: interest in a topic).

Ops: ``eq``, ``in``, ``contains`` (text, case-insensitive), ``gte``, ``lte`` (numbers and counts) and
``present`` (the fact is filled in, the behaviour happened; ``"value": false`` for the opposite).

Pure: no Django, no I/O, no clock reads. The caller loads the facts, including the behaviour counts
that ``needs`` lists (counted up to the moment the rules are applied).
"""

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from baton.core.behaviour import KINDS as BEHAVIOUR_KINDS

TEXT_FIELDS = (
    "name",
    "email",
    "phone",
    "company",
    "title",
    "industry",
    "city",
    "region",
    "website_domain",
    "source",
    "source_detail",
    "direction",
    "status",
    "grade",
)
NUMBER_FIELDS = ("company_size", "score")
FIELDS = TEXT_FIELDS + NUMBER_FIELDS

OPS = ("eq", "in", "contains", "gte", "lte", "present")
BEHAVIOUR_OPS = ("eq", "gte", "lte", "present")
HEADS = ("all", "any", "not", "field", "behaviour")

MAX_DEPTH = 8  # nesting levels below the top
MAX_NODES = 64  # parts of one condition
MAX_LIST = 100  # values of an "in" / "contains" list
MAX_TEXT = 200  # characters of one value
MAX_WITHIN_DAYS = 3650

SYMBOLS = {"eq": "=", "in": "in", "contains": "contains", "gte": "≥", "lte": "≤"}


@dataclass(frozen=True)
class BehaviourNeed:
    """A behaviour count a condition needs: events of ``kind`` (in the last ``within_days`` days,
    whose title/URL/campaign contains ``matching``)."""

    kind: str
    within_days: int | None = None
    matching: str = ""

    @property
    def key(self) -> str:
        key = self.kind
        if self.within_days:
            key += f"@{self.within_days}d"
        if self.matching:
            key += f"~{self.matching}"
        return key


@dataclass(frozen=True)
class Facts:
    """What a condition is evaluated against: lead fields, and behaviour counts by ``BehaviourNeed.key``
    (a count that is missing is 0)."""

    fields: Mapping[str, Any] = field(default_factory=dict)
    behaviour: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    id: int
    tag: int  # the id of the tag the rule sets
    condition: Mapping


@dataclass(frozen=True)
class Match:
    rule: int
    why: str


# --- Validation -------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _text_ok(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_TEXT


def _list_ok(value: Any, item_ok) -> bool:
    return isinstance(value, list) and 0 < len(value) <= MAX_LIST and all(item_ok(v) for v in value)


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number" if _is_number(value) else type(value).__name__
    )


def _field_value_error(name: str, op: str, node: Mapping) -> str:
    has, value = "value" in node, node.get("value")
    if op == "present":
        return "" if not has or isinstance(value, bool) else "'present' takes true, false or no value"
    if not has:
        return f"is required for op '{op}'"
    if name in NUMBER_FIELDS:
        if op == "contains":
            return f"op 'contains' needs a text field; {name} is a number (use eq, in, gte, lte)"
        if op == "in":
            return "" if _list_ok(value, _is_number) else f"op 'in' needs a list of 1 to {MAX_LIST} numbers"
        return "" if _is_number(value) else f"{name} is a number: the value must be a number"
    if op in ("gte", "lte"):
        return f"op '{op}' needs a number field ({', '.join(NUMBER_FIELDS)}); {name} is a text"
    if op == "eq":
        return "" if _text_ok(value) else f"must be a text of at most {MAX_TEXT} characters"
    if op == "in":
        return "" if _list_ok(value, _text_ok) else f"op 'in' needs a list of 1 to {MAX_LIST} texts"
    # contains: one text or a list of texts (any of them)
    ok = (_text_ok(value) and value.strip()) or _list_ok(value, lambda v: _text_ok(v) and v.strip())
    return "" if ok else "op 'contains' needs a non-empty text or a list of them"


def _unknown_keys(node: Mapping, allowed: tuple[str, ...], path: str, errors: list[str]) -> None:
    unknown = sorted(str(k) for k in node if k not in allowed)
    if unknown:
        errors.append(
            f"{path}: unknown key(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(allowed)}"
        )


def _check_field(node: Mapping, path: str, errors: list[str]) -> None:
    _unknown_keys(node, ("field", "op", "value"), path, errors)
    name, op = node.get("field"), node.get("op")
    if not isinstance(name, str) or name not in FIELDS:
        errors.append(f"{path}.field: unknown field {name!r}; use one of {', '.join(FIELDS)}")
        return
    if not isinstance(op, str) or op not in OPS:
        errors.append(f"{path}.op: unknown op {op!r}; use one of {', '.join(OPS)}")
        return
    problem = _field_value_error(name, op, node)
    if problem:
        errors.append(f"{path}.value: {problem}")


def _check_behaviour(node: Mapping, path: str, errors: list[str]) -> None:
    _unknown_keys(node, ("behaviour", "op", "value", "within_days", "matching"), path, errors)
    kind, op = node.get("behaviour"), node.get("op")
    if not isinstance(kind, str) or kind not in BEHAVIOUR_KINDS:
        errors.append(
            f"{path}.behaviour: unknown behaviour {kind!r}; use one of {', '.join(BEHAVIOUR_KINDS)}"
        )
    if not isinstance(op, str) or op not in BEHAVIOUR_OPS:
        errors.append(f"{path}.op: unknown op {op!r} for a behaviour; use one of {', '.join(BEHAVIOUR_OPS)}")
    elif op == "present":
        if "value" in node and not isinstance(node["value"], bool):
            errors.append(f"{path}.value: 'present' takes true, false or no value")
    elif not _is_count(node.get("value")):
        errors.append(f"{path}.value: a behaviour count needs a whole number ≥ 0")
    if "within_days" in node:
        days = node["within_days"]
        if not (_is_count(days) and 1 <= days <= MAX_WITHIN_DAYS):
            errors.append(f"{path}.within_days: must be a whole number of days from 1 to {MAX_WITHIN_DAYS}")
    if "matching" in node:
        text = node["matching"]
        if not (_text_ok(text) and text.strip()):
            errors.append(f"{path}.matching: must be a non-empty text of at most {MAX_TEXT} characters")


def _check(node: Any, path: str, depth: int, errors: list[str], seen: list[int]) -> None:
    seen[0] += 1
    if seen[0] > MAX_NODES:
        return
    if depth > MAX_DEPTH:
        errors.append(f"{path}: nested deeper than {MAX_DEPTH} levels")
        return
    if not isinstance(node, Mapping):
        errors.append(
            f'{path}: must be an object such as {{"field": …, "op": …, "value": …}} or {{"all": […]}}, '
            f"not {_type_name(node)}"
        )
        return
    heads = [h for h in HEADS if h in node]
    if len(heads) != 1:
        got = f"got {' and '.join(map(repr, heads))}" if heads else f"got keys {sorted(map(str, node))}"
        errors.append(f"{path}: needs exactly one of {', '.join(HEADS)}; {got}")
        return
    head = heads[0]
    if head in ("all", "any"):
        _unknown_keys(node, (head,), path, errors)
        children = node[head]
        if not isinstance(children, list) or not children:
            errors.append(f"{path}.{head}: must be a non-empty list of conditions")
            return
        for i, child in enumerate(children):
            _check(child, f"{path}.{head}[{i}]", depth + 1, errors, seen)
    elif head == "not":
        _unknown_keys(node, ("not",), path, errors)
        _check(node["not"], f"{path}.not", depth + 1, errors, seen)
    elif head == "field":
        _check_field(node, path, errors)
    else:
        _check_behaviour(node, path, errors)


def validate(condition: Any) -> list[str]:
    """Every problem of a condition, each naming where it is (``condition.all[1].op: …``); [] if valid."""
    errors: list[str] = []
    seen = [0]
    _check(condition, "condition", 0, errors, seen)
    if seen[0] > MAX_NODES:
        errors.append(f"condition: too large (more than {MAX_NODES} parts)")
    return errors


# --- Evaluation -------------------------------------------------------------------------------------


def _norm(value: Any) -> str:
    return " ".join(str(value).split()).casefold() if value is not None else ""


def _show(value: Any) -> str:
    if value is None or value == "":
        return "empty"
    return json.dumps(value, ensure_ascii=False)


def _present(value: Any) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _field_result(name: str, op: str, expected: Any, value: Any) -> bool:
    if op == "present":
        return _present(value) == (expected if isinstance(expected, bool) else True)
    if name in NUMBER_FIELDS:
        number = _number(value)
        if number is None:
            return False
        if op == "eq":
            return number == float(expected)
        if op == "in":
            return number in {float(v) for v in expected}
        return number >= float(expected) if op == "gte" else number <= float(expected)
    if op == "eq":
        return _norm(value) == _norm(expected)
    if op == "in":
        return _norm(value) in {_norm(v) for v in expected}
    hay = _norm(value)
    needles = expected if isinstance(expected, list) else [expected]
    return bool(hay) and any(_norm(n) in hay for n in needles)


def need_of(node: Mapping) -> BehaviourNeed:
    matching = node.get("matching")
    return BehaviourNeed(node["behaviour"], node.get("within_days"), _norm(matching) if matching else "")


def _behaviour_text(node: Mapping) -> str:
    text = node["behaviour"]
    if node.get("matching"):
        text += f" matching {_show(node['matching'])}"
    if node.get("within_days"):
        text += f" in the last {node['within_days']} days"
    return text


def _count_result(op: str, expected: Any, count: int) -> bool:
    if op == "present":
        return (count > 0) == (expected if isinstance(expected, bool) else True)
    if op == "eq":
        return count == expected
    return count >= expected if op == "gte" else count <= expected


def _yes(result: bool) -> str:
    return "yes" if result else "no"


def _walk(node: Mapping, facts: Facts | None) -> tuple[bool, str]:
    """(result, text) of a valid condition; without facts, the text describes it and the result is False."""
    if "all" in node or "any" in node:
        head = "all" if "all" in node else "any"
        parts = [_walk(child, facts) for child in node[head]]
        result = all(r for r, _ in parts) if head == "all" else any(r for r, _ in parts)
        text = f"{head} of [{'; '.join(t for _, t in parts)}]"
        return result, text + (f": {_yes(result)}" if facts is not None else "")
    if "not" in node:
        inner, text = _walk(node["not"], facts)
        return not inner, f"not ({text})" + (f": {_yes(not inner)}" if facts is not None else "")
    op, expected = node["op"], node.get("value")
    if "field" in node:
        name = node["field"]
        if op == "present":
            text = f"{name} {'is empty' if expected is False else 'is present'}"
        else:
            text = f"{name} {SYMBOLS[op]} {_show(expected)}"
        if facts is None:
            return False, text
        value = facts.fields.get(name)
        result = _field_result(name, op, expected, value)
        return result, f"{text}: {_yes(result)} ({_show(value)})"
    what = _behaviour_text(node)
    if op == "present":
        text = f"{what} {'never happened' if expected is False else 'happened'}"
    else:
        text = f"{what} {SYMBOLS[op]} {expected}"
    if facts is None:
        return False, text
    count = int(facts.behaviour.get(need_of(node).key, 0) or 0)
    result = _count_result(op, expected, count)
    return result, f"{text}: {_yes(result)} ({count})"


def _valid(condition: Any) -> Mapping:
    errors = validate(condition)
    if errors:
        raise ValueError("; ".join(errors))
    return condition


def evaluate(condition: Any, facts: Facts) -> tuple[bool, str]:
    """Whether a lead with these facts meets the condition, and why (every part with its value).

    Raises ValueError for an invalid condition (``validate`` says what is wrong).
    """
    return _walk(_valid(condition), facts)


def describe(condition: Any) -> str:
    """The condition in words, e.g. ``all of [industry = "manufacturing"; content_download ≥ 2]``."""
    return _walk(_valid(condition), None)[1]


def needs(condition: Any) -> set[BehaviourNeed]:
    """The behaviour counts a valid condition reads."""
    out: set[BehaviourNeed] = set()
    stack = [_valid(condition)]
    while stack:
        node = stack.pop()
        if "all" in node or "any" in node:
            stack.extend(node.get("all") or node.get("any"))
        elif "not" in node:
            stack.append(node["not"])
        elif "behaviour" in node:
            out.add(need_of(node))
    return out


def desired_tags(rules: Sequence[Rule], facts: Facts) -> dict[int, Match]:
    """The rule tags a lead should carry: each tag with the first rule (in the given order) that sets it."""
    out: dict[int, Match] = {}
    for rule in rules:
        if rule.tag in out:
            continue
        matched, why = evaluate(rule.condition, facts)
        if matched:
            out[rule.tag] = Match(rule.id, why)
    return out
