"""延长预备期: the 支部党员大会 decides (once, 6–12 months, during probation, by a vote of its
own), the 基层党委 above approves, and only then does the probation's end move; the 转正
discussion waits for the approval and then for the later end."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from dangjian.core.errors import ServiceValidationError
from dangjian.recruitment import queries, services
from dangjian.recruitment.models import ProbationExtension
from dangjian.regulations.periods import cn_date
from tests.helpers import events_since, last_seq
from tests.recruitment.helpers import D, as_, march, open_file, step, vote

# Admitted by the branch meeting of 1 July 2024: probation ends on 1 July 2025.
DECIDED = D(2025, 6, 20)


def _propose(demo, applicant, months=6, day=DECIDED, **kw):
    return services.propose_extension(
        as_(demo.users["secretary"]),
        applicant,
        months,
        day,
        kw.pop("decided_by_vote", None) or vote(demo.branch, day),
        kw.pop("reason", "考察期间表现需进一步考察"),
    )


@pytest.mark.parametrize(
    ("months", "end"), [(5, None), (6, D(2026, 1, 1)), (12, D(2026, 7, 1)), (13, None)]
)
def test_six_to_twelve_months_and_the_end_moves_only_on_approval(demo, months, end) -> None:
    applicant = march(demo, open_file(demo), 22)
    member = applicant.member
    if end is None:
        with pytest.raises(ServiceValidationError, match="延长预备期不能少于半年，最长不超过一年"):
            _propose(demo, applicant, months)
        assert not ProbationExtension.objects.exists()
        return
    extension = _propose(demo, applicant, months)
    member.refresh_from_db()
    assert member.probation_ends_on == D(2025, 7, 1)  # decided, not yet approved
    # The 转正 discussion waits for the approval.
    with pytest.raises(ServiceValidationError, match="待上级党委审批"):
        step(demo, applicant, 23, D(2025, 7, 1), vote=vote(demo.branch, D(2025, 7, 1)),
             publicity_from=D(2025, 6, 20))  # fmt: skip
    # Only the committee above approves, not before the decision.
    with pytest.raises(PermissionDenied):
        services.approve_extension(as_(demo.users["secretary"]), extension, D(2025, 6, 25))
    with pytest.raises(ServiceValidationError, match="审批日期不能早于支部大会决定日期"):
        services.approve_extension(as_(demo.users["organ"]), extension, D(2025, 6, 19))
    seq = last_seq()
    services.approve_extension(as_(demo.users["organ"]), extension, D(2025, 6, 25))
    assert [e.object_type for e in events_since(seq)].count("recruitment.probationextension") == 1
    member.refresh_from_db()
    assert member.probation_ends_on == end
    # The timeline's 转正 step opens at the new end.
    row = queries.timeline(applicant, D(2025, 7, 2))[22]
    assert row.earliest == end
    with pytest.raises(ServiceValidationError, match=f"预备期至{cn_date(end)}届满"):
        step(demo, applicant, 23, D(2025, 7, 1), vote=vote(demo.branch, D(2025, 7, 1)),
             publicity_from=D(2025, 6, 20))  # fmt: skip
    with pytest.raises(ServiceValidationError, match="已审批"):
        services.approve_extension(as_(demo.users["organ"]), extension, D(2025, 6, 26))
    with pytest.raises(ServiceValidationError, match="只能延长一次"):
        _propose(demo, applicant, 6, D(2025, 6, 21))


@pytest.mark.parametrize(
    ("day", "ok"),
    [(D(2025, 5, 31), False), (D(2025, 6, 1), True), (D(2025, 7, 1), True), (D(2025, 7, 2), False)],
)
def test_decided_during_probation_and_not_before_the_last_step(demo, day, ok) -> None:
    # Step 22 was recorded on 1 June 2025; probation ends on 1 July 2025 (the day itself counts).
    applicant = march(demo, open_file(demo), 22)
    if ok:
        assert _propose(demo, applicant, 6, day).decided_on == day
        return
    with pytest.raises(ServiceValidationError, match="决定日期不能早于上一步骤|应在预备期内"):
        _propose(demo, applicant, 6, day)
    assert not ProbationExtension.objects.exists()


def test_the_vote_proves_one_decision_and_follows_the_rules(demo) -> None:
    applicant = march(demo, open_file(demo), 22)
    weak = vote(demo.branch, DECIDED, yes=0)
    with pytest.raises(ServiceValidationError, match="赞成"):
        _propose(demo, applicant, decided_by_vote=weak)
    other_branch = vote(demo.sibling_branch, DECIDED)
    with pytest.raises(ServiceValidationError, match="本支部的支部党员大会"):
        _propose(demo, applicant, decided_by_vote=other_branch)
    with pytest.raises(ServiceValidationError, match="理由"):
        _propose(demo, applicant, reason=" ")
    used = vote(demo.branch, DECIDED)
    _propose(demo, applicant, decided_by_vote=used)
    # The same vote cannot prove another candidate's step.
    second = march(demo, open_file(demo, seed=5), 14)
    with pytest.raises(ServiceValidationError, match="逐个表决"):
        step(demo, second, 15, DECIDED, vote=used)


def test_before_admission_or_after_the_confirmation_vote_it_is_refused(demo) -> None:
    early = march(demo, open_file(demo), 14)
    with pytest.raises(ServiceValidationError, match="讨论转正前为预备党员"):
        _propose(demo, early, 6, D(2024, 6, 26))
    late = march(demo, open_file(demo, seed=5), 23)
    with pytest.raises(ServiceValidationError, match="讨论转正前为预备党员"):
        _propose(demo, late, 6, D(2025, 7, 1))


def test_through_the_file_page(demo, client_for) -> None:
    from django.urls import reverse

    applicant = march(demo, open_file(demo), 22)
    page = reverse("recruitment:file", args=[applicant.pk])
    secretary, organ = client_for(demo.users["secretary"]), client_for(demo.users["organ"])
    shown = secretary.get(page)
    assert shown.context["may_propose"] and not shown.context["may_approve_extension"]
    decided = vote(demo.branch, DECIDED)
    form = {"months": "13", "decided_on": "2025-06-20", "vote": decided.pk, "reason": "继续考察"}
    bad = secretary.post(reverse("recruitment:extension", args=[applicant.pk]), form, follow=True)
    assert bad.status_code == 400  # the form again, with what was typed
    assert "延长预备期不能少于半年" in bad.content.decode()
    html = bad.content.decode()
    assert 'value="2025-06-20"' in html and 'value="继续考察"' in html
    assert f'<option value="{decided.pk}" selected>' in html
    assert not ProbationExtension.objects.exists()
    secretary.post(reverse("recruitment:extension", args=[applicant.pk]), form | {"months": "12"})
    assert ProbationExtension.objects.get().months == 12
    approve = reverse("recruitment:extension_approve", args=[applicant.pk])
    assert secretary.post(approve, {"approved_on": "2025-06-25"}).status_code == 403
    assert organ.get(page).context["may_approve_extension"]
    organ.post(approve, {"approved_on": "2025-06-25"})
    applicant.member.refresh_from_db()
    assert applicant.member.probation_ends_on == D(2026, 7, 1)
    text = secretary.get(page).content.decode()
    assert "上级党委已于2025年6月25日批准，预备期至2026年7月1日届满" in text
