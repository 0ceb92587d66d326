"""手机评议: ballots cast on phones during the sitting, one each, anonymous by construction,
turned into each target's tally when the committee closes the sitting."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from dangjian.assessment import services
from dangjian.assessment import services_sitting as sittings
from dangjian.assessment.models import ReportAppraisalTally, SittingCount, SittingVoter
from dangjian.audit.models import AuditEvent
from dangjian.audit.services import Actor
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from tests.assessment.helpers import full_scheme, organ
from tests.helpers import last_seq

pytestmark = pytest.mark.django_db


def _open(demo):
    scheme, ind = full_scheme(demo)
    services.publish(organ(demo), scheme)
    return scheme, sittings.open_sitting(organ(demo), scheme, ind["votes"], today())


def _ballot(scheme, choice="好", **special) -> dict[int, str]:
    return {t.pk: special.get(str(t.organization.code), choice) for t in scheme.targets.all()}


def test_each_member_votes_once_and_the_close_writes_every_targets_tally(demo):
    scheme, sitting = _open(demo)
    member, secretary = (Actor(user=demo.users[u]) for u in ("member", "secretary"))
    branch = scheme.targets.get(organization=demo.branch)
    sittings.cast(member, sitting, _ballot(scheme, "好"))
    ballot = _ballot(scheme, "较好")
    ballot[branch.pk] = "差"
    sittings.cast(secretary, sitting, ballot)
    with pytest.raises(ServiceValidationError, match="每人只能投一次"):
        sittings.cast(member, sitting, _ballot(scheme, "差"))
    sittings.close_sitting(organ(demo), sitting)
    tally = ReportAppraisalTally.objects.get(target=branch)
    assert (tally.attendees, tally.good, tally.fairly_good, tally.average, tally.poor) == (
        2, 1, 0, 0, 1,
    )  # fmt: skip
    other = ReportAppraisalTally.objects.exclude(target=branch).first()
    assert (other.good, other.fairly_good) == (1, 1)
    assert ReportAppraisalTally.objects.count() == scheme.targets.count()
    with pytest.raises(ServiceValidationError, match="评议已结束"):
        sittings.cast(Actor(user=demo.users["organ"]), sitting, _ballot(scheme))


def test_nothing_links_a_voter_to_a_choice(demo):
    scheme, sitting = _open(demo)
    seq = last_seq()
    sittings.cast(Actor(user=demo.users["member"]), sitting, _ballot(scheme, "一般"))
    # The voter row has no choice, the counters no voter and no time.
    assert {f.name for f in SittingVoter._meta.concrete_fields} == {"id", "sitting", "user"}
    assert {f.name for f in SittingCount._meta.concrete_fields} == {
        "id", "sitting", "target", "choice", "n",
    }  # fmt: skip
    events = list(AuditEvent.objects.filter(seq__gt=seq))
    assert [e.object_type for e in events] == ["assessment.sittingvoter"]
    assert "一般" not in events[0].message + str(events[0].changes)


def test_refusals_leave_nothing(demo):
    scheme, sitting = _open(demo)
    member = Actor(user=demo.users["member"])
    partial = _ballot(scheme)
    partial.pop(next(iter(partial)))
    with pytest.raises(ServiceValidationError, match="全部"):
        sittings.cast(member, sitting, partial)
    with pytest.raises(ServiceValidationError, match="评价只能是"):
        sittings.cast(member, sitting, _ballot(scheme, "优秀"))
    with pytest.raises(PermissionDenied):
        sittings.cast(Actor(user=demo.users["sysadmin"]), sitting, _ballot(scheme))
    assert not SittingVoter.objects.exists()
    assert set(SittingCount.objects.values_list("n", flat=True)) == {0}
    with pytest.raises(ServiceValidationError, match="还没有人投票"):
        sittings.close_sitting(organ(demo), sitting)
    with pytest.raises(ServiceValidationError, match="进行中的手机评议"):
        sittings.open_sitting(organ(demo), scheme, sitting.indicator, today())
    with pytest.raises(PermissionDenied):
        sittings.close_sitting(Actor(user=demo.users["secretary"]), sitting)


def test_the_ballot_is_a_to_do_on_the_phone_until_cast(demo, client_for):
    scheme, sitting = _open(demo)
    phone = client_for(demo.users["member"])
    assert phone.get("/api/v1/inbox").json()["counts"]["sittings"] == 1
    page = phone.get(f"/assessment/sittings/{sitting.pk}/").content.decode()
    assert page.count('type="radio"') == 4 * scheme.targets.count()
    body = {f"t_{pk}": choice for pk, choice in _ballot(scheme, "较好").items()}
    done = phone.post(f"/assessment/sittings/{sitting.pk}/", body, follow=True).content.decode()
    assert "已投票" in done and 'type="radio"' not in done
    assert phone.get("/api/v1/inbox").json()["counts"]["sittings"] == 0
    # The committee sees how many voted, never what.
    committee = client_for(demo.users["organ"]).get(f"/assessment/sittings/{sitting.pk}/")
    assert "已投票 1 人" in committee.content.decode()
    assert (
        client_for(demo.users["sysadmin"]).get(f"/assessment/sittings/{sitting.pk}/").status_code
        == 404
    )
