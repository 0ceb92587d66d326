"""Study hours rules (regulations/study.py): plain Python, no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.regulations.base import Severity, rule
from dangjian.regulations.engine import PackError, effective_rules, load_pack, national_pack
from dangjian.regulations.study import (
    BEIJING,
    HoursStatus,
    hours_between,
    induction_due,
    months_in_year,
    requirement_for,
    status_for,
    study_year,
    year_bounds,
)

UTC = dt.UTC


def test_citations_follow_the_digest():
    member = rule("study_hours_member")
    assert member.article is None  # 第二十条 is only M in the digest
    assert member.citation == "《中国共产党党员教育管理工作条例》"
    assert member.severity is Severity.WARNING  # 一般不少于
    assert member.params["hours"] == 32
    leaders = rule("study_hours_leaders")
    assert leaders.params == {"hours": 56, "trainings": 1}
    assert leaders.confidence == "M"
    induction = rule("training_new_secretary")
    assert induction.citation == "《中国共产党党和国家机关基层组织工作条例》第三十一条"


def test_session_at_2330_on_31_december_beijing_counts_for_that_year():
    late = dt.datetime(2026, 12, 31, 23, 30, tzinfo=BEIJING)
    assert late.astimezone(UTC).hour == 15
    assert study_year(late) == 2026
    assert study_year(late.astimezone(UTC)) == 2026
    start, end = year_bounds(2026)
    assert start <= late < end
    assert study_year(dt.datetime(2026, 12, 31, 16, 30, tzinfo=UTC)) == 2027


def test_hours_between_rounds_down_to_the_half_hour():
    start = dt.datetime(2026, 3, 1, 9, 0, tzinfo=BEIJING)
    assert hours_between(start, start + dt.timedelta(minutes=89)) == Decimal("1")
    assert hours_between(start, start + dt.timedelta(minutes=90)) == Decimal("1.5")
    assert hours_between(start, start + dt.timedelta(hours=3)) == Decimal("3")
    with pytest.raises(ValueError):
        hours_between(start, start)


def test_member_boundary_32():
    req = requirement_for(2026, admitted_on=dt.date(2001, 7, 1))
    assert (req.hours, req.trainings, req.cadre) == (32, 0, False)
    assert status_for(32, req).status is HoursStatus.MET
    below = status_for(Decimal("31.5"), req)
    assert below.status is HoursStatus.NOT_MET
    assert below.severity is Severity.WARNING
    assert below.label == "未达标"


def test_cadre_boundary_56_and_one_training():
    req = requirement_for(2026, admitted_on=dt.date(2001, 7, 1), cadre_months=12)
    assert (req.hours, req.trainings, req.cadre) == (56, 1, True)
    assert status_for(56, req, trainings=1).met
    assert not status_for(Decimal("55.5"), req, trainings=1).met
    no_training = status_for(80, req, trainings=0)
    assert not no_training.met
    assert no_training.severity is Severity.ERROR


def test_mid_year_joiner_owes_a_share_by_months():
    # Admitted in July: July to December, 6 months of 12.
    req = requirement_for(2026, admitted_on=dt.date(2026, 7, 20))
    assert req.hours == 16
    # November: 2 months -> 32 * 2 / 12 = 5.33, rounded up.
    assert requirement_for(2026, admitted_on=dt.date(2026, 11, 3)).hours == 6
    # Not a member yet in that year: nothing owed.
    assert requirement_for(2025, admitted_on=dt.date(2026, 1, 5)).hours == 0


def test_cadre_appointed_mid_year():
    # Secretary from October (3 months): 56*3 + 32*9 = 456 / 12 = 38.
    req = requirement_for(2026, admitted_on=dt.date(2001, 7, 1), cadre_months=3)
    assert (req.hours, req.trainings) == (38, 0)
    req = requirement_for(2026, admitted_on=dt.date(2001, 7, 1), cadre_months=6)
    assert (req.hours, req.trainings) == (44, 1)


def test_months_in_year():
    assert months_in_year(2026, None) == 12
    assert months_in_year(2026, dt.date(2026, 1, 31)) == 12
    assert months_in_year(2026, dt.date(2026, 12, 1)) == 1
    assert months_in_year(2026, dt.date(2025, 3, 1), dt.date(2026, 4, 30)) == 4
    assert months_in_year(2026, dt.date(2027, 1, 1)) == 0


def test_induction_due_is_local():
    assert induction_due(dt.date(2026, 3, 31), None) is None
    assert induction_due(dt.date(2026, 3, 31), 6) == dt.date(2026, 9, 30)


def test_national_pack_study_table():
    params = effective_rules(national_pack()).study
    assert params.kind_hours["party_lecture"] == Decimal("2")
    assert params.counts("party_lecture", has_topic=False)
    assert not params.counts("theme_day", has_topic=False)
    assert params.counts("theme_day", has_topic=True)
    assert not params.counts("general_meeting", has_topic=True)
    assert params.induction_within_months is None


LOCAL = """
[pack]
id = "local_study"
title = "本地学时"

[study]
induction_within_months = 3
uncounted_kinds = ["central_group_study"]

[study.kind_hours]
party_lecture = 1.5
"""


def test_local_pack_changes_study_params():
    params = effective_rules(national_pack(), load_pack(LOCAL, name="l.toml")).study
    assert params.kind_hours["party_lecture"] == Decimal("1.5")
    assert "central_group_study" not in params.kind_hours
    assert params.induction_within_months == 3


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[study]\nfoo = 1\n", "规则包 b.toml：[study]：未知字段 foo"),
        ("[study.kind_hours]\nparty_lecture = 0.3\n", "学时应在0.5到24之间"),
        ("[study]\ninduction_within_months = 0\n", "应为1到24之间的整数"),
        ('[study]\nkinds_needing_topic = "x"\n', "应为会议类型的列表"),
    ],
)
def test_bad_study_tables(table, message):
    text = '[pack]\nid = "b"\ntitle = "b"\n' + table
    with pytest.raises(PackError) as err:
        load_pack(text, name="b.toml")
    assert message in str(err.value)
