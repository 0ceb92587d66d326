"""Issue 12's missing rules, from the digest (/work/shared/domain/regulations.md), on their
boundaries: 民主生活会 到会 ≥ 2/3 of 应到 (dlm_quorum), at most one 副书记 in a branch committee
(committee_deputies), 党组成员一般设3至7人 (dangzu_size). 谈心谈话 once a year (heart_talk) is a
frequency rule of the national pack, covered by the year tables of test_meeting_rules.py."""

from __future__ import annotations

from datetime import date

import pytest

from dangjian.regulations.base import Severity, rule
from dangjian.regulations.committee import check_committee
from dangjian.regulations.meetings import dlm_quorum_minimum, dlm_quorum_violation

TODAY = date(2026, 6, 1)


# "到会人数必须达到应到会人数的2/3以上": 以上 includes the boundary.
@pytest.mark.parametrize(
    ("expected", "present", "ok"),
    [
        (9, 5, False),
        (9, 6, True),  # exactly 2/3
        (9, 7, True),
        (10, 6, False),  # 6.67 needed
        (10, 7, True),
        (3, 1, False),
        (3, 2, True),
        (1, 0, False),
        (1, 1, True),
        (0, 0, True),
    ],
)
def test_dlm_quorum_boundaries(expected: int, present: int, ok: bool) -> None:
    found = dlm_quorum_violation(expected, present)
    assert (found is None) is ok
    if found is not None:
        assert found.severity is Severity.ERROR
        assert found.citation == "《县以上党和国家机关党员领导干部民主生活会若干规定》"
        assert found.facts == {
            "expected": expected,
            "present": present,
            "needed": dlm_quorum_minimum(expected),
        }
        assert found.message == (
            f"民主生活会到会人数必须达到应到会人数的2/3以上：应到{expected}人，"
            f"实到{present}人，至少应到会{dlm_quorum_minimum(expected)}人"
        )


def test_dlm_quorum_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError):
        dlm_quorum_violation(3, 4)
    with pytest.raises(ValueError):
        dlm_quorum_minimum(-1)


# A branch with a committee (7 full members or more): 副书记 at most 1, whatever the size.
@pytest.mark.parametrize(
    ("full_members", "deputies", "flagged"),
    [
        (7, 0, False),
        (7, 1, False),
        (7, 2, True),
        (12, 3, True),
        # Below 7 the no_committee rule speaks (it already holds a second deputy as an error).
        (6, 2, False),
    ],
)
def test_at_most_one_deputy_in_a_branch_committee(
    full_members: int, deputies: int, flagged: bool
) -> None:
    seats = 3 + deputies
    found = check_committee(
        "branch", full_members, seats, None, TODAY, deputies=deputies, officers=2
    )
    deputy = [v for v in found if v.rule.id == "committee_deputies"]
    assert bool(deputy) is flagged
    if flagged:
        (violation,) = deputy
        assert violation.severity is Severity.ERROR
        assert violation.citation == "《中国共产党支部工作条例（试行）》"
        assert violation.message == f"党支部委员会副书记至多设1名，现有副书记{deputies}名"


# 党组成员一般设3至7人: a warning outside, nothing when no member is on record.
@pytest.mark.parametrize(
    ("size", "flagged"),
    [(0, False), (1, True), (2, True), (3, False), (5, False), (7, False), (8, True), (9, True)],
)
def test_party_group_size(size: int, flagged: bool) -> None:
    found = check_committee("leading_group", 0, size, None, TODAY)
    assert bool(found) is flagged
    if flagged:
        (violation,) = found
        assert violation.rule.id == "dangzu_size"
        assert violation.severity is Severity.WARNING
        assert violation.citation == "《中国共产党党组工作条例（试行）》第七条"
        assert violation.facts["size"] == size


def test_the_new_rules_cite_as_the_digest_marks_them() -> None:
    """H article → title and article; otherwise the title alone (never a guessed article)."""
    assert rule("dlm_quorum").article is None
    assert rule("committee_deputies").article is None
    assert rule("heart_talk").article is None
    assert rule("dangzu_size").article == "第七条"
    assert rule("heart_talk").severity is Severity.WARNING  # "一般不少于1次"


# The 机关 thresholds, on the members of the whole subtree (以上/以下 include the boundary).
@pytest.mark.parametrize(
    ("kind", "members", "rule_id"),
    [
        ("organ_committee", 0, None),  # nobody on record: nothing to judge
        ("organ_committee", 99, "organ_committee"),
        ("organ_committee", 100, None),
        ("organ_committee", 101, None),
        ("general_branch", 0, None),
        ("general_branch", 49, "organ_general_branch"),
        ("general_branch", 50, None),
        ("general_branch", 100, None),
        ("general_branch", 101, "organ_general_branch"),
    ],
)
def test_organ_thresholds(kind: str, members: int, rule_id: str | None) -> None:
    found = [
        v
        for v in check_committee(kind, 0, 5, None, TODAY, subtree_members=members)
        if v.rule.id != "committee_term"
    ]
    assert [v.rule.id for v in found] == ([rule_id] if rule_id else [])
    if rule_id:
        (violation,) = found
        assert violation.severity is Severity.WARNING
        assert violation.citation == "《中国共产党党和国家机关基层组织工作条例》"
        assert violation.facts == {"subtree_members": members}
        assert f"所属党员{members}人" in violation.message


def test_organ_thresholds_need_the_subtree_count() -> None:
    assert check_committee("organ_committee", 0, 5, None, TODAY) == []
