"""Time limits seen from outside the file: compliance findings, tick reminders, inbox to-dos."""

from __future__ import annotations

from django.db.models import Q

from dangjian.core.clock import today
from dangjian.meetings.findings.contributors import Scope
from dangjian.meetings.packs import rules_in_force
from dangjian.notices.models import Notice
from dangjian.recruitment import findings, inbox, jobs
from dangjian.regulations.meetings import FindingStatus
from tests.recruitment.helpers import D, march, open_file


def _scope(demo) -> Scope:
    branch = demo.branch
    return Scope(
        where=lambda field: Q(**{f"{field}path__startswith": branch.path}),
        orgs=[],
        year=2026,
        as_of=today(),
        today=today(),
        rules=rules_in_force(),
    )


def test_a_talk_past_its_month_is_a_finding_with_its_rule(demo) -> None:
    late = open_file(demo, received_on=D(2026, 10, 20))  # talk due 20 Nov; today is 25 Nov
    soon = open_file(demo, seed=5, received_on=D(2026, 10, 30))  # due 30 Nov: within a week
    open_file(demo, seed=6, received_on=D(2026, 11, 20))  # due 21 Dec: nothing yet
    results = findings.evaluate(_scope(demo))[demo.branch.pk]
    by_file = {r.facts["file"]: r for r in results}
    assert set(by_file) == {late.pk, soon.pk}
    assert by_file[late.pk].status == FindingStatus.VIOLATED
    assert by_file[late.pk].rule_id == "talk_within_month"
    assert by_file[late.pk].citation == "《中国共产党发展党员工作细则》"
    assert by_file[soon.pk].status == FindingStatus.AT_RISK


def test_the_tick_reminds_the_branch_once(demo) -> None:
    applicant = open_file(demo, received_on=D(2026, 10, 20))
    assert jobs.run(today()) == {"recruitment_reminders": 1}
    assert jobs.run(today()) == {"recruitment_reminders": 0}
    notice = Notice.objects.get(key=f"recruit:{applicant.pk}:2:late")
    assert notice.recipient == demo.users["secretary"]
    assert "申请人甲" not in notice.title  # the file number, not the name


def test_the_upper_committees_step_is_its_to_do_not_the_branchs(demo) -> None:
    march(demo, open_file(demo), 16)  # approval due since October 2024
    assert inbox._count(demo.users["organ"]) == 1
    assert inbox._count(demo.users["secretary"]) == 0
    talk = open_file(demo, seed=5, received_on=D(2026, 10, 20))
    assert inbox._count(demo.users["secretary"]) == 1
    assert inbox._rows(demo.users["secretary"], 5)[0].record == talk
    assert inbox._count(demo.users["organ"]) == 1
