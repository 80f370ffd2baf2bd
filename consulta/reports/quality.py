"""The report's "Call quality" section: calls' connections (call.quality events) and the entry
checks before the waiting area (entry_check.completed events), aggregated by the database.

A call.quality event is one person leaving one call (docs/events.md). "With a summary" means
their browser measured a round trip (`rtt_ms` not null): the shares, medians and freezes are of
those; a person whose browser sent nothing adds to the participants only. Medians come from
frequency tables (`stats.py`), as the waiting area's do: a few grouped queries, never a row
per event. The organisation's report adds one row per clinic: where patients struggle.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, Count, FloatField, IntegerField, Q, QuerySet, Sum, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Least
from django.utils.translation import gettext as _

from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.reports.period import Criteria
from consulta.reports.stats import percentile

# What an entry check looks at (`failed` / `warned` names), in the order the report lists them.
CHECK_NAMES = ("browser", "camera", "microphone", "server", "bandwidth", "relay")
ROLES = ("patient", "staff", "guest")
MEASURED = Q(data__rtt_ms__isnull=False) & ~Q(data__rtt_ms=None)


def check_label(name: str) -> str:
    labels = {
        "browser": _("Browser"),
        "camera": _("Camera"),
        "microphone": _("Microphone"),
        "server": _("Connection to the server"),
        "bandwidth": _("Bandwidth"),
        "relay": _("Relay server (TURN)"),
    }
    return labels.get(name, name)


def role_label(role: str) -> str:
    return {"patient": _("Patients"), "staff": _("Clinic team"), "guest": _("Guests")}.get(role, role)


@dataclass(frozen=True)
class QualityRow:
    """One role's or browser family's connections."""

    label: str
    participants: int  # with a summary
    median_rtt: float | None
    relayed_share: float | None  # 0-1, of those with a summary
    reconnects: int


@dataclass(frozen=True)
class CallQuality:
    participants: int  # everyone who left a call in the period
    summarised: int  # of them, with a summary
    median_rtt: float | None
    median_loss: float | None
    relayed_share: float | None
    reconnects: int
    reconnects_per_100: float | None  # per 100 participants with a summary
    frozen_share: float | None  # with any video freeze
    freeze_seconds: float
    by_role: tuple[QualityRow, ...]
    by_browser: tuple[QualityRow, ...]


@dataclass(frozen=True)
class EntryReason:
    name: str
    label: str
    blocked: int  # blocked checks where it failed
    warned: int  # checks let in with a warning where it failed or warned


@dataclass(frozen=True)
class EntryChecks:
    checks: int
    passed: int
    warned: int
    blocked: int
    reasons: tuple[EntryReason, ...]
    median_kbps: float | None  # the lower of the measured down and up


@dataclass(frozen=True)
class ClinicQuality:
    """One clinic of the organisation's report: its entry checks and its patients' connections."""

    clinic: str
    checks: int
    blocked: int
    warned: int
    patients: int  # patients with a summary
    reconnects: int
    relayed_share: float | None
    median_rtt: float | None


@dataclass(frozen=True)
class Quality:
    calls: CallQuality
    entry: EntryChecks
    clinics: tuple[ClinicQuality, ...]  # the whole organisation's report only


@dataclass
class _Group:
    """Tallies of one (clinic, role, browser): the unit every table below sums."""

    participants: int = 0
    summarised: int = 0
    relayed: int = 0
    frozen: int = 0
    reconnects: int = 0
    freeze_seconds: float = 0.0
    rtts: dict[int, int] | None = None


def _events(kind: Kind, clinic_ids: list[int], criteria: Criteria) -> QuerySet[Event]:
    return Event.objects.filter(
        kind=kind, clinic_id__in=clinic_ids, at__gte=criteria.start, at__lt=criteria.end
    ).order_by()


def _groups(events: QuerySet[Event]) -> dict[tuple[int, str, str], _Group]:
    groups: dict[tuple[int, str, str], _Group] = defaultdict(_Group)
    totals = events.values_list("clinic_id", "data__role", "data__browser").annotate(
        n=Count("pk"),
        summarised=Count("pk", filter=MEASURED),
        relayed=Count("pk", filter=MEASURED & Q(data__relayed=True)),
        frozen=Count("pk", filter=MEASURED & Q(data__freezes__gt=0)),
        reconnects=Sum(Cast(KT("data__reconnects"), IntegerField())),
        freeze_seconds=Sum(Cast(KT("data__freeze_seconds"), FloatField()), filter=MEASURED),
    )
    for clinic, role, browser, n, summarised, relayed, frozen, reconnects, freeze_seconds in totals:
        group = groups[(clinic, str(role or ""), str(browser or ""))]
        group.participants, group.summarised, group.relayed, group.frozen = n, summarised, relayed, frozen
        group.reconnects, group.freeze_seconds = reconnects or 0, freeze_seconds or 0.0
    rtts = events.filter(MEASURED).values_list("clinic_id", "data__role", "data__browser", "data__rtt_ms")
    for clinic, role, browser, rtt, n in rtts.annotate(n=Count("pk")):
        group = groups[(clinic, str(role or ""), str(browser or ""))]
        group.rtts = group.rtts or {}
        group.rtts[int(rtt)] = group.rtts.get(int(rtt), 0) + n
    return groups


def _median(frequencies: dict[int, int]) -> float | None:
    return percentile(sorted(frequencies.items()), 0.5)


def _merged(groups: Iterable[_Group]) -> _Group:
    total = _Group(rtts={})
    for group in groups:
        total.participants += group.participants
        total.summarised += group.summarised
        total.relayed += group.relayed
        total.frozen += group.frozen
        total.reconnects += group.reconnects
        total.freeze_seconds += group.freeze_seconds
        for rtt, n in (group.rtts or {}).items():
            assert total.rtts is not None
            total.rtts[rtt] = total.rtts.get(rtt, 0) + n
    return total


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _row(label: str, group: _Group) -> QualityRow:
    return QualityRow(
        label,
        group.summarised,
        _median(group.rtts or {}),
        _share(group.relayed, group.summarised),
        group.reconnects,
    )


def _median_loss(events: QuerySet[Event]) -> float | None:
    """Loss is kept to two decimals: counted in hundredths, exactly."""
    known = events.filter(MEASURED & Q(data__loss_pct__isnull=False) & ~Q(data__loss_pct=None))
    hundredths: dict[int, int] = {}
    for loss, n in known.values_list("data__loss_pct").annotate(n=Count("pk")):
        key = round(float(loss) * 100)
        hundredths[key] = hundredths.get(key, 0) + n
    median = _median(hundredths)
    return None if median is None else median / 100


def call_quality(events: QuerySet[Event], groups: dict[tuple[int, str, str], _Group]) -> CallQuality:
    total = _merged(groups.values())
    by_role = [
        _row(role_label(role), _merged(g for key, g in groups.items() if key[1] == role))
        for role in ROLES
        if any(key[1] == role for key in groups)
    ]
    browsers = sorted({key[2] for key in groups})
    by_browser = [
        _row(browser or _("Not known"), _merged(g for key, g in groups.items() if key[2] == browser))
        for browser in browsers
    ]
    by_browser.sort(key=lambda row: (-row.participants, row.label.casefold()))
    return CallQuality(
        participants=total.participants,
        summarised=total.summarised,
        median_rtt=_median(total.rtts or {}),
        median_loss=_median_loss(events),
        relayed_share=_share(total.relayed, total.summarised),
        reconnects=total.reconnects,
        reconnects_per_100=100 * total.reconnects / total.summarised if total.summarised else None,
        frozen_share=_share(total.frozen, total.summarised),
        freeze_seconds=total.freeze_seconds,
        by_role=tuple(by_role),
        by_browser=tuple(by_browser),
    )


def _outcomes(checks: QuerySet[Event]) -> dict[int, dict[str, int]]:
    """Per clinic: how many checks ended passed, warned, blocked."""
    found: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(("passed", "warned", "blocked"), 0))
    for clinic, outcome, n in checks.values_list("clinic_id", "data__outcome").annotate(n=Count("pk")):
        if outcome in ("passed", "warned", "blocked"):
            found[clinic][outcome] += n
    return found


def _reasons(checks: QuerySet[Event]) -> tuple[EntryReason, ...]:
    blocked = dict.fromkeys(CHECK_NAMES, 0)
    warned = dict.fromkeys(CHECK_NAMES, 0)
    combinations = checks.filter(data__outcome__in=["blocked", "warned"]).values_list(
        "data__outcome", "data__failed", "data__warned"
    )
    for outcome, failed, marginal, n in combinations.annotate(n=Count("pk")):
        names = set(failed if isinstance(failed, list) else [])
        if outcome == "warned":
            names |= set(marginal if isinstance(marginal, list) else [])
        tally = blocked if outcome == "blocked" else warned
        for name in names & set(CHECK_NAMES):
            tally[name] += n
    return tuple(EntryReason(name, check_label(name), blocked[name], warned[name]) for name in CHECK_NAMES)


def _known_whole(key: str) -> Case:
    """A whole number in `data`, or SQL NULL for a JSON null or no key (SQLite's cast makes "null" 0)."""
    known = Q(**{f"data__{key}__isnull": False}) & ~Q(**{f"data__{key}": None})
    return Case(When(known, then=Cast(KT(f"data__{key}"), IntegerField())), default=None, output_field=IntegerField())


def _median_bandwidth(checks: QuerySet[Event]) -> float | None:
    """The lower of the measured download and upload, or the one measured (kbit/s)."""
    down, up = _known_whole("down_kbps"), _known_whole("up_kbps")
    # PostgreSQL's LEAST skips nulls, SQLite's MIN() gives null: the Coalesce makes both the same.
    lower = checks.annotate(lower=Coalesce(Least(down, up), down, up)).filter(lower__isnull=False)
    frequencies = {value: n for value, n in lower.values_list("lower").annotate(n=Count("pk")).order_by()}
    return _median(frequencies)


def entry_checks(checks: QuerySet[Event], outcomes: dict[int, dict[str, int]]) -> EntryChecks:
    counts = {
        name: sum(per_clinic[name] for per_clinic in outcomes.values()) for name in ("passed", "warned", "blocked")
    }
    return EntryChecks(
        checks=checks.count(),
        passed=counts["passed"],
        warned=counts["warned"],
        blocked=counts["blocked"],
        reasons=_reasons(checks),
        median_kbps=_median_bandwidth(checks),
    )


def quality(clinics: Iterable[tuple[int, str]], criteria: Criteria, whole_organisation: bool) -> Quality:
    named = list(clinics)
    ids = [pk for pk, _name in named]
    events = _events(Kind.CALL_QUALITY, ids, criteria)
    checks = _events(Kind.ENTRY_CHECK, ids, criteria)
    groups = _groups(events)
    outcomes = _outcomes(checks)
    per_clinic = []
    if whole_organisation:
        totals = {clinic: n for clinic, n in checks.values_list("clinic_id").annotate(n=Count("pk"))}
        for pk, name in named:
            patients = _merged(g for key, g in groups.items() if key[0] == pk and key[1] == "patient")
            outcome = outcomes.get(pk, {})
            per_clinic.append(
                ClinicQuality(
                    clinic=name,
                    checks=totals.get(pk, 0),
                    blocked=outcome.get("blocked", 0),
                    warned=outcome.get("warned", 0),
                    patients=patients.summarised,
                    reconnects=patients.reconnects,
                    relayed_share=_share(patients.relayed, patients.summarised),
                    median_rtt=_median(patients.rtts or {}),
                )
            )
    return Quality(call_quality(events, groups), entry_checks(checks, outcomes), tuple(per_clinic))
