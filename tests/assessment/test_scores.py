"""Scores traced to records: live before the freeze, the snapshot after; combined scores and
grades on their thresholds; the vote mapping; vetoes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.assessment import scoring, services, services_results
from dangjian.assessment.models import Scheme, Snapshot
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.dues import services as dues_services
from dangjian.members.models import Member
from tests.assessment.helpers import full_scheme, organ
from tests.dues.helpers import assessed, settle
from tests.helpers import actions_since, last_seq


def _line(scheme, target, title):
    result = scoring.results(scheme, [target])[0]
    return result, next(line for line in result.lines if line.indicator.title == title)


def _record(demo, month: dt.date, paid_on: dt.date) -> int:
    return dues_services.record_month(
        Actor(user=demo.users["secretary"]), demo.branch, month, paid_on=paid_on
    )


def test_a_score_follows_a_record_before_the_freeze_and_not_after(demo):
    scheme, ind = full_scheme(demo)
    services.publish(organ(demo), scheme)
    target = scheme.targets.get(organization=demo.branch)
    member = settle(Member.objects.filter(organization=demo.branch).first(), dt.date(2020, 1, 1))
    assessed(demo, member, "4000", dt.date(2026, 1, 1))

    _, line = _line(scheme, target, "党费交纳")
    assert line.raw == "无应办事项" and line.value == 100  # nothing recorded yet

    # September recorded late (in November): the live value follows.
    assert _record(demo, dt.date(2026, 9, 1), dt.date(2026, 11, 20)) >= 1
    _, line = _line(scheme, target, "党费交纳")
    assert line.value == 0 and not line.frozen
    assert any("2026年9月" in i["label"] for i in line.inputs)

    seq = last_seq()
    snaps = services.freeze(organ(demo), scheme)
    assert snaps == scheme.targets.count() * 2  # two computed indicators
    assert "update" in actions_since(seq)
    scheme.refresh_from_db()

    # A later record (November, on time) changes the live reading but not the frozen one.
    _record(demo, dt.date(2026, 11, 1), dt.date(2026, 11, 20))
    _, line = _line(scheme, target, "党费交纳")
    assert line.value == 0 and line.frozen
    snap = Snapshot.objects.get(target=target, source_key="dues_on_time")
    assert snap.value == 0 and any("2026年9月" in i["label"] for i in snap.inputs)
    live = scoring.compute_sources([ind["dues"]], [target], 2026, dt.date(2026, 11, 25))
    assert live[ind["dues"].pk][target.pk].value == 50


def test_the_combined_score_and_its_grade_on_the_thresholds(demo):
    scheme, ind = full_scheme(demo)
    services.publish(organ(demo), scheme)
    target = scheme.targets.get(organization=demo.branch)
    services.score_manual(organ(demo), target, ind["manual"], score="5", comment="有特色但不突出")
    services.record_tally(
        organ(demo),
        target,
        ind["votes"],
        attendees=10,
        counts={"好": 5, "较好": 5},
        held_on=dt.date(2026, 11, 20),
    )
    result, manual = _line(scheme, target, "特色工作")
    assert manual.value == 50 and manual.comment == "有特色但不突出"
    _, votes = _line(scheme, target, "述职评议")
    assert votes.value == 90  # (5×100 + 5×80) / 10
    meetings = next(line for line in result.lines if line.indicator.title == "组织生活").value
    # party = meetings×0.4 + dues(no records: full)×0.3 + manual×0.3 ; business = votes
    party = meetings * Decimal("0.4") + 30 + 15
    assert result.party == party.quantize(Decimal("0.01"))
    expected = (party * 70 + 90 * 30) / 100
    assert result.score == expected.quantize(Decimal("0.01"))
    leaves = [line for line in result.lines if line.indicator.source_kind != "group"]
    assert abs(sum(line.contribution for line in leaves) - result.score) <= Decimal("0.05")


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("90", "好"),
        ("89.99", "较好"),
        ("80", "较好"),
        ("79.99", "一般"),
        ("60", "一般"),
        ("59.99", "差"),
        ("0", "差"),
    ],
)
def test_grades_on_their_thresholds(score, grade):
    from dangjian.regulations.assessment import grade_for, parse_grades

    grades = parse_grades([["好", 90], ["较好", 80], ["一般", 60], ["差", 0]])
    assert grade_for(Decimal(score), grades) == grade


def test_a_veto_caps_the_grade_with_its_reason(demo):
    scheme, ind = full_scheme(demo)
    services.publish(organ(demo), scheme)
    target = scheme.targets.get(organization=demo.branch)
    services.score_manual(organ(demo), target, ind["manual"], score="10", comment="优秀")
    services.record_tally(
        organ(demo),
        target,
        ind["votes"],
        attendees=9,
        counts={"好": 9},
        held_on=dt.date(2026, 11, 1),
    )
    before = scoring.results(scheme, [target])[0]
    services.record_veto(organ(demo), target, cap="一般", reason="发生违反中央八项规定精神问题")
    after = scoring.results(scheme, [target])[0]
    assert after.score == before.score
    assert after.earned_grade == before.earned_grade
    assert after.grade == max(before.earned_grade, "一般", key=scheme.grade_names.index)
    assert after.vetoes[0].reason == "发生违反中央八项规定精神问题"


@pytest.mark.parametrize(
    ("counts", "value"),
    [
        ({"好": 10}, Decimal("100")),
        ({"差": 4}, Decimal("0")),
        ({"好": 1, "较好": 1, "一般": 1, "差": 1}, Decimal("60")),
        ({"较好": 2, "一般": 1}, Decimal("73.33")),
    ],
)
def test_the_vote_mapping(counts, value):
    from dangjian.regulations.assessment import DEFAULT_VOTE_POINTS, parse_vote_points, vote_value

    assert vote_value(counts, parse_vote_points(DEFAULT_VOTE_POINTS)) == value


def test_a_ballot_count_above_the_sitting_is_refused_and_nothing_written(demo):
    scheme, ind = full_scheme(demo)
    services.publish(organ(demo), scheme)
    target = scheme.targets.get(organization=demo.branch)
    seq = last_seq()
    with pytest.raises(ServiceValidationError) as caught:
        services.record_tally(
            organ(demo),
            target,
            ind["votes"],
            attendees=8,
            counts={"好": 5, "较好": 4},
            held_on=dt.date(2026, 11, 1),
        )
    assert "超过到会人数8人" in caught.value.errors["votes"]
    assert not target.tallies.exists() and actions_since(seq) == []


def test_a_manual_score_needs_a_comment_and_stays_within_its_maximum(demo):
    scheme, ind = full_scheme(demo)
    services.publish(organ(demo), scheme)
    target = scheme.targets.get(organization=demo.branch)
    with pytest.raises(ServiceValidationError) as caught:
        services.score_manual(organ(demo), target, ind["manual"], score="11", comment="")
    assert set(caught.value.errors) == {"score", "comment"}
    assert not target.manual_scores.exists()


def test_a_final_result_cannot_change(demo):
    scheme, ind = full_scheme(demo)
    services.publish(organ(demo), scheme)
    services.freeze(organ(demo), scheme)
    services_results.publish_results(organ(demo), scheme)
    # The appeal window (working days) has passed: the results were shown in October.
    Scheme.objects.filter(pk=scheme.pk).update(results_published_on=dt.date(2026, 10, 9))
    services_results.finalize(organ(demo), scheme)
    target = scheme.targets.get(organization=demo.branch)
    assert target.grade in scheme.grade_names and target.score is not None
    with pytest.raises(ServiceValidationError, match="已定档"):
        services.score_manual(organ(demo), target, ind["manual"], score="1", comment="改分")


def test_the_snapshots_are_what_the_sources_computed(demo):
    """Every computed source for every target: the frozen value, method and inputs are exactly
    the live ones read just before the freeze, and the explanation reads the same lines."""
    from dangjian.assessment.models import SourceKind

    scheme = services.create_scheme(
        organ(demo),
        demo.organ_committee,
        year=2026,
        title="四项来源",
        target_kind="branch",
        party_weight=100,
        business_weight=0,
        grades=[["好", "90"], ["差", "0"]],
    )
    for key in ("meetings_held", "work_on_time", "study_coverage", "dues_on_time"):
        services.add_indicator(
            organ(demo),
            scheme,
            title=key,
            part="party",
            weight=25,
            source_kind="computed",
            source_key=key,
        )
    services.publish(organ(demo), scheme)
    targets = list(scheme.targets.select_related("organization").order_by("pk"))
    indicators = list(scheme.indicators.filter(source_kind=SourceKind.COMPUTED))
    as_of = dt.date(2026, 11, 25)
    live = scoring.compute_sources(indicators, targets, 2026, as_of)
    before = [
        [(line.value, line.raw, line.method, line.inputs) for line in r.lines]
        for r in scoring.results(scheme, targets)
    ]
    assert services.freeze(organ(demo), scheme, as_of=as_of) == 4 * len(targets)
    snaps = {(s.target_id, s.source_key): s for s in Snapshot.objects.filter(target__scheme=scheme)}
    assert len(snaps) == 4 * len(targets)
    for ind in indicators:
        for target in targets:
            computed, snap = live[ind.pk][target.pk], snaps[target.pk, ind.source_key]
            assert (snap.value, snap.method, snap.inputs) == (
                computed.value,
                computed.method,
                computed.inputs,
            )
    assert any(s.inputs for s in snaps.values())
    scheme.refresh_from_db()
    after = [
        [(line.value, line.raw, line.method, line.inputs) for line in r.lines]
        for r in scoring.results(scheme, targets)
    ]
    assert after == before
