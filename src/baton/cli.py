"""The ``baton`` command line."""

import argparse
import json
import os
import sys
from datetime import UTC, date, datetime


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baton.settings")
    import django

    django.setup()


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant; a naive value is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r} (e.g. 2026-11-23T09:30:00+08:00)")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date: {text!r} (e.g. 2026-10-01)")


def cmd_migrate(args) -> int:
    _setup()
    _migrate(verbosity=1)
    return 0


def cmd_manage(args) -> int:
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["baton manage", *args.rest])
    return 0


def cmd_serve(args) -> int:
    _setup()
    _migrate()
    from baton.server import serve

    serve(host=args.host, port=args.port, workers=args.workers, with_worker=not args.no_worker)
    return 0


def cmd_worker(args) -> int:
    _setup()
    _migrate()
    from baton.worker import run_forever

    run_forever(interval=args.interval)
    return 0


def cmd_sweep(args) -> int:
    _setup()
    from baton import clock
    from baton.worker import sweep

    at = args.at or clock.now()
    result = sweep(at)
    print(json.dumps({"at": at.isoformat(), **result}))
    return 0


def cmd_notify_deliver(args) -> int:
    _setup()
    from baton import clock
    from baton.notifications.email import email_channel
    from baton.notifications.outbox import outbox_deliver

    at = args.at or clock.now()
    result = outbox_deliver(at, limit=args.limit)
    channel = email_channel()
    print(json.dumps({"at": at.isoformat(), **result, "email_enabled": channel.enabled}))
    if not channel.enabled:
        print(f"note: {channel.detail}", file=sys.stderr)
    return 0


def cmd_token(args) -> int:
    _setup()
    from baton.org.models import User
    from baton.org.services import token_create

    user = User.objects.filter(username=args.username).first()
    if user is None:
        print(f"error: no user named {args.username!r}", file=sys.stderr)
        return 2
    print(token_create(user, name=args.name, ttl_days=args.ttl_days))
    return 0


def cmd_user_create(args) -> int:
    _setup()
    from baton.core.errors import DomainError
    from baton.org.models import Team
    from baton.org.services import user_create

    team = None
    if args.team:
        team = Team.objects.filter(name=args.team).first()
        if team is None:
            print(f"error: no team named {args.team!r}", file=sys.stderr)
            return 2
    password = os.environ.get("BATON_PASSWORD") or None
    try:
        user = user_create(
            args.username, password, roles=args.role or [], team=team, display_name=args.name or ""
        )
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print(f"created {user.username} with roles {', '.join(sorted(user.role_set())) or '(none)'}")
    return 0


def cmd_user_remove(args) -> int:
    _setup()
    from baton.core.errors import DomainError
    from baton.org.models import User
    from baton.routing.services import rep_remove

    user = User.objects.filter(username=args.username).first()
    if user is None:
        print(f"error: no user {args.username!r}", file=sys.stderr)
        return 2
    try:
        r = rep_remove(user, actor=None)
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print(f"removed {r.username}: {r.handoffs_moved} pending handoff(s) re-routed, {len(r.handoffs_stuck)} without "
          f"a receiver {r.handoffs_stuck or ''}, {r.leads_rerouted} new lead(s) re-routed, {r.leads_to_pool} lead(s) "
          "back in the public pool")  # fmt: skip
    return 1 if r.handoffs_stuck else 0


def cmd_form_create(args) -> int:
    _setup()
    from baton.core.errors import DomainError
    from baton.leads.services import webform_create

    try:
        form = webform_create(args.name, args.source)
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print(f"form {form.name!r}: key {form.key}")
    print(
        f"POST JSON to /api/v1/forms/{form.key}  (fields: name, email, phone, company, title, city, region, notes)"
    )
    return 0


def cmd_kpi(args) -> int:
    _setup()
    from baton.analytics.selectors import kpi_report

    if args.to <= args.from_:
        print("error: --to must be after --from", file=sys.stderr)
        return 2
    report = kpi_report(args.from_, args.to, as_of=args.at, by_rep=args.by_rep)
    if args.format == "json":
        print(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    else:
        from baton.analytics.render import print_report

        print_report(report)
    return 0


def cmd_import(args) -> int:
    _setup()
    _migrate()
    from baton.imports.commands import run_import

    return run_import(args.file, mapping=args.mapping, dry_run=args.dry_run, assign=args.assign,
                      username=args.user, as_json=args.json)  # fmt: skip


def cmd_enrich_sample(args) -> int:
    from baton.enrichment.sample import write_sample

    path = write_sample(args.out, args.rows, seed=args.seed, headers=args.headers, encoding=args.encoding)
    print(f"wrote {args.rows} companies to {path}")
    return 0


def cmd_enrich_check(args) -> int:
    from baton.enrichment.commands import check_directory

    return check_directory(args.file, as_json=args.json)


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def cmd_demo(args) -> int:
    from baton.demo import run

    return run(seed=args.seed, serve=not args.no_serve, port=args.port, leads=args.leads, end=args.end)


def cmd_bench(args) -> int:
    from baton.bench.capture import run_capture

    if args.what == "capture":
        result = run_capture(n=args.n, clients=args.clients)
    elif args.what == "import":
        from baton.bench.imports import run_import_bench

        result = run_import_bench(args.rows)
    elif args.what == "score":
        from baton.bench.score import run_score_bench

        result = run_score_bench(args.rows)
    elif args.what == "route":
        from baton.bench.sla import run_sweep_bench

        # Capture → assigned over real HTTP with concurrent clients, then the sweep of many open clocks.
        capture = run_capture(n=args.n, clients=args.clients if args.clients > 1 else 4)
        result = {**capture, **run_sweep_bench(args.clocks)}
    else:  # argparse restricts the choices
        raise AssertionError(args.what)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>16}: {value}")
    return 0


def _holdout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a fraction: {text!r} (e.g. 0.3)")
    if not 0.05 <= value <= 0.5:
        raise argparse.ArgumentTypeError("must be between 0.05 and 0.5")
    return value


def _positive_days(text: str) -> int:
    value = _non_negative(text)
    if not 1 <= value <= 365:
        raise argparse.ArgumentTypeError("must be from 1 to 365 days")
    return value


def cmd_score_evaluate(args) -> int:
    from baton.scoring.evaluate import run_evaluate

    return run_evaluate(args.csv, args.target, exclude=args.exclude, holdout=args.holdout, seed=args.seed,
                        positive=args.positive, time_column=args.time, as_json=args.json)  # fmt: skip


def cmd_score_train(args) -> int:
    _setup()
    from baton.scoring.commands import run_train

    return run_train(args.outcome, as_of=args.as_of, activate=args.activate, window_days=args.window_days,
                     as_json=args.json)  # fmt: skip


def cmd_score_recompute(args) -> int:
    _setup()
    from baton import clock
    from baton.core.errors import DomainError
    from baton.scoring.services import scores_recompute

    at = args.at or clock.now()

    def progress(done: int) -> None:
        if not args.json:
            print(f"  {done:,} leads", file=sys.stderr)

    try:
        result = scores_recompute(at=at, version=args.model, dry_run=args.dry_run, progress=progress)
    except DomainError as exc:
        if args.json:
            print(json.dumps({"ok": False, "error": exc.message, "code": exc.code}))
        else:
            print(f"error: {exc.message}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"ok": True, **result}, ensure_ascii=False))
        return 0
    what = "would change" if args.dry_run else "changed"
    print(f"version {result['version']} as of {result['at']}: {result['leads']:,} leads scored, "
          f"{result['changed']:,} {what}, {result['snapshots']:,} snapshots, {result['seconds']} s")  # fmt: skip
    for band, count in sorted(result["bands"].items()):
        print(f"{band:>16}: {count:,}")
    for move, count in sorted(result["moves"].items(), key=lambda kv: -kv[1]):
        print(f"{move:>32}: {count:,}")
    return 0


def cmd_sla_policies(args) -> int:
    _setup()
    from baton.sla.commands import run_policies

    return run_policies(as_json=args.json)


def cmd_sla_policy(args) -> int:
    _setup()
    from baton.sla.commands import run_policy

    target = None
    if args.target_hours is not None:
        target = round(args.target_hours * 3600)
    elif args.target_minutes is not None:
        target = round(args.target_minutes * 60)
    return run_policy(args.key, target_seconds=target, counted=args.counted, reminders=args.reminders,
                      actions=args.actions, active=args.active, as_json=args.json)  # fmt: skip


def cmd_sla_calendar_show(args) -> int:
    _setup()
    from baton.sla.commands import run_calendar_show

    return run_calendar_show(args.name, as_json=args.json)


def cmd_sla_calendar_set(args) -> int:
    _setup()
    from baton.sla.commands import run_calendar_set

    return run_calendar_set(args.name, zone=args.zone, hours=args.hours, holidays=args.holidays,
                            subdivision=args.subdivision, days_off=args.days_off, working_days=args.working_days,
                            default=args.default, teams=args.team or [])  # fmt: skip


def cmd_sla_calendar_due(args) -> int:
    _setup()
    from baton.sla.commands import run_calendar_due

    return run_calendar_due(args.name, start=args.start, hours=args.hours, as_json=args.json)


def _month(text: str) -> str:
    try:
        datetime.strptime(text, "%Y-%m")
        if len(text) != 7:
            raise ValueError(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a month: {text!r} (YYYY-MM, e.g. 2026-12)")
    return text


def _positive(text: str) -> int:
    value = _non_negative(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def cmd_routing(args) -> int:
    _setup()
    from baton.routing.commands import run

    return run(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="baton", description="Baton: sales-development operations platform")
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="create or upgrade the database").set_defaults(func=cmd_migrate)

    s = sub.add_parser("manage", help="run a Django management command")
    s.add_argument("rest", nargs=argparse.REMAINDER)
    s.set_defaults(func=cmd_manage)

    s = sub.add_parser("serve", help="serve the web UI and API (gunicorn)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, default=2)
    s.add_argument("--no-worker", action="store_true", help="do not run the background sweeps in-process")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("worker", help="run background sweeps (SLA timers, pending routing) forever")
    s.add_argument("--interval", type=float, default=30.0, help="seconds between sweeps")
    s.set_defaults(func=cmd_worker)

    s = sub.add_parser("sweep", help="run the background sweep once, as of a given instant")
    s.add_argument("--at", type=parse_instant, help="ISO 8601 instant (default: now)")
    s.set_defaults(func=cmd_sweep)

    s = sub.add_parser("notify", help="notification channels: e-mail and webhooks")
    nsub = s.add_subparsers(dest="notify_command", required=True)
    n = nsub.add_parser(
        "deliver", help="send the e-mails and webhook calls due (once; the worker does it too)"
    )
    n.add_argument(
        "--at", type=parse_instant, help="deliver what is due at this ISO 8601 instant (default: now)"
    )
    n.add_argument("--limit", type=int, default=1000, help="at most this many messages (default 1000)")
    n.set_defaults(func=cmd_notify_deliver)

    s = sub.add_parser("token", help="API tokens")
    tsub = s.add_subparsers(dest="token_command", required=True)
    t = tsub.add_parser("create", help="create an API token for a user and print it")
    t.add_argument("username")
    t.add_argument("--name", default="cli")
    t.add_argument("--ttl-days", type=int)
    t.set_defaults(func=cmd_token)

    s = sub.add_parser("user", help="users")
    usub = s.add_subparsers(dest="user_command", required=True)
    u = usub.add_parser("create", help="create a user (password from BATON_PASSWORD)")
    u.add_argument("username")
    u.add_argument("--role", action="append", help="repeat for several roles")
    u.add_argument("--team")
    u.add_argument("--name")
    u.set_defaults(func=cmd_user_create)
    u = usub.add_parser("remove", help="deactivate a rep and hand their open work on (handoffs, leads); exit 1 if "
                        "a handoff found no other receiver")  # fmt: skip
    u.add_argument("username")
    u.set_defaults(func=cmd_user_remove)

    s = sub.add_parser("form", help="public web forms")
    fsub = s.add_subparsers(dest="form_command", required=True)
    f = fsub.add_parser("create", help="create a web form and print its key")
    f.add_argument("name")
    f.add_argument("--source", default="trial_signup", help="lead source of its submissions")
    f.set_defaults(func=cmd_form_create)

    s = sub.add_parser("kpi", help="KPIs for a period [from, to)")
    s.add_argument("--from", dest="from_", type=parse_date, required=True)
    s.add_argument("--to", type=parse_date, required=True)
    s.add_argument("--at", type=parse_instant, help="as-of instant for cohort metrics (default: now)")
    s.add_argument("--by-rep", action="store_true", help="add per-rep cuts")
    s.add_argument("--format", choices=["table", "json"], default="table")
    s.set_defaults(func=cmd_kpi)

    s = sub.add_parser("import", help="import data files")
    isub = s.add_subparsers(dest="kind", required=True)
    i = isub.add_parser("leads", help="import leads from a CSV or XLSX file (all or nothing; rejects listed)")
    i.add_argument("file")
    i.add_argument(
        "--mapping", default="baton", help="a preset (salesforce, hubspot, chinese, baton) or a TOML file"
    )
    i.add_argument("--dry-run", action="store_true", help="do everything, then roll back and report")
    i.add_argument("--assign", choices=["route", "pool"], default="route",
                   help="route new inbound leads to SDRs (default) or leave them in the public pool")  # fmt: skip
    i.add_argument("--user", help="import as this user (recorded on the job and the timeline)")
    i.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    i.set_defaults(func=cmd_import)

    s = sub.add_parser("enrich", help="company enrichment: the offline company directory")
    esub = s.add_subparsers(dest="enrich_command", required=True)
    e = esub.add_parser("directory-sample", help="write a realistic sample company directory (CSV or XLSX)")
    e.add_argument("--rows", type=_non_negative, default=1000, help="companies in the file")
    e.add_argument("--out", required=True, help="the file to write (.xlsx for a workbook, else CSV)")
    e.add_argument("--seed", type=int, default=1)
    e.add_argument("--headers", choices=["en", "zh"], default="en", help="English or Chinese column names")
    e.add_argument("--encoding", choices=["utf-8-sig", "utf-8", "gb18030"], default="utf-8-sig",
                   help="CSV text encoding (utf-8-sig opens in Excel; gb18030 is what Chinese Excel saves)")  # fmt: skip
    e.set_defaults(func=cmd_enrich_sample)
    e = esub.add_parser("directory-check", help="read a company directory and report bad rows and warnings")
    e.add_argument("file")
    e.add_argument("--json", action="store_true", help="print the report as one JSON object")
    e.set_defaults(func=cmd_enrich_check)

    s = sub.add_parser("score", help="lead scoring: rescore every lead; predictive scoring")
    ssub = s.add_subparsers(dest="score_command", required=True)
    e = ssub.add_parser(
        "recompute", help="rescore every lead (not merged) with the active scoring model, in bulk"
    )
    e.add_argument("--model", type=int, metavar="VERSION",
                   help="the model version (default: the active one; another only with --dry-run)")  # fmt: skip
    e.add_argument("--at", type=parse_instant, help="score as of this ISO 8601 instant (default: now)")
    e.add_argument(
        "--dry-run", action="store_true", help="compute and count what would change; write nothing"
    )
    e.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    e.set_defaults(func=cmd_score_recompute)
    e = ssub.add_parser("evaluate", help="train and evaluate the predictive model on a labelled CSV file")
    e.add_argument("--csv", required=True, help="a CSV file with a header row (UTF-8 or GBK)")
    e.add_argument("--target", required=True, help="the outcome column (1/0, yes/no, true/false, won/lost)")
    e.add_argument("--exclude", default="", help="columns not to learn from, comma-separated (e.g. fields "
                   "filled in after the outcome is known)")  # fmt: skip
    e.add_argument("--positive", help="the outcome value that counts as a success; every other value is not")
    e.add_argument("--holdout", type=_holdout, default=0.3, help="share of the rows held out to test (0.3)")
    e.add_argument("--seed", type=int, default=1, help="seed of the random hold-out and the model")
    e.add_argument("--time", help="a date column: test on the newest rows instead of a random sample")
    e.add_argument("--json", action="store_true", help="print the report as one JSON object")
    e.set_defaults(func=cmd_score_evaluate)

    e = ssub.add_parser("train", help="train the predictive model on this team's own history and store it")
    e.add_argument("--outcome", choices=["accepted", "opportunity", "won"], default="accepted",
                   help="what to predict: handoff accepted (default), opportunity created, deal won")  # fmt: skip
    e.add_argument(
        "--as-of", type=parse_instant, help="use the outcomes decided by this ISO 8601 instant (default: now)"
    )
    e.add_argument(
        "--window-days", type=_positive_days, help="opportunity: days after the handoff (default 30)"
    )
    e.add_argument(
        "--activate", action="store_true", help="score leads with it at once (one active per outcome)"
    )
    e.add_argument("--json", action="store_true", help="print the report as one JSON object")
    e.set_defaults(func=cmd_score_train)

    s = sub.add_parser("sla", help="SLA policies and business calendars (docs/sla.md)")
    slasub = s.add_subparsers(dest="sla_command", required=True)
    e = slasub.add_parser("policies", help="list the SLA policies")
    e.add_argument("--json", action="store_true", help="print them as JSON")
    e.set_defaults(func=cmd_sla_policies)
    e = slasub.add_parser("policy", help="show a policy, or change it with the options given")
    e.add_argument("key", help="speed_to_lead, acceptance, director_dispatch, manager_feedback")
    target = e.add_mutually_exclusive_group()
    target.add_argument(
        "--target-hours", type=float, metavar="H", help="the target in hours (1.5: 90 minutes)"
    )
    target.add_argument("--target-minutes", type=float, metavar="M", help="the target in minutes")
    counted = e.add_mutually_exclusive_group()
    counted.add_argument("--business-time", dest="counted", action="store_const", const="working_hours",
                         help="count the target in working hours of the team's calendar")  # fmt: skip
    counted.add_argument("--working-days", dest="counted", action="store_const", const="working_days",
                         help="count it in whole working days of the team's calendar (48 h: two working days)")  # fmt: skip
    counted.add_argument("--wall-clock", dest="counted", action="store_const", const="wall_clock",
                         help="count the target in wall-clock time")  # fmt: skip
    e.add_argument("--reminders", metavar="0.5,0.8", help="fractions of the target ('none': no reminders)")
    e.add_argument("--actions", metavar="notify,strike", help="what a breach does ('none': nothing)")
    state = e.add_mutually_exclusive_group()
    state.add_argument("--active", dest="active", action="store_const", const=True, help="start clocks")
    state.add_argument("--inactive", dest="active", action="store_const", const=False, help="start no clocks")
    e.add_argument("--json", action="store_true", help="print the policy as JSON")
    e.set_defaults(func=cmd_sla_policy)
    e = slasub.add_parser("calendar", help="business calendars")
    csub = e.add_subparsers(dest="calendar_command", required=True)
    c = csub.add_parser("show", help="a calendar and its next public holidays and make-up days")
    c.add_argument("name")
    c.add_argument("--json", action="store_true", help="print it as JSON")
    c.set_defaults(func=cmd_sla_calendar_show)
    c = csub.add_parser("set", help="create a calendar or change it (what is not given keeps its value)")
    c.add_argument("name")
    c.add_argument("--zone", help="IANA time zone, e.g. Asia/Shanghai")
    c.add_argument("--hours", metavar="'mon-fri 09:00-12:00,13:00-18:00'",
                   help="working spans: weekdays then spans, groups separated by ';' (e.g. 'mon-fri 09:00-18:00; "
                        "sat 10:00-14:00')")  # fmt: skip
    c.add_argument("--holidays", metavar="CN", help="country code of the public holidays ('none': none)")
    c.add_argument("--subdivision", help="province or state of the public holidays")
    c.add_argument(
        "--days-off", metavar="DATES", help="the organisation's extra days off, e.g. 2026-12-24,2026-12-31"
    )
    c.add_argument("--working-days", metavar="DATES", help="extra working days (on Monday's hours)")
    c.add_argument("--default", action="store_true", help="make it the default calendar")
    c.add_argument("--team", action="append", help="put this team (by name) on it; repeat for several")
    c.set_defaults(func=cmd_sla_calendar_set)
    c = csub.add_parser("due", help="when N business hours from a start end (prints the due instant)")
    c.add_argument("name")
    c.add_argument(
        "--start", metavar="ISO", help="ISO 8601 (default: now; without an offset: in the calendar's zone)"
    )
    c.add_argument("--hours", type=float, required=True, metavar="N", help="business hours")
    c.add_argument("--json", action="store_true", help="print the result as JSON")
    c.set_defaults(func=cmd_sla_calendar_due)

    s = sub.add_parser("routing", help="routing policies and the month's eligible list (docs/routing.md)")
    rsub = s.add_subparsers(dest="routing_command", required=True)
    r = rsub.add_parser("show", help="the active routing policy of each kind, rule by rule")
    r.add_argument("--kind", choices=["lead", "handoff"])
    r.add_argument("--json", action="store_true", help="print the definitions as JSON")
    r.set_defaults(func=cmd_routing)
    r = rsub.add_parser("draft", help="save a policy from a JSON file as a new draft (every problem listed)")
    r.add_argument("--kind", choices=["lead", "handoff"], required=True)
    r.add_argument("--file", required=True, help='the policy: {"rules": [...], "fallback": {...}}')
    r.add_argument("--note", default="", help="what the version changes")
    r.set_defaults(func=cmd_routing)
    r = rsub.add_parser("replay", help="who would have got the latest items under a policy (writes nothing)")
    r.add_argument("--kind", choices=["lead", "handoff"], required=True)
    what = r.add_mutually_exclusive_group(required=True)
    what.add_argument("--file", help="an unsaved policy (JSON)")
    what.add_argument("--version", type=_positive, help="a stored version")
    r.add_argument("--last", type=_positive, default=200, help="how many of the latest items (default 200)")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_routing)
    r = rsub.add_parser("activate", help="activate a version (the active one of its kind is retired)")
    r.add_argument("--kind", choices=["lead", "handoff"], required=True)
    r.add_argument("--version", type=_positive, required=True)
    r.set_defaults(func=cmd_routing)
    r = rsub.add_parser("eligible", help="show or set the month's eligible-rep list")
    r.add_argument("month", type=_month, help="YYYY-MM")
    r.add_argument("--set", metavar="USER,USER", help="replace the list ('' removes it: everyone eligible)")
    r.set_defaults(func=cmd_routing)

    s = sub.add_parser("demo", help="build the reference organisation, simulate a quarter, and serve it")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--no-serve", action="store_true")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--leads", type=int, default=20000, help="leads to simulate over the quarter")
    s.add_argument(
        "--end",
        type=parse_instant,
        help="end of the simulated quarter, ISO date or instant (default: this hour)",
    )
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("bench", help="benchmarks")
    s.add_argument("what", choices=["capture", "import", "score", "route"])
    s.add_argument("--n", type=int, default=2000)
    s.add_argument("--clients", type=int, default=1)
    s.add_argument(
        "--rows", type=int, default=100_000,
        help="import: rows in the file (and leads already held); score: leads to rescore",
    )  # fmt: skip
    s.add_argument("--clocks", type=int, default=1_000_000, help="route: open SLA clocks the sweep goes over")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_bench)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
