"""Which frequency rules bind an organization in a year, and in which months: the monthly
支委会 of a branch that had 7 full members in some months only (issue 12)."""

from __future__ import annotations

from dangjian.regulations.committee import COMMITTEE_THRESHOLD
from dangjian.regulations.engine import RuleSet

__all__ = ["LEADER_LECTURE_RULE", "committee_months", "plan_for"]

LEADER_LECTURE_RULE = "party_lecture_leader"


def plan_for(
    rules: RuleSet, kind: str, has_committee: bool, months: tuple[bool, ...] | None
) -> list[tuple]:
    """The frequency rules binding an organization: (rule, meeting kinds, period kind, whether
    it is the leader's 党课, the months it binds or None for every period). A committee's
    monthly rules bind the months of `months`; its other rules follow the year's last day."""
    plan = []
    for freq in rules.frequency_rules_for(kind, has_committee=has_committee or months is not None):
        by_month = months is not None and freq.requires_committee and freq.period == "month"
        if freq.requires_committee and not by_month and not has_committee:
            continue
        kinds = tuple(sorted(freq.meeting_kinds))
        leader = freq.id == LEADER_LECTURE_RULE
        plan.append((freq, kinds, freq.period, leader, months if by_month else None))
    return plan


def committee_months(full_by_month: tuple[int, ...] | None) -> tuple[bool, ...] | None:
    """The months a branch had 7 full members, when that changed within the year; None when
    it had them all year or never (the year's last day then decides, as for every rule)."""
    if full_by_month is None:
        return None
    months = tuple(n >= COMMITTEE_THRESHOLD for n in full_by_month)
    return months if any(months) and not all(months) else None
