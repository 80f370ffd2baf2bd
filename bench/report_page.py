"""Reports: a year of a busy organisation, the page's figures beside one raw SQL query, and the exports' memory.

WORLD: a temporary SQLite database (migrated as in production) with one organisation of
--clinics clinics and 200 staff accounts, and a year of history written by
`consulta.reports.history.generate_history`: --consultations finished consultations, an eighth
as many room calls, and their events (entered, answered, ended/left/expired, transferred,
call.left of staff), about four events per consultation.

OURS: `consulta.reports.queries.build_report` for the whole organisation over the year (in
Europe/Stockholm, DST and all): every figure the page shows, about ten queries. BASELINE: the
same aggregates as ONE raw SQL query in the same database (scalar subqueries over a CTE; the
waits and call lengths read with group_concat for the percentiles, which Python then sorts; the
local hours from the same UTC quarter hours). Runs alternate ours/raw after one warm-up of each;
the figure is the median.

EXPORTS: each format in a fresh process (`--child-export`), which builds the report and then
produces the whole download, discarding its bytes; its peak resident memory
(getrusage maxrss) after the export, beside the same process's peak before it.

    python -m bench.report_page [--consultations 500000] [--clinics 50] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench._common import ROOT, Deadline, Run, log, row, write_result

NAME = "report_page"
TITLE = "Reports: a year of an organisation's figures, and the downloads' memory"
ZONE = "Europe/Stockholm"
STAFF = 200
TIME_LIMIT_S = 3600
MEMORY_TARGET_MB = 200
YEAR = 2025


def _django(database: Path) -> None:
    """Set Django up on the benchmark's own database (before anything reads the settings)."""
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["DJANGO_SETTINGS_MODULE"] = "consulta.settings"
    import django

    django.setup()


def _build(consultations: int, clinics: int) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from consulta.accounts.models import User
    from consulta.organisations.models import Clinic, Organisation
    from consulta.reports.history import generate_history

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=OFF")  # building only: no fsync per batch
    organisation = Organisation.objects.create(name="Busy Care", slug="busy", time_zone=ZONE)
    places = [
        Clinic.objects.create(organisation=organisation, name=f"Clinic {n:02}", slug=f"c{n:02}") for n in range(clinics)
    ]
    User.objects.bulk_create(User(email=f"staff{n:03}@busy.test", password="!") for n in range(STAFF))  # noqa: S106
    staff = list(User.objects.all())
    started = time.perf_counter()
    start = datetime(YEAR, 1, 1, tzinfo=ZoneInfo(ZONE))
    built: dict[str, Any] = generate_history(organisation, places, start, 365, consultations, random.Random(11), staff)
    built["seconds"] = round(time.perf_counter() - started, 1)
    return built


def _scope_and_criteria() -> tuple[Any, Any]:
    from consulta.organisations.models import Organisation
    from consulta.reports.period import Criteria
    from consulta.reports.queries import Scope

    organisation = Organisation.objects.get(slug="busy")
    scope = Scope(organisation, tuple(organisation.clinics.all()), whole_organisation=True)
    return scope, Criteria(date(YEAR, 1, 1), date(YEAR, 12, 31), ZoneInfo(ZONE))


RAW = """
WITH c AS (SELECT * FROM consultations_consultationrecord
           WHERE clinic_id IN ({ids}) AND entered_at >= %s AND entered_at < %s)
SELECT
 (SELECT json_object('entered', count(*), 'answered', count(answered_at), 'ended', sum(outcome = 'ended'),
   'abandoned', sum(answered_at IS NULL AND outcome = 'left'),
   'expired', sum(answered_at IS NULL AND outcome = 'expired'),
   'ended_unanswered', sum(answered_at IS NULL AND outcome = 'ended'),
   'call_total', sum(CASE WHEN answered_at IS NOT NULL THEN call_seconds END),
   'peak', max(CASE WHEN answered_at IS NOT NULL THEN max_participants END),
   'peak_mean', avg(CASE WHEN answered_at IS NOT NULL THEN max_participants END),
   'waits', group_concat(CASE WHEN answered_at IS NOT NULL THEN wait_seconds END),
   'calls', group_concat(CASE WHEN answered_at IS NOT NULL THEN call_seconds END)) FROM c),
 (SELECT json_group_array(json_array(slot, n, a)) FROM (
   SELECT CAST(strftime('%%s', entered_at) AS INTEGER) / 900 AS slot, count(*) AS n, count(answered_at) AS a
   FROM c GROUP BY slot)),
 (SELECT count(*) FROM eventlog_event WHERE kind = 'consultation.transferred' AND clinic_id IN ({ids})
   AND at >= %s AND at < %s),
 (SELECT json_group_array(json_array(email, n, s)) FROM (
   SELECT u.email AS email, count(*) AS n, sum(c.call_seconds) AS s FROM c LEFT JOIN accounts_user u
   ON u.id = c.answered_by_id WHERE c.answered_at IS NOT NULL GROUP BY c.answered_by_id)),
 (SELECT json_group_array(json_array(actor_id, s)) FROM (
   SELECT actor_id, sum(seconds) AS s FROM eventlog_event WHERE kind = 'call.left' AND clinic_id IN ({ids})
   AND at >= %s AND at < %s AND json_extract(data, '$.role') = 'staff' GROUP BY actor_id)),
 (SELECT json_group_array(json_array(kind, n, s, m, p, secs)) FROM (
   SELECT kind, count(*) AS n, sum(seconds) AS s, avg(peak_participants) AS m, max(peak_participants) AS p,
   group_concat(seconds) AS secs FROM calls_roomcallrecord WHERE clinic_id IN ({ids})
   AND started_at >= %s AND started_at < %s GROUP BY kind))
"""


def _median_p90(text: str | None) -> tuple[float, float]:
    values = sorted(int(v) for v in (text or "").split(",") if v)
    if not values:
        return 0.0, 0.0
    cuts = statistics.quantiles(values, n=10, method="inclusive")
    return statistics.median(values), cuts[8]


def raw_report(scope: Any, criteria: Any) -> dict[str, Any]:
    """The baseline: the same aggregates as one raw SQL query, percentiles sorted in Python."""
    from django.db import connection

    from consulta.reports.period import local_slot

    ids = ",".join(str(pk) for pk in scope.clinic_ids)
    bounds = [criteria.start, criteria.end]
    with connection.cursor() as cursor:
        params = [connection.ops.adapt_datetimefield_value(moment) for moment in bounds] * 4
        cursor.execute(RAW.format(ids=ids), params)
        main, slots, transfers, people, staff, rooms = cursor.fetchone()
    figures = json.loads(main)
    figures["wait"] = _median_p90(figures.pop("waits"))
    figures["call"] = _median_p90(figures.pop("calls"))
    by_hour = [0] * 24
    for slot, n, _answered in json.loads(slots):
        by_hour[local_slot(slot, criteria.zone)[1]] += n
    rooms_parsed = [(kind, n, _median_p90(secs)[0]) for kind, n, _s, _m, _p, secs in json.loads(rooms)]
    return {**figures, "by_hour": by_hour, "transfers": transfers, "people": len(json.loads(people)),
            "staff": len(json.loads(staff)), "rooms": rooms_parsed}  # fmt: skip


def _timed(function: Any, *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function(*args)
    return (time.perf_counter() - started) * 1000, result


def measure_page(runs: int) -> tuple[list[float], list[float], dict[str, Any]]:
    from consulta.reports.queries import build_report

    scope, criteria = _scope_and_criteria()
    _t, report = _timed(build_report, scope, criteria)
    _t, raw = _timed(raw_report, scope, criteria)
    waiting = report.waiting
    # Same answers, or the comparison means nothing.
    assert (waiting.entered, waiting.answered, waiting.abandoned, waiting.expired) == (
        raw["entered"], raw["answered"], raw["abandoned"], raw["expired"])  # fmt: skip
    assert (waiting.wait.median, waiting.call_total, list(waiting.by_hour)) == (
        raw["wait"][0],
        raw["call_total"],
        raw["by_hour"],
    )
    assert abs((waiting.wait.p90 or 0) - raw["wait"][1]) < 1e-6 and waiting.transfers == raw["transfers"]
    ours, bare = [], []
    deadline = Deadline(TIME_LIMIT_S / 4)
    for _ in range(runs):
        if deadline.passed():
            break
        ours.append(_timed(build_report, scope, criteria)[0])
        bare.append(_timed(raw_report, scope, criteria)[0])
        log(f"  report {ours[-1]:.0f} ms, raw query {bare[-1]:.0f} ms")
    summary = {
        "entered": waiting.entered,
        "answered": waiting.answered,
        "wait_median_s": waiting.wait.median,
        "wait_p90_s": waiting.wait.p90,
        "transfers": waiting.transfers,
        "providers": len(report.providers),
    }
    return ours, bare, summary


def child_export(fmt: str) -> None:
    """In a fresh process: build the report, note the peak memory, produce the whole download, note it again."""
    from consulta.reports.exporters import EXPORTERS
    from consulta.reports.queries import build_report

    scope, criteria = _scope_and_criteria()
    report = build_report(scope, criteria)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    response = EXPORTERS[fmt](report).response(f"bench.{fmt}", asynchronous=False)
    size = 0
    for part in response.streaming_content:  # type: ignore[attr-defined]
        size += len(part)
    response.close()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seconds = time.perf_counter() - started
    print(json.dumps({"before_kib": before, "after_kib": after, "bytes": size, "seconds": round(seconds, 2)}))


def measure_export(fmt: str, database: Path) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    done = subprocess.run(
        [sys.executable, "-m", "bench.report_page", "--child-export", fmt, "--database", str(database)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIME_LIMIT_S, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"export {fmt} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _rows(ours: list[float], bare: list[float], exports: dict[str, dict[str, Any]], n: int) -> list[dict[str, Any]]:
    page, raw = statistics.median(ours), statistics.median(bare)
    rows = [
        row(f"report figures, whole organisation, one year ({n:,} consultations), median of {len(ours)}",
            round(page, 1), round(raw, 1),
            target={"text": "within 2× one raw SQL query", "met": page <= 2 * raw}),
    ]  # fmt: skip
    for fmt, figures in exports.items():
        after, before = round(figures["after_kib"] / 1024, 1), round(figures["before_kib"] / 1024, 1)
        rows.append(
            row(f"{fmt.upper()} export of the year ({figures['bytes'] / 1e6:.1f} MB): peak RSS after, beside before it",
                after, before, unit="MB", target={"text": f"≤ {MEMORY_TARGET_MB} MB", "met": after <= MEMORY_TARGET_MB})
        )  # fmt: skip
        rows.append(row(f"{fmt.upper()} export of the year: time to produce", figures["seconds"] * 1000, None))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--consultations", type=int, default=500_000)
    parser.add_argument("--clinics", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5, help="measured runs of each side")
    parser.add_argument("--child-export", choices=["csv", "xlsx"], help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_export:
        _django(Path(args.database))
        child_export(args.child_export)
        return 0
    params = {"consultations": args.consultations, "clinics": args.clinics, "runs": args.runs, "zone": ZONE}
    run = Run(NAME, TITLE, params)
    tmp = Path(tempfile.mkdtemp(prefix="consulta-bench-reports-"))
    try:
        database = tmp / "reports.sqlite3"
        _django(database)
        log(f"report_page: building {args.consultations:,} consultations in {args.clinics} clinics")
        built = _build(args.consultations, args.clinics)
        log(f"report_page: built {built}")
        ours, bare, summary = measure_page(max(1, args.runs))
        exports = {fmt: measure_export(fmt, database) for fmt in ("csv", "xlsx")}
        log(f"report_page: exports {exports}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result = run.result(
        figures={"report_ms": ours, "built": built, "report": summary, "exports": exports},
        baseline={
            "what": "the same aggregates as one raw SQL query in the same SQLite database (percentiles "
            "from its group_concat, sorted in Python); for the exports, the same process before exporting",
            "raw_ms": bare,
        },
        rows=_rows(ours, bare, exports, args.consultations),
        notes=[
            f"A temporary SQLite database built with generate_history: {built['consultations']:,} consultations, "
            f"{built['room_calls']:,} room calls and {built['events']:,} events in {built['seconds']:g} s.",
            "Ours and the raw query alternate, after a warm-up of each; both were checked to give the same counts, "
            "median, p90, call total, hours and transfers first.",
            "Memory: ru_maxrss of a fresh process (Python, Django, the report built), read before and after "
            "producing the whole download; rows are read 2,000 at a time and the workbook is written in "
            "constant_memory mode to a temporary file.",
        ],
    )
    path = write_result(result)
    log(f"report_page: wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
