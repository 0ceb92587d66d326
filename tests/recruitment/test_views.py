"""Pages and API of member development: the timeline, the pipeline, pending approvals, a step."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from dangjian.recruitment.models import Applicant
from tests.recruitment.helpers import D, march, meeting, new_id, open_file


def test_the_timeline_shows_done_due_and_pending_steps(demo, client_for) -> None:
    applicant = march(demo, open_file(demo), 3)
    page = client_for(demo.users["secretary"]).get(reverse("recruitment:file", args=[applicant.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-status="done"') == 3
    # The 基层党委's filing (step 4) has been waiting since 2023: shown as the next step, not late
    # (filing has no time limit), and the later steps as pending.
    assert html.count('data-status="due"') == 1
    assert "申请人甲" in html and applicant.id_number not in html


def test_the_pipeline_counts_files_per_stage_and_links_each(demo, client_for) -> None:
    march(demo, open_file(demo), 3)
    open_file(demo, seed=5)
    page = client_for(demo.users["secretary"]).get(
        reverse("recruitment:pipeline"), {"org": demo.branch.pk}
    )
    html = page.content.decode()
    assert 'data-stage="applicant">1<' in html and 'data-stage="activist">1<' in html


def test_pending_lists_the_files_waiting_for_the_organ_committee(demo, client_for) -> None:
    waiting = march(demo, open_file(demo), 3)
    open_file(demo, seed=5)  # waits for the branch's talk, not for the 机关党委
    page = client_for(demo.users["organ"]).get(reverse("recruitment:pending"))
    assert page.status_code == 200
    assert page.content.decode().count("list-group-item-action") == 1
    assert reverse("recruitment:file", args=[waiting.pk]) in page.content.decode()


def test_a_step_posted_from_the_page_is_recorded_or_explained(demo, client_for) -> None:
    applicant = march(demo, open_file(demo), 2)
    client = client_for(demo.users["secretary"])
    url = reverse("recruitment:step", args=[applicant.pk])
    refused = client.post(url, {"done_on": "2023-04-10", "decided_by": "支委会"}, follow=True)
    assert "请选择作为依据的会议记录" in refused.content.decode()
    held = meeting(demo.branch, "committee_meeting", D(2023, 4, 10))
    client.post(url, {"done_on": "2023-04-10", "decided_by": "支委会", "meeting": held.pk})
    applicant.refresh_from_db()
    assert applicant.next_step == 4 and applicant.stage == "activist"


def test_the_api_opens_a_file_and_refuses_an_outsider(demo, client_for) -> None:
    body = {"organization": "FGW-B01", "name": "申请人乙", "id_number": new_id(11),
            "received_on": "2026-11-02"}  # fmt: skip
    made = client_for(demo.users["secretary"]).post(
        "/api/v1/recruitment/files", body, content_type="application/json"
    )
    assert made.status_code == 201, made.content
    assert made.json()["id_number"].count("*") >= 8
    pk = made.json()["id"]
    other = client_for(demo.users["member"]).get(f"/api/v1/recruitment/files/{pk}")
    assert other.status_code == 404
    line = client_for(demo.users["organ"]).get(f"/api/v1/recruitment/files/{pk}").json()
    assert [s["status"] for s in line["steps"][:3]] == ["done", "due", "pending"]
    assert line["steps"][1]["due_on"] == "2026-12-02"


def test_the_api_refuses_a_step_out_of_order_and_writes_nothing(demo, client_for) -> None:
    applicant = open_file(demo)
    response = client_for(demo.users["secretary"]).post(
        f"/api/v1/recruitment/files/{applicant.pk}/steps",
        {"step": 5, "done_on": "2023-04-01", "decided_by": "支部"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "步骤须按顺序办理" in response.json()["detail"][0]["message"]
    assert Applicant.objects.get(pk=applicant.pk).steps.count() == 1


def test_the_forms_are_generated_from_the_records(demo, client_for) -> None:
    import io

    from docx import Document

    from tests.helpers import actions_since, last_seq

    applicant = march(demo, open_file(demo), 25)
    client = client_for(demo.users["secretary"])
    seq = last_seq()
    sheet = client.get(reverse("recruitment:document", args=[applicant.pk, "data_sheet"]))
    assert sheet.status_code == 200
    text = "\n".join(
        cell.text
        for row in Document(io.BytesIO(sheet.content)).tables[0].rows
        for cell in row.cells
    )
    assert "申请人甲" in text and "2024年7月1日" in text
    assert applicant.id_number not in text  # masked
    assert actions_since(seq) == ["export"]
    decision = client.get(reverse("recruitment:document", args=[applicant.pk, "confirmation"]))
    words = "\n".join(p.text for p in Document(io.BytesIO(decision.content)).paragraphs)
    assert "党龄自2025年7月1日起计算" in words
    notice = client.get(reverse("recruitment:document", args=[applicant.pk, "publicity"]))
    assert "公示自2025年6月20日起" in "\n".join(
        p.text for p in Document(io.BytesIO(notice.content)).paragraphs
    )
    assert client.get(reverse("recruitment:document", args=[applicant.pk, "x"])).status_code == 404


def test_the_pipeline_and_pending_pages_read_in_a_constant_number_of_queries(
    demo, client_for
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(demo.users["organ"])

    def count(url: str, query: dict) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, query).status_code == 200
        return len(captured)

    march(demo, open_file(demo), 3)
    few = (count(reverse("recruitment:pipeline"), {"org": demo.branch.pk}),
           count(reverse("recruitment:pending"), {}))  # fmt: skip
    for seed in (21, 22, 23):
        march(demo, open_file(demo, seed=seed), 3)
    many = (count(reverse("recruitment:pipeline"), {"org": demo.branch.pk}),
            count(reverse("recruitment:pending"), {}))  # fmt: skip
    assert many == few


def test_a_sponsor_outside_what_the_secretary_reads_cannot_be_named(demo, client_for) -> None:
    from tests.recruitment.helpers import full_members

    applicant = march(demo, open_file(demo), 8)
    outsider = demo.member_in_other_dept
    own = full_members(demo.branch, 1)[0]
    response = client_for(demo.users["secretary"]).post(
        f"/api/v1/recruitment/files/{applicant.pk}/steps",
        {"step": 9, "done_on": "2024-04-15", "decided_by": "支部", "people": [own.pk, outsider.pk]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["message"] == "所选党员不存在"
    assert outsider.name not in response.content.decode()


def test_the_step_form_offers_every_deciding_meeting_since_the_application(
    demo, client_for
) -> None:
    """A step recorded after the fact cites the 支委会 held on its day, possibly long ago: the
    latest 30 meetings of every kind (a monthly 主题党日 and 党小组会 fill 30 in a year) did not
    reach it. Meetings before the application cannot be cited and are not offered."""
    from dangjian.meetings.models import MeetingKind

    applicant = march(demo, open_file(demo), 3)
    old = meeting(demo.branch, MeetingKind.COMMITTEE_MEETING, D(2023, 9, 12))
    before = meeting(demo.branch, MeetingKind.COMMITTEE_MEETING, D(2023, 2, 14))
    others = [  # a busy branch's other meetings since
        meeting(demo.branch, MeetingKind.THEME_DAY, D(2024, 1, 1) + dt.timedelta(days=7 * n))
        for n in range(40)
    ]

    html = (
        client_for(demo.users["secretary"])
        .get(reverse("recruitment:file", args=[applicant.pk]))
        .content.decode()
    )

    offered = html.split('name="meeting"')[1].split("</select>")[0]  # the meetings' select
    assert f'<option value="{old.pk}"' in offered
    assert f'<option value="{before.pk}"' not in offered
    assert not any(f'<option value="{m.pk}"' in offered for m in others)
