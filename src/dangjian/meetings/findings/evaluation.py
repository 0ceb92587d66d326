"""Evaluation: every applicable rule per organization, with the engine's own functions
(`evaluate_frequency`, `check_committee`, `quorum_violation`), so each rule still lives once, in
`regulations/`, with its citation; and `compute`, which reads and evaluates a subtree.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from dangjian.core.clock import today as local_today
from dangjian.meetings.findings.applicability import (
    committee_months,
    plan_for,
)
from dangjian.meetings.findings.as_was import committee_as_was, plan_as_was, year_kind
from dangjian.meetings.findings.committee_rules import (
    COMMITTEE_RULES,
    DLM,
    DLM_QUORUM_RULE,
    QUORUM_RULES,
    TALK_COVERAGE_RULE,
    TERM_RULE,
    _ok_result,
    _violation_result,
    committee_results,
    committee_year,
    monthly_facts,
    talk_minimum,
    talk_result,
)
from dangjian.meetings.findings.contributors import Scope, contributors
from dangjian.meetings.findings.reading import _read, _Records, _subtree, month_ends
from dangjian.meetings.findings.report import (
    _DAY,
    _EXPECTED,
    _HOST,
    _ID,
    _INDEX,
    _MONTH,
    _PRESENT,
    _SEATED,
    _SEATED_PRESENT,
    PENDING,
    VIOLATED,
    Cell,
    Column,
    ComplianceReport,
    OrgInfo,
    Result,
    _explainable,
    _gc_paused,
    _Judged,
    _year_period,
)
from dangjian.meetings.packs import rules_in_force
from dangjian.orgs.models import Organization
from dangjian.regulations.base import RuleViolation, rule
from dangjian.regulations.committee import (
    COMMITTEE_THRESHOLD,
)
from dangjian.regulations.engine import RuleSet
from dangjian.regulations.meetings import (
    FrequencyRule,
    dlm_quorum_violation,
    evaluate_frequency,
    quorum_violation,
)
from dangjian.regulations.periods import periods_in_year


def _columns(rules: RuleSet) -> list[Column]:
    columns = [
        Column(key=r.id, label=r.noun, rule_ids=(r.id,), citation=r.citation) for r in rules.rules
    ]
    columns.append(
        Column("committee", "班子设置", COMMITTEE_RULES, rule("committee_threshold").citation)
    )
    columns.append(Column("term", "按期换届", (TERM_RULE,), rule(TERM_RULE).citation))
    # The column holds both quorums: the 党员大会's (第十一条) and the 支委会's (第十二条).
    general, committee = rule("general_meeting_quorum"), rule("committee_meeting_quorum")
    citation = (
        f"{general.citation}、{committee.article}"
        if general.title == committee.title and general.article and committee.article
        else f"{general.citation}；{committee.citation}"
    )
    columns.append(Column("quorum", "到会人数", QUORUM_RULES, citation))
    dlm = rule(DLM_QUORUM_RULE)
    columns.append(Column(DLM_QUORUM_RULE, "民主生活会到会", (dlm.id,), dlm.citation))
    talks = rule(TALK_COVERAGE_RULE)
    columns.append(Column(TALK_COVERAGE_RULE, "谈心谈话覆盖", (talks.id,), talks.citation))
    for contributor in contributors():
        columns.extend(contributor.columns(rules))
    return columns


def compute(
    root: Organization,
    year: int,
    *,
    today: dt.date | None = None,
    rules: RuleSet | None = None,
    max_depth: int | None = None,
) -> ComplianceReport:
    """Every finding for `root`'s subtree in `year`, in a fixed number of queries.

    `max_depth` stops at that tree depth (an organization's own page: itself and, for a
    branch, its party groups).
    """
    with _gc_paused():
        return _compute(root, year, today=today, rules=rules, max_depth=max_depth)


class _Memo:
    """Verdicts shared by organizations with the same figures, for one year, day and rule set:
    kept with a cached report, so recomputing a few organizations rarely evaluates a rule, and
    shared by the process's computations of the same year, day and rule set (`shared_memo`).
    Every entry is a function of its key alone (and of the year, day and rule set)."""

    def __init__(self, year: int, today: dt.date, as_of: dt.date) -> None:
        self.year, self.today, self.as_of = year, today, as_of
        self.period_lists = {
            kind: periods_in_year(year, kind) for kind in ("month", "quarter", "year")
        }
        self.zeros = {kind: (0,) * len(ps) for kind, ps in self.period_lists.items()}
        self.judged: dict[tuple[int, tuple[int, ...]], _Judged] = {}
        self.masked: dict[tuple, _Judged] = {}
        self.committee: dict[tuple, tuple[tuple[Result, ...], dict[str, Cell]]] = {}
        self.plans: dict[tuple, list[tuple]] = {}
        # The committee rules are judged on the last day of every month up to `as_of`'s.
        self.ends = month_ends(year, as_of)
        self.months = as_of.month if as_of.year == year else 0
        self.months_memo: dict[tuple, tuple[Result, ...]] = {}

    def judge_months(
        self, freq: FrequencyRule, counts: tuple[int, ...], months: tuple[bool, ...]
    ) -> _Judged:
        """The verdicts of a monthly rule for the months it binds only (`months`, one flag
        per month): a branch that crossed 7 full members mid-year needs its 支委会 only in the
        months it had them."""
        key = (id(freq), counts, months)
        found = self.masked.get(key)
        if found is None:
            whole = self.judged.get((id(freq), counts)) or self.judge(freq, counts)
            verdicts = tuple(v for v, binds in zip(whole.findings, months, strict=True) if binds)
            tally = [0, 0, 0, 0]
            for verdict in verdicts:
                tally[_INDEX[verdict.status]] += 1
            worst = min((i for i, n in enumerate(tally) if n), default=_INDEX[PENDING])
            cell = Cell()
            cell.tally, cell.worst = list(tally), worst
            found = self.masked[key] = _Judged(
                verdicts, tally, worst, {v.period.key: i for i, v in enumerate(verdicts)}, cell
            )
        return found

    def judge(self, freq: FrequencyRule, counts: tuple[int, ...]) -> _Judged:
        key = (id(freq), counts)
        found = self.judged.get(key)
        if found is None:
            # Each meeting moved to its period's first day: the same counts, the same
            # verdicts; the real dates go into each organization's facts.
            canonical = [
                p.start
                for p, n in zip(self.period_lists[freq.period], counts, strict=True)
                for _ in range(n)
            ]
            verdicts = tuple(evaluate_frequency(freq, canonical, year=self.year, today=self.today))
            tally = [0, 0, 0, 0]
            for verdict in verdicts:
                tally[_INDEX[verdict.status]] += 1
            worst = min(i for i, n in enumerate(tally) if n)
            cell = Cell()
            cell.tally, cell.worst = list(tally), worst
            found = self.judged[key] = _Judged(
                verdicts, tally, worst, {v.period.key: i for i, v in enumerate(verdicts)}, cell
            )
        return found


# The memos of the last few (rule set, year, day) computed, shared by every computation of
# the process with the same ones: a memo's verdicts depend on its rule set, year, day and
# each entry's key only (the figures judged), never on the records they came from, so a
# write changes which entries are looked up, not what an entry says.
_MEMOS: dict[tuple[int, int, dt.date, dt.date], tuple[RuleSet, _Memo]] = {}
_MEMOS_KEPT = 4
_memos_lock = threading.Lock()


def shared_memo(rules: RuleSet, year: int, today: dt.date, as_of: dt.date) -> _Memo:
    """The process's memo for this rule set, year and day (a new one the first time): a
    whole-tree recomputation then judges only the figures no earlier computation had.
    The rule set is kept with its memo, so its id cannot be reused by another one while
    the memo is kept."""
    key = (id(rules), year, today, as_of)
    with _memos_lock:
        found = _MEMOS.get(key)
        if found is not None and found[0] is rules:
            return found[1]
        memo = _Memo(year, today, as_of)
        _MEMOS[key] = (rules, memo)
        while len(_MEMOS) > _MEMOS_KEPT:
            del _MEMOS[next(iter(_MEMOS))]
        return memo


def forget_memos() -> None:
    """Forget the process's memos (with the cached reports, `clear_cache`)."""
    with _memos_lock:
        _MEMOS.clear()


@dataclass
class _Evaluated:
    frequency: dict[int, list[tuple[FrequencyRule, _Judged, list[tuple], dict | None]]]
    other: dict[int, list[Result]]
    cells_by_org: dict[int, dict[str, Cell]]
    used: set[str]


def _compute(
    root: Organization,
    year: int,
    *,
    today: dt.date | None,
    rules: RuleSet | None,
    max_depth: int | None,
) -> ComplianceReport:
    today = today or local_today()
    rules = rules or rules_in_force()
    # Facts about a year that has ended are taken on its last day, so they stay put.
    as_of = min(today, dt.date(year, 12, 31))
    records = _read(
        _subtree(root.path, max_depth),
        year,
        as_of,
        complete=max_depth is None,
        talk_minimum=talk_minimum(rules),
    )
    memo = shared_memo(rules, year, today, as_of)
    done = _evaluate(records, rules, memo)
    return ComplianceReport(
        root=next(o for o in records.orgs if o.id == root.pk),
        year=year,
        today=today,
        as_of=as_of,
        rules=rules,
        orgs=records.orgs,
        columns=[c for c in _columns(rules) if c.key in done.used],
        meetings_counted=sum(map(sum, records.meetings.values())),
        _frequency=done.frequency,
        _other=done.other,
        _explanations=records.explanations,
        _cells_by_org=done.cells_by_org,
        _meetings=records.meetings,
        _memo=memo,
    )


def _evaluate(records: _Records, rules: RuleSet, memo: _Memo) -> _Evaluated:
    """The findings of each organization read, evaluated with the engine's own functions.

    Long: this is the computation's inner loop (every organization × every rule, 9,000
    organizations at province scale, timed by bench/bench_compliance.py); what does not change
    between organizations is hoisted out of it and the per-organization steps stay inline.
    """
    secretaries, by_key, votes = records.secretaries, records.by_key, records.votes
    explanations = records.explanations
    explained_keys: dict[tuple[int, str], list[str]] = defaultdict(list)
    for org_id, rule_id, key in explanations:
        explained_keys[(org_id, rule_id)].append(key)

    year_period = _year_period(memo.year)
    as_of = memo.as_of
    frequency: dict[int, list[tuple[FrequencyRule, _Judged, list[tuple], dict | None]]] = {}
    other: dict[int, list[Result]] = {}
    cells_by_org: dict[int, dict[str, Cell]] = {}

    # What stays the same from one organization to the next, worked out once.
    explained_orgs = {org_id for org_id, _, _ in explanations}
    talks, talk_min = records.talks, talk_minimum(rules)
    committee_memo = memo.committee
    used: set[str] = set()

    for org in records.orgs:
        org_id = org.id
        org_cells: dict[str, Cell] = {}
        org_frequency = _judge_frequency(org, by_key, secretaries, rules, memo)
        for freq, judged, _rows, _extra in org_frequency:
            cell = judged.cell
            if org_id in explained_orgs:
                cell = Cell()
                cell.tally, cell.worst = list(judged.tally), judged.worst
                for key in explained_keys.get((org_id, freq.id), ()):
                    index = judged.index.get(key)
                    verdict = judged.findings[index] if index is not None else None
                    if verdict is not None and _explainable(verdict.status, verdict.severity):
                        cell.explained += 1
            org_cells[freq.id] = cell
        if org_frequency:
            frequency[org_id] = org_frequency

        monthly = monthly_facts(org, memo.months)
        key = (
            org.kind,
            org.full_members,
            org.members,
            org.committee_size,
            org.term_ends_on,
            org.term_started_on,
            org.deputies,
            org.officers,
            org.subtree_members,
            monthly,
            org.kinds_by_month,
        )
        entry = committee_memo.get(key)
        if entry is None:
            if org.kinds_by_month is not None:
                results = committee_as_was(memo, org.kinds_by_month, monthly, *key[1:-2])
            elif monthly is None:
                results = committee_results(*key[:-2], as_of)
            else:
                results = committee_year(memo, org.kind, monthly, *key[1:-2])
            shared: dict[str, Cell] = {}
            for result in results:
                shared.setdefault(result.column, Cell()).add(result.status)
            entry = committee_memo[key] = (results, shared)
        results, shared = entry
        quorum = (
            _quorum_results(org_id, by_key, votes)
            if (org_id, "committee_meeting") in by_key or org_id in votes or (org_id, DLM) in by_key
            else []
        )
        talk = talks.get(org_id)
        if talk is not None:
            quorum = [*quorum, talk_result(talk, talk_min, memo.year, memo.as_of)]
        if quorum or org_id in explained_orgs:
            own = [*results, *quorum]
            fresh: dict[str, Cell] = {}
            for result in own:
                cell = fresh.setdefault(result.column, Cell())
                cell.add(result.status)
                if (org_id, result.rule_id, year_period.key) in explanations and _explainable(
                    result.status, result.severity
                ):
                    cell.explained += 1
            org_cells.update(fresh)
        else:
            own = list(results)
            org_cells.update(shared)
        if own:
            other[org_id] = own
        if org_cells:
            cells_by_org[org_id] = org_cells
            used.update(org_cells)

    done = _Evaluated(frequency, other, cells_by_org, used)
    _contribute(done, records, rules, memo)
    return done


_UNVERIFIED = {"lecturer_unverified": True}
_EMPTY: tuple = ()
FrequencyVerdicts = list[tuple[FrequencyRule, _Judged, list[tuple], dict | None]]


def _judge_frequency(
    org: OrgInfo,
    by_key: dict[tuple[int, str], list[tuple]],
    secretaries: dict[int, list[tuple[int, str, str | None]]],
    rules: RuleSet,
    memo: _Memo,
) -> FrequencyVerdicts:
    """One organization's frequency rules judged: (rule, verdicts, the meetings counted, extra
    facts) per rule binding it."""
    org_id = org.id
    has_committee = org.full_members >= COMMITTEE_THRESHOLD
    # Month by month: a branch with 7 full members in some months only (on each month's
    # last day) is bound by a committee's monthly rules in those months.
    months = committee_months(org.full_by_month)
    kinds = org.kinds_by_month  # None unless its kind or existence changed in the year
    plan_key = (id(rules), org.kind, has_committee, months, kinds)
    plan = memo.plans.get(plan_key)
    if plan is None:
        plan = memo.plans[plan_key] = (
            plan_for(rules, org.kind, has_committee, months)
            if kinds is None
            else plan_as_was(rules, kinds, has_committee, months)
        )
    out = []
    for freq, kinds, period_kind, leader, bound_months in plan:
        if len(kinds) == 1:
            rows = by_key.get((org_id, kinds[0]), _EMPTY)
        else:
            rows = [r for kind in kinds for r in by_key.get((org_id, kind), _EMPTY)]
        extra = None
        if leader:
            posts = secretaries.get(org_id)
            if posts:
                rows = [r for r in rows if _gave_lecture(r, posts)]
            else:
                extra = _UNVERIFIED  # no secretary on record: every 党课 is counted
        if not rows:
            counts = memo.zeros[period_kind]
        elif period_kind == "month":
            tally = [0] * 12
            for row in rows:
                tally[row[_MONTH] - 1] += 1
            counts = tuple(tally)
        elif period_kind == "quarter":
            tally = [0] * 4
            for row in rows:
                tally[(row[_MONTH] - 1) // 3] += 1
            counts = tuple(tally)
        else:
            counts = (len(rows),)
        if bound_months is not None:
            judged = memo.judge_months(freq, counts, bound_months)
        else:
            judged = memo.judged.get((id(freq), counts)) or memo.judge(freq, counts)
        out.append((freq, judged, rows, extra))
    return out


def frequency_verdicts(
    root: Organization, year: int, *, today: dt.date | None = None, rules: RuleSet | None = None
) -> tuple[list[OrgInfo], dict[int, FrequencyVerdicts]]:
    """The frequency verdicts of `root`'s subtree in `year` only: the same reading and judging
    as `compute` gives in `ComplianceReport._frequency`, without what the other columns need
    (subtree counts, votes, explanations, talks, the committee and quorum rules, the other
    apps' columns). For the assessment's share of meetings held, which reads nothing else."""
    today = today or local_today()
    rules = rules or rules_in_force()
    as_of = min(today, dt.date(year, 12, 31))
    with _gc_paused():
        records = _read(_subtree(root.path, None), year, as_of, complete=True, frequency_only=True)
        memo = shared_memo(rules, year, today, as_of)
        out: dict[int, FrequencyVerdicts] = {}
        for org in records.orgs:
            found = _judge_frequency(org, records.by_key, records.secretaries, rules, memo)
            if found:
                out[org.id] = found
    return records.orgs, out


def _contribute(done: _Evaluated, records: _Records, rules: RuleSet, memo: _Memo) -> None:
    """The other apps' findings of the organizations read, added as the meetings' own year
    findings (cells with their explained count, the per-period findings, the columns used)."""
    extra = contributors()
    if not extra:
        return
    # Their findings are of the year: only the organizations that existed on its reading day
    # (as_was.year_kind, the meetings' own rule) answer for them, whatever a contributor reads.
    existing = [o for o in records.orgs if year_kind(o) is not None]
    judged = {o.id for o in existing}
    scope = Scope(records.where, existing, memo.year, memo.as_of, memo.today, rules)
    year_key = _year_period(memo.year).key
    explanations = records.explanations
    for contributor in extra:
        for org_id, results in contributor.evaluate(scope).items():
            if not results or org_id not in judged:
                continue
            done.other[org_id] = [*done.other.get(org_id, ()), *results]
            cells = done.cells_by_org[org_id] = dict(done.cells_by_org.get(org_id, {}))
            fresh: set[str] = set()
            for result in results:
                cell = cells.get(result.column)
                if cell is None or result.column not in fresh:
                    # A cell of its own (another organization's may be the same object).
                    cell, old = Cell(), cell
                    if old is not None:
                        cell.merge(old.tally, old.worst)
                        cell.explained = old.explained
                    cells[result.column] = cell
                    fresh.add(result.column)
                cell.add(result.status)
                if (org_id, result.rule_id, year_key) in explanations and _explainable(
                    result.status, result.severity
                ):
                    cell.explained += 1
                done.used.add(result.column)


def _gave_lecture(row: tuple, posts: list[tuple[int, str, str | None]]) -> bool:
    day, host = row[_DAY], row[_HOST]
    return any(m == host and s <= day and (e is None or e >= day) for m, s, e in posts)


@cache
def _quorum(kind: str, should: int, present: int) -> RuleViolation | None:
    return quorum_violation(kind, should, present)


def _quorum_results(
    org_id: int,
    by_key: dict[tuple[int, str], list[tuple]],
    votes: dict[int, list[tuple[int, int, int]]],
) -> list[Result]:
    out = []
    # The 委员 seated on the day and those of them present (第十二条), never the expected list:
    # guests and non-委员 do not make a 支委会's quorum. A committee with no seat on record
    # that day has nothing to count.
    committee_meetings = [
        (r[_ID], r[_SEATED], r[_SEATED_PRESENT])
        for r in by_key.get((org_id, "committee_meeting"), ())
        if r[_SEATED]
    ]
    cases = [
        ("committee_meeting_quorum", "committee_meeting", committee_meetings),
        ("general_meeting_quorum", "general_meeting", votes.get(org_id, [])),
    ]
    for rule_id, kind, items in cases:
        if not items:
            continue
        failed = []
        first: RuleViolation | None = None
        for meeting_id, should, present in items:
            violation = _quorum(kind, should, min(present, should))
            if violation is not None:
                failed.append(meeting_id)
                first = first or violation
        facts: dict[str, object] = {
            "checked": len(items),
            "meeting_ids": sorted(failed or [m for m, *_ in items]),
        }
        if first is None:
            what = "支委会" if kind == "committee_meeting" else "党员大会表决"
            out.append(_ok_result(rule_id, f"{what}{len(items)}次，到会人数均超过半数", facts))
        else:
            result = _violation_result(first, VIOLATED)
            out.append(
                result._replace(
                    message=f"{len(failed)}次未达到法定到会人数：{first.message}",
                    facts={**result.facts, **facts},
                )
            )
    dlm = _dlm_quorum_result(by_key.get((org_id, DLM), ()))
    if dlm is not None:
        out.append(dlm)
    return out


def _dlm_quorum_result(rows) -> Result | None:
    """民主生活会: 到会 ≥ 2/3 of 应到, for each one held (as recorded: 应到 is the record's
    expected list, 实到 those present). A meeting with nobody expected is not judged."""
    items = [(r[_ID], r[_EXPECTED], min(r[_PRESENT], r[_EXPECTED])) for r in rows if r[_EXPECTED]]
    if not items:
        return None
    failed, first = [], None
    for meeting_id, expected, present in items:
        violation = dlm_quorum_violation(expected, present)
        if violation is not None:
            failed.append(meeting_id)
            first = first or violation
    facts: dict[str, object] = {
        "checked": len(items),
        "meeting_ids": sorted(failed or [m for m, *_ in items]),
    }
    if first is None:
        message = f"民主生活会{len(items)}次，到会人数均达到应到会人数的2/3以上"
        return _ok_result(DLM_QUORUM_RULE, message, facts)
    result = _violation_result(first, VIOLATED)
    return result._replace(
        message=f"{len(failed)}次到会人数不足：{first.message}",
        facts={**result.facts, **facts},
    )
