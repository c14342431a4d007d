"""``baton routing …``: show the active policies, save a draft from a JSON file, replay, activate, and read or
set the month's eligible list. Exit status 2 with the reason (every problem of a policy) on bad input."""

import json
import sys
from pathlib import Path

from baton.core.errors import DomainError

KINDS = ("lead", "handoff")


def _fail(message: str, problems: list[str] | None = None, *, as_json: bool = False) -> int:
    if as_json:
        print(json.dumps({"ok": False, "error": message, "problems": problems or []}, ensure_ascii=False))
        return 2
    print(f"error: {message}", file=sys.stderr)
    for problem in problems or []:
        print(f"  - {problem}", file=sys.stderr)
    return 2


def _domain_fail(exc: DomainError, *, as_json: bool = False) -> int:
    problems = (exc.details or {}).get("problems")
    message = "the routing policy is not valid" if problems else exc.message
    return _fail(message, problems, as_json=as_json)


def _read_policy(path: str) -> dict:
    """A policy from a JSON file; DomainError-like failures are raised as ValueError with the reason."""
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"no such file: {path}")
    try:
        data = json.loads(file.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}")
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not UTF-8 text")
    if not isinstance(data, dict):
        raise ValueError(f'{path}: a policy is a JSON object {{"rules": [...], "fallback": {{...}}}}')
    # A file saved from the API's answer holds the definition under "definition".
    return data["definition"] if isinstance(data.get("definition"), dict) and "rules" not in data else data


def _print_rules(definition: dict) -> None:
    from baton.routing.selectors import policy_rows

    for row in policy_rows(definition):
        head = "otherwise" if row["fallback"] else f"{row['order']:>2}."
        when = "" if row["fallback"] else (" and ".join(row["conditions"]) or "every item")
        print(f"  {head} {row['name']} [{row['key']}]" + (f"  when {when}" if when else ""))
        options = f"  ({'; '.join(row['options'])})" if row["options"] else ""
        print(f"      → {row['destination']}, {row['strategy']}{options}")


def show(kind: str | None, *, as_json: bool = False) -> int:
    from baton.routing import selectors, services

    out = {}
    for k in [kind] if kind else KINDS:
        row = selectors.policy_current(k)
        definition = row.definition if row else services.DEFAULT_POLICIES[k]
        out[k] = {"version": row.version if row else None, "note": row.note if row else "built-in",
                  "activated_at": row.activated_at.isoformat() if row and row.activated_at else None,
                  "definition": definition,
                  "drafts": list(selectors.policies(k).filter(state="draft").values_list("version", flat=True))}  # fmt: skip
    if as_json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    for k, item in out.items():
        since = (
            f", active since {item['activated_at'][:16].replace('T', ' ')}" if item["activated_at"] else ""
        )
        print(
            f"{k} routing: version {item['version'] or '(built-in)'}{since}"
            + (f" — {item['note']}" if item["note"] else "")
        )
        _print_rules(item["definition"])
        if item["drafts"]:
            print(f"  drafts: {', '.join(map(str, item['drafts']))}")
    return 0


def draft(kind: str, path: str, *, note: str = "") -> int:
    from baton.routing.services import policy_draft_save

    try:
        definition = _read_policy(path)
    except ValueError as exc:
        return _fail(str(exc))
    try:
        row = policy_draft_save(kind, definition, actor=None, note=note)
    except DomainError as exc:
        return _domain_fail(exc)
    print(f"{kind} routing: draft version {row.version} saved")
    print(f"  replay it: baton routing replay --kind {kind} --version {row.version}")
    print(f"  activate it: baton routing activate --kind {kind} --version {row.version}")
    return 0


def replay(kind: str, *, path: str | None = None, version: int | None = None, last: int = 200,
           as_json: bool = False) -> int:  # fmt: skip
    from baton.routing.services import policy_replay

    definition = None
    if path is not None:
        try:
            definition = _read_policy(path)
        except ValueError as exc:
            return _fail(str(exc), as_json=as_json)
    try:
        result = policy_replay(kind, definition, version=version, last=last)
    except DomainError as exc:
        return _domain_fail(exc, as_json=as_json)
    if as_json:
        print(json.dumps({
            "ok": True, "kind": kind, "version": result.version, "items": len(result.rows), "changed": result.changed,
            "actual": result.actual, "would": result.would,
            "rows": [{"lead_id": r.lead_id, "lead": r.lead, "decided_at": r.decided_at.isoformat(), "actual": r.actual,
                      "would": r.would, "rule": r.rule, "changed": r.changed, "why": r.why} for r in result.rows],
        }, ensure_ascii=False))  # fmt: skip
        return 0
    what = f"version {version}" if version else path
    print(
        f"{kind} routing: replay of {what} over the latest {len(result.rows)} items — {result.changed} would change"
    )
    for r in result.rows:
        mark = "*" if r.changed else " "
        print(
            f" {mark} {r.decided_at:%Y-%m-%d %H:%M}  #{r.lead_id:<8} {r.actual or '—':>14} → {r.would or '—':<14} {r.rule}"
        )
    print("  per person (got → would get):")
    for name in sorted(set(result.actual) | set(result.would)):
        print(f"    {name:>14}: {result.actual.get(name, 0)} → {result.would.get(name, 0)}")
    return 0


def activate(kind: str, version: int) -> int:
    from baton.routing.services import policy_activate

    try:
        row = policy_activate(kind, version, actor=None)
    except DomainError as exc:
        return _domain_fail(exc)
    print(f"{kind} routing: version {row.version} is active")
    return 0


def eligible(month: str, users: str | None) -> int:
    from baton.routing.services import eligible_list, eligible_list_set

    try:
        if users is not None:
            names = eligible_list_set(month, [u for u in users.split(",") if u.strip()], actor=None)
        else:
            names = eligible_list(month)
    except DomainError as exc:
        return _fail(exc.message)
    if names:
        print(f"eligible list for {month} ({len(names)}): {', '.join(names)}")
    else:
        print(f"no eligible list for {month}: everyone otherwise eligible receives MQLs")
    return 0


def run(args) -> int:
    command = args.routing_command
    if command == "show":
        return show(args.kind, as_json=args.json)
    if command == "draft":
        return draft(args.kind, args.file, note=args.note)
    if command == "replay":
        return replay(args.kind, path=args.file, version=args.version, last=args.last, as_json=args.json)
    if command == "activate":
        return activate(args.kind, args.version)
    if command == "eligible":
        return eligible(args.month, args.set)
    raise AssertionError(command)  # argparse restricts the choices
