"""A secretary on a phone is told what was saved (ux30): which step on which day, and that a new
file was opened; "已记录" alone left them unsure which of the 25 steps it was."""

from __future__ import annotations

from django.urls import reverse

from dangjian.recruitment.models import Applicant
from dangjian.regulations.recruitment import STEPS
from tests.recruitment.helpers import D, march, meeting, new_id, open_file


def test_a_recorded_step_names_the_step_and_its_day(demo, client_for) -> None:
    applicant = march(demo, open_file(demo), 2)
    held = meeting(demo.branch, "committee_meeting", D(2023, 4, 10))
    page = client_for(demo.users["secretary"]).post(
        reverse("recruitment:step", args=[applicant.pk]),
        {"done_on": "2023-04-10", "decided_by": "支委会", "meeting": held.pk},
        follow=True,
    )
    assert f"已记录第3步：{STEPS[2].label}（2023年4月10日）" in page.content.decode()
    applicant.refresh_from_db()
    assert applicant.next_step == 4


def test_opening_a_file_says_it_was_opened(demo, client_for) -> None:
    page = client_for(demo.users["secretary"]).post(
        reverse("recruitment:new") + f"?org={demo.branch.pk}",
        {"name": "申请人丙", "id_number": new_id(12), "received_on": "2026-11-02"},
        follow=True,
    )
    assert "已建立发展档案，请按步骤继续记录" in page.content.decode()
    assert Applicant.objects.filter(organization=demo.branch).count() == 1
