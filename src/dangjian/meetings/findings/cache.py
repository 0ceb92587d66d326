"""The findings page's cache: a report reused while the audit log shows no relevant change,
brought up to date organization by organization after writes."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict, defaultdict
from typing import Any

from django.conf import settings
from django.db.models import CharField, Q, Value

from dangjian.audit.models import NO_RECORD_CHANGED, AuditEvent, AuditHead
from dangjian.core.clock import today as local_today
from dangjian.meetings.findings.committee_rules import talk_minimum
from dangjian.meetings.findings.contributors import contributors
from dangjian.meetings.findings.evaluation import _columns, _evaluate, compute, forget_memos
from dangjian.meetings.findings.reading import SUBTREE_COUNTED, _only, _read
from dangjian.meetings.findings.report import ComplianceReport, Rollup, _gc_paused
from dangjian.meetings.models import (
    Attachment,
    Attendance,
    FindingExplanation,
    LeaveRequest,
    Meeting,
    MeetingSeries,
    Vote,
)
from dangjian.meetings.packs import rules_in_force
from dangjian.members.models import Member, MembershipSpell
from dangjian.orgs.models import Organization, OrgKind, Post

# A province's whole tree takes about a second to compute; the 机关工委's page must answer in a
# fraction of that, also right after a write. Every write goes through a service that leaves an
# audit event naming the object it changed, and the audit log is in the database, so every
# process sees every other's writes there. A cached report remembers the head of the log it was
# computed at; on the next request one indexed query reads the events added since, and each is
# traced to the organizations whose records it changed (`_changed_organizations`). Only those
# are read again and re-evaluated, and their cells replace the old ones (`_refresh`): per
# organization the findings depend on nothing but its own records, except a 机关党委's and a
# 总支's 机关 thresholds, which count their subtree's members (so those above an organization
# whose members changed are read again too), and the report is the one a full computation gives. An event that cannot be traced to an organization (an organization
# created, moved or edited, a bulk load's summary, a type not known here) or too many of them
# recompute the whole subtree, as does a new day (`today` is part of the key). Rule pack
# changes read a new RuleSet and so miss the cache; writes that bypass the services are
# picked up after DANGJIAN_COMPLIANCE_CACHE_SECONDS (settings.py: 6 hours; 0 turns it off).

_RELEVANT = (
    Q(object_type__startswith="meetings.")
    | Q(object_type__startswith="members.")
    | Q(object_type__startswith="orgs.")
)


# The rows that name the organization an audited object belongs to.
_OWNER = {
    "meetings.meeting": (Meeting, "organization_id"),
    "meetings.meetingseries": (MeetingSeries, "organization_id"),
    "meetings.findingexplanation": (FindingExplanation, "organization_id"),
    "meetings.attendance": (Attendance, "meeting__organization_id"),
    "meetings.vote": (Vote, "meeting__organization_id"),
    "meetings.leaverequest": (LeaveRequest, "meeting__organization_id"),
    "meetings.attachment": (Attachment, "meeting__organization_id"),
    "members.member": (Member, "organization_id"),
    "orgs.post": (Post, "organization_id"),
}
# Events that change no record the findings are computed from: rule packs (a new RuleSet, so
# a new cache key) and an import's summary (each imported member has an event of its own).
_NOT_RECORDS = frozenset({"meetings.loadedrulepack", "members.roster_import"})
_NOT_WRITES = NO_RECORD_CHANGED
# Beyond these, recomputing the subtree is as quick and the queries stay small.
_MAX_EVENTS = 500
_MAX_CHANGED = 500
_CACHE_ENTRIES = 4
_cache_lock = threading.Lock()
_reports: OrderedDict[tuple, tuple[tuple[int, str], float, ComplianceReport]] = OrderedDict()
# The last organizations read again after writes (`_reread`): (head, ids, year, day, rules)
# -> (the rules, the records read, their evaluation).
_rereads: OrderedDict[tuple, tuple[Any, Any, Any]] = OrderedDict()


def _owners() -> dict[str, tuple[Any, str]]:
    """`_OWNER` and the object types the other contributors name."""
    owners = dict(_OWNER)
    for contributor in contributors():
        owners.update(contributor.owners)
    return owners


def _relevant(owners: dict[str, tuple[Any, str]]) -> Q:
    extra = sorted(set(owners) - set(_OWNER))
    return _RELEVANT | Q(object_type__in=extra) if extra else _RELEVANT


def cache_seconds() -> int:
    return int(settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS)


def clear_cache() -> None:
    """Forget this process's reports (the next page recomputes its whole subtree) and the
    verdicts its computations shared (`evaluation.shared_memo`)."""
    with _cache_lock:
        _reports.clear()
        _rereads.clear()
    forget_memos()


def _organization_ids(value: object) -> list[int]:
    """The organization ids in an event's `organization` change: [before, after] or one id."""
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def _changed_organizations(
    head: tuple[int, str], now: tuple[int, str]
) -> tuple[set[int], bool] | None:
    """The organizations whose records changed between two heads of the audit log, and
    whether a member's record was among them (the 机关 thresholds count members over
    subtrees), or None when that cannot be told (recompute everything).

    Two queries at most, whatever the number of events: the events (with the organization
    named in their changes, for creations, moves and deletions), then the organizations the
    changed objects belong to now, all object types in one UNION.
    """
    if head == now:
        return set(), False
    if now[0] < head[0] or head[0] == 0:
        return None
    owners = _owners()
    rows = list(
        AuditEvent.objects.filter(
            Q(seq=head[0]) | (Q(seq__gt=head[0], seq__lte=now[0]) & _relevant(owners))
        )
        .order_by("seq")
        .values_list("seq", "hash", "action", "object_type", "object_id", "changes__organization")[
            : _MAX_EVENTS + 2
        ]
    )
    # The event at `head` must still be the one seen then (not a new database's).
    if not rows or rows[0][:2] != head or len(rows) > _MAX_EVENTS + 1:
        return None
    changed: set[int] = set()
    wanted: dict[str, set[int]] = defaultdict(set)
    named: dict[tuple[str, int], bool] = {}
    members_changed = False
    for _, _, action, object_type, object_id, moved in rows[1:]:
        if action in _NOT_WRITES or object_type in _NOT_RECORDS:
            continue
        members_changed = members_changed or object_type.startswith("members.")
        if object_type not in owners:
            return None  # an organization itself, or a kind of record not known here
        found = _organization_ids(moved)
        changed.update(found)
        if not object_id.isdigit():
            if not found:
                return None  # a bulk load's summary
            continue
        pk = int(object_id)
        wanted[object_type].add(pk)
        named[(object_type, pk)] = named.get((object_type, pk), False) or bool(found)
    if wanted:
        parts = [
            owners[object_type][0]
            .objects.filter(pk__in=sorted(pks))
            .order_by()
            .annotate(object_type=Value(object_type, output_field=CharField()))
            .values_list("object_type", "pk", owners[object_type][1])
            for object_type, pks in sorted(wanted.items())
        ]
        # A member's event may rewrite their history (a backdated confirmation, a move or a
        # leave recorded late, corrected dates): every branch they ever belonged to may count
        # differently for some day, so each is refreshed, not only the one they are in now.
        members = wanted.get("members.member")
        if members:
            parts.append(
                MembershipSpell.objects.filter(member_id__in=sorted(members))
                .order_by()
                .annotate(object_type=Value("members.member", output_field=CharField()))
                .values_list("object_type", "member_id", "organization_id")
            )
        query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        for object_type, pk, org_id in query:
            named[(object_type, pk)] = True
            changed.add(org_id)
        # A deleted object whose event did not name its organization: nothing to trace.
        if not all(named.values()):
            return None
    return (changed, members_changed) if len(changed) <= _MAX_CHANGED else None


def _counting_ancestors(report: ComplianceReport, ids: set[int]) -> set[int]:
    """The 机关党委 and 总支 above the changed organizations: their 机关 thresholds count their
    whole subtree's members, so a change below them is a change of theirs (no query)."""
    counted = {
        o.path: o.id
        for o in report.orgs
        if o.kind in SUBTREE_COUNTED or SUBTREE_COUNTED & set(o.kinds_by_month or ())
    }
    if not counted:
        return set()
    found: set[int] = set()
    for org_id in ids:
        path = report.by_id[org_id].path
        for end in range(len(path), 0, -1):
            ancestor = counted.get(path[:end])
            if ancestor is not None:
                found.add(ancestor)
    return found


def _talk_branches(report: ComplianceReport, ids: set[int]) -> set[int]:
    """The branches of the party groups among `ids`: a party group's 谈心谈话 counts in its
    branch's coverage (no query)."""
    by_path = {o.path: o.id for o in report.orgs if o.kind == OrgKind.BRANCH}
    found = set()
    for org_id in ids:
        org = report.by_id[org_id]
        if org.kind == OrgKind.PARTY_GROUP and org.parent_path in by_path:
            found.add(by_path[org.parent_path])
    return found


def _reread(
    report: ComplianceReport, ids: set[int], at: tuple[int, str] | None
) -> tuple[Any, Any] | None:
    """The organizations `ids` read and judged again for `report`'s year, day and rules, or
    None when what is read is not those organizations. Taken from `_rereads` when this
    process already read them at the same head of the audit log for another report: the
    机关工委's report and a department's both hold the branch a secretary wrote to, and every
    worker brings both up to date after the write. Per organization the records and their
    verdicts do not depend on the report's root (only the cells and roll-ups above do), and
    the same head means the same records (every write leaves an event)."""
    key = None
    if at is not None:
        key = (at, frozenset(ids), report.year, report.today, report.as_of, id(report.rules))
        with _cache_lock:
            found = _rereads.get(key)
        if found is not None and found[0] is report.rules:
            return found[1], found[2]
    memo = report._memo
    assert memo is not None
    records = _read(_only(ids), report.year, report.as_of, talk_minimum=talk_minimum(report.rules))
    if {o.id for o in records.orgs} != ids:
        return None
    done = _evaluate(records, report.rules, memo)
    if key is not None:
        with _cache_lock:
            _rereads[key] = (report.rules, records, done)
            while len(_rereads) > _CACHE_ENTRIES:
                _rereads.popitem(last=False)
    return records, done


def _refresh(
    report: ComplianceReport,
    changed: set[int],
    members_changed: bool = True,
    *,
    at: tuple[int, str] | None = None,
) -> ComplianceReport | None:
    """`report` with the organizations in `changed` read and evaluated again (a new report;
    the old one may be in use by another thread), and, when a member's record changed, the
    机关党委 and 总支 above them. None when the subtree itself changed. `at`: the head of the
    audit log the changes were read up to (the reading may then be shared, `_reread`)."""
    ids = changed & report.by_id.keys()
    if not ids:
        return report
    if members_changed:
        ids |= _counting_ancestors(report, ids)
    memo = report._memo
    assert memo is not None
    with _gc_paused():
        ids |= _talk_branches(report, ids)
        reread = _reread(report, ids, at)
        if reread is None:
            return None
        records, done = reread
        fresh = {o.id: o for o in records.orgs}
        orgs = [fresh.get(o.id, o) for o in report.orgs]
        cells = {k: v for k, v in report._cells_by_org.items() if k not in ids}
        cells.update(done.cells_by_org)
        meetings = {k: v for k, v in report._meetings.items() if k not in ids}
        meetings.update(records.meetings)
        used = set().union(*cells.values())
    refreshed = ComplianceReport(
        root=fresh.get(report.root.id, report.root),
        year=report.year,
        today=report.today,
        as_of=report.as_of,
        rules=report.rules,
        orgs=orgs,
        columns=[c for c in _columns(report.rules) if c.key in used],
        meetings_counted=sum(map(sum, meetings.values())),
        _frequency={},
        _other={},
        _explanations={},
        _cells_by_org=cells,
        _meetings=meetings,
        _memo=memo,
        summary=True,
    )
    _carry_rollups(report, refreshed, ids)
    return refreshed


def _own(report: ComplianceReport, org_id: int) -> Rollup:
    own = Rollup()
    report._own_rollup(report.by_id[org_id], own)
    return own


def _shift(target: Rollup, was: Rollup, now: Rollup) -> None:
    """`target`'s counts with `was` (an organization's own, the same column keys as `now`)
    taken out and `now` put in."""
    for i in range(4):
        target.tally[i] += now.tally[i] - was.tally[i]
    target.explained += now.explained - was.explained
    for key, counts in now.columns.items():
        mine, gone = target.columns[key], was.columns[key]
        for i in range(4):
            mine[i] += counts[i] - gone[i]


def _carry_rollups(old: ComplianceReport, new: ComplianceReport, ids: set[int]) -> None:
    """Give `new` (`old` with the organizations `ids` read again) `old`'s roll-ups with only
    their own counts replaced, along their ancestors, instead of summing the whole subtree
    again: after each write every worker summed the 机关工委's 9,000 organizations twice (the
    page's top roll-ups, the API's per organization), most of a refresh's CPU. Each roll-up
    touched is a copy (`old` may be in use by another thread). The same counts as summing
    again, and the same order of columns in each roll-up, as long as each organization read
    again has the same columns in the same order as before; when one has not, nothing is
    carried and `new` sums as before."""
    if "top_rollups" not in old.__dict__:
        return
    for org_id in ids:
        if list(old._cells_by_org.get(org_id, ())) != list(new._cells_by_org.get(org_id, ())):
            return
    shifts = [(new.by_id[org_id], _own(old, org_id), _own(new, org_id)) for org_id in ids]
    by_path = {o.path: o.id for o in new.orgs}
    root = new.root.id

    def carry(rollups: dict[int, Rollup], chains: list[list[int]]) -> dict[int, Rollup]:
        out, copied = dict(rollups), set()
        for (_, was, now), chain in zip(shifts, chains, strict=True):
            for org_id in chain:
                if org_id not in copied:
                    copied.add(org_id)
                    out[org_id] = Rollup()
                    out[org_id].absorb(rollups[org_id])
                _shift(out[org_id], was, now)
        return out

    # The page's: the root's total and the top-level organization each one is under
    # (`ComplianceReport.top_rollups`).
    top_len = len(new.root.path) + Organization.steplen
    tops = old.top_rollups
    chains = []
    for org, _, _ in shifts:
        top = by_path.get(org.path[:top_len])
        chains.append([root] if org.id == root else [top, root] if top in tops else [])
    new.__dict__["top_rollups"] = carry(tops, chains)
    if "rollups" in old.__dict__:
        # Every organization's: the organization and each ancestor up to the root, as long as
        # the parent is in the report (`ComplianceReport.rollups`).
        chains = []
        for org, _, _ in shifts:
            chain = [org.id]
            while chain[-1] != root and (parent := by_path.get(org.parent_path)) is not None:
                chain.append(parent)
                org = new.by_id[parent]
            chains.append(chain)
        new.__dict__["rollups"] = carry(old.rollups, chains)


def cached_report(
    root: Organization, year: int, *, today: dt.date | None = None
) -> ComplianceReport:
    """`compute` for the findings page: cells and roll-ups only, reused while still valid and
    brought up to date organization by organization after writes.

    The report returned has no per-period findings (`findings_for` raises); pages that show
    findings call `compute` on their (small) subtree.
    """
    seconds = cache_seconds()
    today = today or local_today()
    rules = rules_in_force()
    if seconds <= 0:
        return compute(root, year, today=today, rules=rules).summary_only()
    head = AuditHead.objects.filter(pk=1).values_list("seq", "last_hash").first() or (0, "")
    key = (root.pk, root.path, year, today, id(rules))
    with _cache_lock:
        entry = _reports.get(key)
    report = None
    if entry is not None and time.monotonic() - entry[1] < seconds:
        changes = _changed_organizations(entry[0], head)
        if changes is not None:
            report = _refresh(entry[2], *changes, at=head)
    if report is not None:
        started = entry[1]
    else:
        report, started = compute(root, year, today=today, rules=rules), time.monotonic()
        report.summary_only()
    report.top_rollups  # noqa: B018 (computed before other threads see the report)
    with _cache_lock:
        _reports[key] = (head, started, report)
        _reports.move_to_end(key)
        while len(_reports) > _CACHE_ENTRIES:
            _reports.popitem(last=False)
    return report
