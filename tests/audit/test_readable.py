"""The audit log as the auditor reads it: kinds and fields in Chinese, references by name,
before → after in words; filters by person, organization, object kind and time."""

from __future__ import annotations

import io

import openpyxl
from django.urls import reverse

from dangjian.audit.models import AuditAction
from dangjian.audit.readable import readable
from dangjian.audit.services import Actor, record

ORGAN = object()


def _member_moved(demo, member, actor=ORGAN):
    return record(
        Actor(user=demo.users["organ"] if actor is ORGAN else actor, ip="10.0.0.9"),
        AuditAction.UPDATE,
        member,
        changes={
            "status": ["probationary", "full"],
            "organization": [demo.branch.pk, demo.sibling_branch.pk],
            "completed_on": [None, "2026-11-20"],
        },
        message="转正并调动",
    )


def test_an_event_reads_in_chinese_with_names_instead_of_ids(demo):
    event = _member_moved(demo, demo.member_in_branch)

    words = readable(event)

    assert words.kind == "党员"
    assert {(c.field, c.before, c.after) for c in words.changes} == {
        ("completed_on", "（空）", "2026-11-20"),  # no such field on a member: left as stored
        ("所在支部", demo.branch.name, demo.sibling_branch.name),
        ("党员状态", "预备党员", "正式党员"),
    }


def test_a_work_item_date_field_has_its_chinese_name(demo):
    event = record(
        Actor.system("test"),
        AuditAction.UPDATE,
        object_type="duties.workitem",
        object_id="1",
        object_repr="第四季度党课",
        changes={"completed_on": [None, "2026-11-20"]},
    )

    words = readable(event)

    assert words.kind == "工作任务"
    assert words.changes_text() == "完成日期：（空） → 2026-11-20"


def test_the_list_page_shows_the_words_and_no_field_codes(demo, client_for):
    _member_moved(demo, demo.member_in_branch)

    html = client_for(demo.users["auditor"]).get(reverse("audit:list")).content.decode()

    assert f"所在支部：{demo.branch.name} → {demo.sibling_branch.name}" in html
    assert "党员状态：预备党员 → 正式党员" in html
    assert "<code>status</code>" not in html


def test_filter_by_organization_keeps_events_of_its_members_and_people(demo, client_for):
    inside = _member_moved(demo, demo.member_in_branch, None)
    outside = _member_moved(demo, demo.member_in_other_dept, None)
    # The branch secretary acts on the other department's member: an act of the branch's people.
    by_secretary = _member_moved(demo, demo.member_in_other_dept, demo.users["secretary"])
    auditor = client_for(demo.users["auditor"])

    # By code: a branch name like 第一党支部 recurs in every department (a name selects them all).
    page = auditor.get(reverse("audit:list"), {"org": demo.branch.code, "action": "update"})

    seqs = [row.event.seq for row in page.context["rows"]]
    assert inside.seq in seqs
    assert by_secretary.seq in seqs
    assert outside.seq not in seqs
    nothing = auditor.get(reverse("audit:list"), {"org": "没有这个组织"})
    assert list(nothing.context["rows"]) == []


def test_filter_by_person_finds_the_actor_and_events_about_the_person(demo, client_for):
    about = _member_moved(demo, demo.member_in_branch)
    auditor = client_for(demo.users["auditor"])

    by_name = auditor.get(reverse("audit:list"), {"person": demo.member_in_branch.name})
    by_actor = auditor.get(
        reverse("audit:list"), {"person": "organ", "object_type": "members.member"}
    )

    assert about.seq in [row.event.seq for row in by_name.context["rows"]]
    assert [row.event.seq for row in by_actor.context["rows"]][0] == about.seq
    assert ("members.member", "党员") in by_actor.context["kinds"]


def test_the_export_has_kinds_and_changes_in_words(demo, client_for):
    _member_moved(demo, demo.member_in_branch)

    response = client_for(demo.users["auditor"]).get(
        reverse("audit:export"), {"object_type": "members.member", "action": "update"}
    )

    rows = list(
        openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    )
    assert rows[0][5:8] == ("对象类型", "对象", "变更")
    assert rows[1][5] == "党员"
    assert "党员状态：预备党员 → 正式党员" in rows[1][7]
    assert "对象ID" not in rows[0]
