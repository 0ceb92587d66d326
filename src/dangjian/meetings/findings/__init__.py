"""Compliance findings (the package): the regulation engine applied to the records of a subtree and a year.

`compute(root, year)` reads a whole subtree in a fixed number of queries, whatever its size:
the organizations, member counts per organization, posts, the meetings held in the year
(one pass over the indexed `held_on` column), votes, and the secretaries' explanations. It
then evaluates every applicable rule per organization in Python with the engine's own
functions (`evaluate_frequency`, `check_committee`, `quorum_violation`), so each rule still
lives once, in `regulations/`, with its citation.

Speed at province scale: a frequency finding depends on nothing but the rule, the number of
meetings in each period, the year and today (see `regulations.meetings._judge`), so one
`evaluate_frequency` call answers for every organization with the same counts per period;
the dates and meeting ids behind each figure are attached to each organization's finding.
Finding objects are built only when asked for (`findings_for`); the findings page needs only
the cells and the roll-ups (`cached_report`). It reuses them while the audit log shows no
relevant change, and after a write reads and evaluates again only the organizations whose
records the new audit events name: an organization's findings depend on its own records
alone, so the result is the one a full computation gives. Measured figures: bench/README.md.

Member-level signals (absence streaks, the 党章 第九条 six-month lapse) name people, so they
are computed for one branch at a time (`member_signals`) and shown only to those the issue
names: streaks to the branch's secretary and committee, lapses also to the organ committee.

The package, along its seams: `report` (the objects), `reading` (the records, a fixed number of
queries), `evaluation` (the rules, and `compute`), `cache` (the findings page's cache),
`output` (JSON), `signals` (one branch's members), `services` (explanations, the one write),
`views`, `api` and `urls` (the pages and `/api/v1/compliance`).
"""

from __future__ import annotations

from dangjian.core.clock import today as local_today
from dangjian.meetings.findings.cache import cache_seconds, cached_report, clear_cache
from dangjian.meetings.findings.evaluation import compute
from dangjian.meetings.findings.output import own_depth, report_json
from dangjian.meetings.findings.report import (
    AT_RISK,
    OK,
    PENDING,
    SEVERITY_ORDER,
    STATUS_ICONS,
    STATUS_LABELS,
    STATUSES,
    VIOLATED,
    Cell,
    Column,
    ComplianceReport,
    Finding,
    OrgInfo,
    Rollup,
)
from dangjian.meetings.findings.services import explain_finding
from dangjian.meetings.findings.signals import MemberSignal, MemberSignals, member_signals

__all__ = [
    "AT_RISK",
    "OK",
    "PENDING",
    "SEVERITY_ORDER",
    "STATUSES",
    "STATUS_ICONS",
    "STATUS_LABELS",
    "VIOLATED",
    "Cell",
    "Column",
    "ComplianceReport",
    "Finding",
    "MemberSignal",
    "MemberSignals",
    "OrgInfo",
    "Rollup",
    "cache_seconds",
    "cached_report",
    "clear_cache",
    "compute",
    "explain_finding",
    "local_today",
    "member_signals",
    "own_depth",
    "report_json",
]
