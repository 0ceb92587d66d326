"""Trainings (培训班), external trainings and the cadre plan: services, hours, coverage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.members.models import Member
from dangjian.orgs.models import Post, PostKind
from dangjian.study import hours
from dangjian.study import services_training as svc
from dangjian.study.models import ExternalStatus, ExternalTraining, Participant, Training
from tests.helpers import assert_audited, last_seq
from tests.study.helpers import stored_files

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def data(**over) -> dict:
    base = {
        "title": "新任支部书记任职培训班",
        "organizer": "机关党委",
        "kind": "induction",
        "starts_on": "2026-11-02",
        "ends_on": "2026-11-04",
        "hours": "24",
        "place": "党校",
        "capacity": "",
        "expected_post": "",
    }
    return {**base, **over}


def organ(demo) -> Actor:
    return Actor(user=demo.users["organ"])


def test_plan_by_post_resolves_secretaries_of_the_subtree(demo):
    seq = last_seq()
    training = svc.plan_training(
        organ(demo), demo.organ_committee, data(kind="concentrated", expected_post="secretary")
    )
    expected = set(
        Post.objects.filter(
            organization__path__startswith=demo.organ_committee.path,
            kind=PostKind.SECRETARY,
            ended_on__isnull=True,
        ).values_list("member_id", flat=True)
    )
    assert set(training.participants.values_list("member_id", flat=True)) == expected
    assert_audited(seq, "create", training, actor="organ")


def test_plan_refusals(demo):
    with pytest.raises(ServiceValidationError) as err:
        svc.plan_training(organ(demo), demo.organ_committee, data(title="", hours="0.3"))
    assert err.value.errors["title"] == "请填写培训班名称"
    assert "0.5" in err.value.errors["hours"]
    member = demo.member_in_branch
    with pytest.raises(ServiceValidationError) as err:
        svc.plan_training(
            organ(demo),
            demo.organ_committee,
            data(expected_post="committee", capacity="1", members=[member.pk]),
        )
    assert "超过名额1人" in err.value.errors["capacity"]
    outside = demo.member_in_other_dept
    with pytest.raises(ServiceValidationError) as err:
        svc.plan_training(organ(demo), demo.organ_committee, data(members=[outside.pk]))
    assert err.value.errors["members"] == "参训人员应为本组织范围内的党员"
    with pytest.raises(ServiceValidationError):
        svc.plan_training(organ(demo), demo.branch, data(members=[member.pk]))
    with pytest.raises(PermissionDenied):
        svc.plan_training(
            Actor(user=demo.users["secretary"]), demo.organ_committee, data(members=[member.pk])
        )
    assert not Training.objects.exists()


def test_completion_by_exception_gives_hours_to_those_completed(demo):
    a, b = Member.objects.filter(organization=demo.branch).order_by("pk")[:2]
    before = {m.pk: hours.member_status(m, 2026) for m in (a, b)}
    training = svc.plan_training(organ(demo), demo.organ_committee, data(members=[a.pk, b.pk]))
    # Planned is not completed: no hours yet.
    assert hours.member_status(a, 2026).status.hours == before[a.pk].status.hours
    seq = last_seq()
    svc.record_completion(organ(demo), training, {b.pk: "因公出差"})
    assert_audited(seq, "update", training)
    after_a = hours.member_status(a, 2026).status
    assert after_a.hours - before[a.pk].status.hours == 24
    assert after_a.trainings == before[a.pk].status.trainings + 1
    assert hours.member_status(b, 2026).status.hours == before[b.pk].status.hours
    assert Participant.objects.get(training=training, member=b).note == "因公出差"


def test_completion_refused_before_the_end(demo):
    member = demo.member_in_branch
    training = svc.plan_training(
        organ(demo),
        demo.organ_committee,
        data(starts_on="2026-12-01", ends_on="2026-12-03", members=[member.pk]),
    )
    with pytest.raises(ServiceValidationError) as err:
        svc.record_completion(organ(demo), training, {})
    assert err.value.errors == {"training": "培训班尚未结束，不能登记结业"}


def test_certificate_upload_and_refusal_leaves_nothing(demo):
    member = demo.member_in_branch
    training = svc.plan_training(organ(demo), demo.organ_committee, data(members=[member.pk]))
    seat = training.participants.get()
    files_before = stored_files()
    with pytest.raises(ServiceValidationError) as err:
        svc.attach_certificate(organ(demo), seat, SimpleUploadedFile("证书.pdf", b""))
    assert "文件为空" in err.value.errors["certificate"]
    assert stored_files() == files_before
    svc.attach_certificate(organ(demo), seat, SimpleUploadedFile("证书.pdf", PDF))
    seat.refresh_from_db()
    assert seat.certificate_name == "证书.pdf"
    assert len(stored_files() - files_before) == 1


def test_external_training_counts_once_approved(demo):
    member = demo.own_member
    user = demo.users["member"]
    before = hours.member_status(member, 2026).status.hours
    form = {
        "title": "党校专题培训",
        "provider": "市委党校",
        "starts_on": "2026-10-10",
        "ends_on": "2026-10-12",
        "hours": "16",
        "concentrated": "1",
    }
    ext = svc.record_external(
        Actor(user=user), member, form, SimpleUploadedFile("结业证明.pdf", PDF)
    )
    assert ext.status == ExternalStatus.PENDING
    assert hours.member_status(member, 2026).status.hours == before
    with pytest.raises(PermissionDenied):
        svc.decide_external(Actor(user=user), ext, True)
    seq = last_seq()
    svc.decide_external(Actor(user=demo.users["secretary"]), ext, True)
    assert_audited(seq, "update", ext, actor="secretary")
    assert hours.member_status(member, 2026).status.hours - before == 16
    with pytest.raises(ServiceValidationError):
        svc.decide_external(Actor(user=demo.users["secretary"]), ext, False, "重复")


def test_external_refusals_leave_nothing(demo):
    member = demo.own_member
    user = demo.users["member"]
    files_before = stored_files()
    count = ExternalTraining.objects.count()
    bad = {"title": "", "provider": "x", "starts_on": "2026-10-12", "ends_on": "2026-10-10"}
    with pytest.raises(ServiceValidationError) as err:
        svc.record_external(Actor(user=user), member, bad, SimpleUploadedFile("a.pdf", PDF))
    assert err.value.errors["ends_on"] == "结束日期不能早于开始日期"
    form = {**bad, "title": "t", "starts_on": "2026-10-01", "hours": "8"}
    with pytest.raises(ServiceValidationError) as err:
        svc.record_external(Actor(user=user), member, form, SimpleUploadedFile("a.pdf", b"MZ\0\0"))
    assert "evidence" in err.value.errors
    with pytest.raises(PermissionDenied):
        svc.record_external(
            Actor(user=user), demo.member_in_branch, form, SimpleUploadedFile("a.pdf", PDF)
        )
    assert ExternalTraining.objects.count() == count
    assert stored_files() == files_before


def test_new_secretary_by_post_and_induction_coverage(demo):
    secretary = demo.users["secretary"].member
    Post.objects.filter(member=secretary, kind=PostKind.SECRETARY).update(
        started_on=dt.date(2026, 6, 1)
    )
    training = svc.plan_training(
        organ(demo), demo.organ_committee, data(expected_post="new_secretary")
    )
    assert secretary.pk in set(training.participants.values_list("member_id", flat=True))
    cov, cadres = hours.coverage(demo.users["organ"], demo.organ_committee, 2026)
    inducted_before = cov.secretaries_inducted
    svc.record_completion(organ(demo), training, {})
    cov, cadres = hours.coverage(demo.users["organ"], demo.organ_committee, 2026)
    assert cov.secretaries_inducted > inducted_before
    row = next(c for c in cadres if c.member.pk == secretary.pk)
    assert row.inducted is True
    # Once inducted, the secretary is no longer "new" for the next plan.
    again = svc.plan_training(
        organ(demo),
        demo.organ_committee,
        data(expected_post="new_secretary", members=[demo.member_in_branch.pk]),
    )
    assert secretary.pk not in set(again.participants.values_list("member_id", flat=True))


def test_coverage_names_only_cadres(demo, client_for):
    cov, cadres = hours.coverage(demo.users["organ"], demo.organ_committee, 2026)
    cadre_ids = set(
        Post.objects.filter(
            organization__path__startswith=demo.organ_committee.path,
            kind__in=[k for k in PostKind.values if k != PostKind.GROUP_LEADER],
        ).values_list("member_id", flat=True)
    )
    assert {c.member.pk for c in cadres} <= cadre_ids
    assert cov.members >= cov.cadres == len(cadres)
    plain = (
        Member.objects.filter(organization=demo.branch, posts__isnull=True).order_by("pk").first()
    )
    url = reverse("study_hours:org_hours", args=[demo.organ_committee.pk])
    body = client_for(demo.users["organ"]).get(url).content.decode()
    assert plain.name not in body


def test_cadre_plan_saved_and_audited(demo, client_for):
    seq = last_seq()
    plan = svc.save_plan(
        organ(demo), demo.organ_committee, 2026, {"secretaries": "每年轮训一次", "staff": ""}
    )
    assert_audited(seq, "create", plan)
    seq = last_seq()
    svc.save_plan(organ(demo), demo.organ_committee, 2026, {"secretaries": "每年轮训两次"})
    assert_audited(seq, "update", plan, changes={"secretaries": ["每年轮训一次", "每年轮训两次"]})
    page = client_for(demo.users["organ"]).get(
        reverse("study_hours:plan", args=[demo.organ_committee.pk]) + "?year=2026"
    )
    assert "每年轮训两次" in page.content.decode()
    assert 'id="coverage"' in page.content.decode()


def test_pages_render_on_a_phone_layout(demo, client_for):
    organ_client = client_for(demo.users["organ"])
    member = demo.member_in_branch
    training = svc.plan_training(organ(demo), demo.organ_committee, data(members=[member.pk]))
    for url in (
        reverse("study_hours:hours_mine"),
        reverse("study_hours:trainings"),
        reverse("study_hours:training_new"),
        reverse("study_hours:training_detail", args=[training.pk]),
        reverse("study_hours:externals"),
    ):
        page = organ_client.get(url)
        assert page.status_code == 200, url
        assert "table-responsive" in page.content.decode() or "form" in page.content.decode()
    assert Decimal(training.hours) == 24


def test_a_completed_training_reaches_the_cached_findings_page(demo, settings):
    """A 培训班 spans branches; its completion gives hours to the members of each, and the
    findings page cached on any worker re-reads those branches (the participants' branches),
    not only after the cache's lifetime."""
    from dangjian.meetings import findings

    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 600
    findings.clear_cache()
    root, today = demo.organ_committee, dt.date(2026, 11, 25)
    cell = "study_hours"

    def seen(report) -> tuple:
        found = report.cell(demo.branch.pk, cell)
        return (found.worst, list(found.tally))

    before = seen(findings.cached_report(root, 2026, today=today))
    everyone = list(
        Member.objects.current().filter(organization=demo.branch).values_list("pk", flat=True)
    )
    training = svc.plan_training(
        organ(demo), demo.organ_committee, data(kind="concentrated", hours="200", members=everyone)
    )
    svc.record_completion(organ(demo), training, {})

    cached = seen(findings.cached_report(root, 2026, today=today))
    fresh = seen(findings.compute(root, 2026, today=today))
    assert fresh != before  # the training changed the branch's finding
    assert cached == fresh
    findings.clear_cache()
