"""Appeals (申诉) within the pack's working days of the results' publication, decided with a
reason; the results are fixed only after the window and with every appeal decided."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from dangjian.assessment import services, services_results
from dangjian.assessment.models import Scheme
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.regulations.workdays import add_workdays
from tests.assessment.helpers import full_scheme, organ
from tests.helpers import actions_since, last_seq


def _frozen(demo):
    scheme, _ = full_scheme(demo)
    services.publish(organ(demo), scheme)
    services.freeze(organ(demo), scheme)
    return scheme


def test_an_appeal_within_the_window_is_decided_with_a_reason_before_finalizing(demo):
    scheme = _frozen(demo)
    secretary = Actor(user=demo.users["secretary"])
    target = scheme.targets.get(organization=demo.branch)
    with pytest.raises(ServiceValidationError, match="尚未公布"):
        services_results.file_appeal(secretary, target, reason="计票有误")
    services_results.publish_results(organ(demo), scheme)
    scheme.refresh_from_db()
    assert services_results.appeal_deadline(scheme) == add_workdays(scheme.results_published_on, 5)
    seq = last_seq()
    appeal = services_results.file_appeal(secretary, target, reason="述职评议计票有误")
    assert actions_since(seq) == ["create"]
    with pytest.raises(PermissionDenied):
        services_results.file_appeal(Actor(user=demo.users["organ"]), target, reason="代为申诉")
    # Not before the window closes, nor with an appeal undecided.
    with pytest.raises(ServiceValidationError, match="期满后才能定档"):
        services_results.finalize(organ(demo), scheme)
    Scheme.objects.filter(pk=scheme.pk).update(results_published_on=dt.date(2026, 10, 9))
    with pytest.raises(ServiceValidationError, match="1件申诉未处理"):
        services_results.finalize(organ(demo), scheme)
    with pytest.raises(ServiceValidationError):
        services_results.decide_appeal(organ(demo), appeal, upheld=False, decision="")
    services_results.decide_appeal(organ(demo), appeal, upheld=False, decision="经核对计票无误")
    appeal.refresh_from_db()
    assert appeal.status == "rejected" and appeal.decision == "经核对计票无误"
    services_results.finalize(organ(demo), Scheme.objects.get(pk=scheme.pk))
    assert Scheme.objects.get(pk=scheme.pk).status == "final"


def test_an_appeal_after_the_window_is_refused(demo):
    scheme = _frozen(demo)
    services_results.publish_results(organ(demo), scheme)
    Scheme.objects.filter(pk=scheme.pk).update(results_published_on=dt.date(2026, 10, 9))
    target = scheme.targets.get(organization=demo.branch)
    # Five working days after 9 October, by the State Council's calendar (调休 included).
    last = add_workdays(dt.date(2026, 10, 9), 5)
    with pytest.raises(ServiceValidationError, match=f"已于{last:%Y-%m-%d}截止"):
        services_results.file_appeal(Actor(user=demo.users["secretary"]), target, reason="计票有误")
    assert not target.appeals.exists()


def test_a_pending_appeal_waits_in_the_committees_inbox(demo, client_for):
    from dangjian.notices.queries import action_counts

    scheme = _frozen(demo)
    services_results.publish_results(organ(demo), scheme)
    target = scheme.targets.get(organization=demo.branch)
    before = action_counts(demo.users["organ"])
    appeal = services_results.file_appeal(
        Actor(user=demo.users["secretary"]), target, reason="特色工作评分偏低"
    )
    counts = client_for(demo.users["organ"]).get("/api/v1/inbox").json()["counts"]
    assert counts["appeals"] == 1 and action_counts(demo.users["organ"]).badge == before.badge + 1
    assert client_for(demo.users["secretary"]).get("/api/v1/inbox").json()["counts"]["appeals"] == 0
    services_results.decide_appeal(organ(demo), appeal, upheld=True, decision="已复核调整")
    assert client_for(demo.users["organ"]).get("/api/v1/inbox").json()["counts"]["appeals"] == 0


def test_each_step_tells_the_targets_once_and_links_to_their_explanation(demo):
    """Published, results shown, appeal decided, fixed: the branch's secretary is told at each
    step (once, however often a step is retried), a sibling branch's secretary only of the
    steps of its own target, and the notice carries no score or grade."""
    from dangjian.notices.models import Notice

    secretary = demo.users["secretary"]
    scheme, _ = full_scheme(demo)
    target = scheme.targets.get(organization=demo.branch)

    def kinds():
        mine = Notice.objects.filter(recipient=secretary, kind__startswith="assess_")
        return sorted(mine.values_list("kind", flat=True))

    assert kinds() == []
    services.publish(organ(demo), scheme)
    assert kinds() == ["assess_pub"]
    notice = Notice.objects.get(recipient=secretary, kind="assess_pub")
    assert notice.link == f"/assessment/targets/{target.pk}/"
    assert scheme.title in notice.title
    services.freeze(organ(demo), scheme)
    services_results.publish_results(organ(demo), scheme)
    scheme.refresh_from_db()
    deadline = services_results.appeal_deadline(scheme)
    result = Notice.objects.get(recipient=secretary, kind="assess_result")
    assert f"{deadline:%Y-%m-%d}前提出申诉" in result.body
    # Scores and grades stay on the page that checks who may see them.
    assert target.grade == "" and "分" not in result.title + result.body
    appeal = services_results.file_appeal(Actor(user=secretary), target, reason="计票有误")
    services_results.decide_appeal(organ(demo), appeal, upheld=True, decision="已更正")
    assert "申诉成立" in Notice.objects.get(recipient=secretary, kind="assess_appeal").title
    sibling = scheme.targets.get(organization=demo.sibling_branch)
    others = Notice.objects.filter(kind="assess_appeal", subject_id=sibling.pk)
    assert not others.exists()
    Scheme.objects.filter(pk=scheme.pk).update(results_published_on=dt.date(2026, 10, 9))
    services_results.finalize(organ(demo), Scheme.objects.get(pk=scheme.pk))
    assert kinds() == ["assess_appeal", "assess_final", "assess_pub", "assess_result"]
    # Idempotent per step: the keys name scheme, step and target.
    from dangjian.assessment import tell

    assert tell.tell_targets(scheme, tell.NoticeKind.FINAL, "再次") == 0


def test_the_dossier_lists_grades_once_fixed_in_tree_order_without_scores(demo):
    from dangjian.assessment.dossier import assessment_tables

    scheme = _frozen(demo)
    period = (dt.date(scheme.year, 1, 1), dt.date(scheme.year, 12, 31))
    (table,) = assessment_tables(demo.organ_committee, *period)
    rows = {row[3]: row for row in table.rows}
    assert rows[demo.branch.name][4] == "已冻结" and rows[demo.branch.name][5] == ""
    assert "综合得分" not in table.columns
    services_results.publish_results(organ(demo), scheme)
    target = scheme.targets.get(organization=demo.branch)
    appeal = services_results.file_appeal(
        Actor(user=demo.users["secretary"]), target, reason="计票有误"
    )
    services_results.decide_appeal(organ(demo), appeal, upheld=True, decision="已更正")
    Scheme.objects.filter(pk=scheme.pk).update(results_published_on=dt.date(2026, 10, 9))
    services_results.finalize(organ(demo), Scheme.objects.get(pk=scheme.pk))
    target.refresh_from_db()
    (table,) = assessment_tables(demo.organ_committee, *period)
    rows = {row[3]: row for row in table.rows}
    assert target.grade and rows[demo.branch.name][4:] == ["已定档", target.grade, 1, 1]
    # Tree order, never by score.
    paths = [t.organization.path for t in scheme.targets.select_related("organization")]
    assert [row[3] for row in table.rows] == [
        t.organization.name
        for t in sorted(
            scheme.targets.select_related("organization"), key=lambda t: t.organization.path
        )
    ] and len(paths) == len(table.rows)
    # Another department's subtree has none of these targets; a branch sees only its own.
    assert assessment_tables(demo.other_branch, *period)[0].rows == []
    (own,) = assessment_tables(demo.branch, *period)
    assert [row[3] for row in own.rows] == [demo.branch.name]
