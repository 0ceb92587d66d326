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
