"""Publishing, editing and withdrawing materials, monthly topics, a meeting's materials, and the
opened-count (a total only: who opened what is never stored)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from dangjian.audit.models import AuditEvent
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings.models import Meeting
from dangjian.study import services
from dangjian.study.models import Material, MaterialKeyword, MeetingMaterial, StudyTopic
from dangjian.study.samples import make_docx, make_pdf, make_txt
from tests.helpers import events_since, last_seq
from tests.study.helpers import publish, stored_files

TEXT = ["支部要落实三会一课制度，把理论学习摆在突出位置。", "党员要按时交纳党费。"]


def test_publishing_stores_text_preview_metadata_and_one_audit_event(demo):
    before = last_seq()
    actor = Actor(user=demo.users["secretary"], ip="10.0.0.1")
    data = make_docx(
        TEXT * 3,
        title="支部学习材料",
        headings={2: "二、要求"},
        table=[["项目", "要求"], ["党费", "按月"]],
    )
    material = publish(demo.branch, data, "支部学习材料.docx", actor, author="第一党支部")
    assert material.format == "docx"
    assert material.size == len(data)
    assert material.author == "第一党支部"
    assert material.published_on == dt.date(2026, 11, 25)
    assert material.created_by == demo.users["secretary"]
    assert material.abstract.startswith("支部要落实三会一课制度")  # the title line is skipped
    blocks = material.text.preview[0]
    assert {"t": "h", "x": "支部学习材料"} in blocks
    assert {"t": "h", "x": "二、要求"} in blocks
    assert {"t": "table", "rows": [["项目", "要求"], ["党费", "按月"]]} in blocks
    assert MaterialKeyword.objects.filter(material=material, word="党费").exists()
    events = events_since(before)
    assert [(e.action, e.object_type) for e in events] == [("create", "study.material")]
    assert events[0].actor_username == "secretary"
    assert events[0].changes["title"] == [None, "支部学习材料"]


def test_pdf_pages_and_preview_of_the_first_pages(demo):
    paragraphs = [f"第{i}段：机关党建工作要点。" for i in range(200)]
    material = publish(demo.branch, make_pdf(paragraphs), "要点.pdf")
    assert material.pages > 3
    assert len(material.text.preview) == 3  # the first three pages
    assert material.text.text.count("\f") == material.pages - 1
    assert "第199段" in material.text.text


def test_a_branch_cannot_publish_for_its_sibling(demo):
    actor = Actor(user=demo.users["secretary"])
    files_before = stored_files()
    with pytest.raises(PermissionDenied):
        publish(demo.sibling_branch, make_txt(TEXT), "x.txt", actor)
    assert not Material.objects.exists()
    assert stored_files() == files_before


def test_editing_is_audited_and_checks_the_fields(demo):
    material = publish(demo.branch, make_txt(TEXT), "原名.txt")
    actor = Actor(user=demo.users["secretary"])
    before = last_seq()
    with pytest.raises(ServiceValidationError) as caught:
        services.update_material(actor, material, {"title": "", "category": "类" * 51})
    assert caught.value.errors == {"title": "请填写标题", "category": "分类不能超过50个字"}
    assert events_since(before) == []
    services.update_material(actor, material, {"title": "新标题", "category": "理论学习"})
    material.refresh_from_db()
    assert (material.title, material.category) == ("新标题", "理论学习")
    [event] = events_since(before)
    assert event.action == "update"
    assert event.changes == {"category": ["", "理论学习"], "title": ["原名", "新标题"]}
    with pytest.raises(PermissionDenied):
        services.update_material(Actor(user=demo.users["inspector"]), material, {"title": "x"})


def test_withdrawing_removes_the_file_after_commit(demo, django_capture_on_commit_callbacks):
    material = publish(demo.branch, make_txt(TEXT), "撤回.txt")
    name = material.file.name.removeprefix("study/")
    assert name in stored_files()
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw(Actor(user=demo.users["secretary"]), material)
    assert not Material.objects.filter(pk=material.pk).exists()
    assert name not in stored_files()
    assert AuditEvent.objects.filter(object_type="study.material", action="delete").exists()


def test_a_studied_material_cannot_be_withdrawn(demo):
    material = publish(demo.org["FGW-JGDW"], make_txt(TEXT), "学过.txt")
    services.save_topic(
        Actor.system("t"),
        demo.branch,
        {"month": "2026-11", "title": "主题", "materials": [material.pk]},
    )
    with pytest.raises(ServiceValidationError) as caught:
        services.withdraw(Actor(user=demo.users["organ"]), material)
    assert caught.value.errors == {"material": "该资料已列入月度学习主题，不能撤回"}
    assert Material.objects.filter(pk=material.pk).exists()


def test_opening_counts_a_total_and_records_nobody(demo, client_for):
    material = publish(demo.branch, make_txt(TEXT), "打开.txt")
    clients = [client_for(demo.users[name]) for name in ("member", "secretary", "member")]
    before = last_seq()
    for client in clients:
        assert client.get(f"/library/{material.pk}/").status_code == 200
    material.refresh_from_db()
    assert material.open_count == 3
    # No audit event, and no table with a user beside a material other than who published it.
    assert events_since(before) == []
    for model in (Material, MaterialKeyword):
        user_fields = [f.name for f in model._meta.get_fields() if f.related_model is not None]
        assert "opened_by" not in user_fields and "reader" not in user_fields
    # Downloads and the API do not count and record nobody either.
    client = clients[0]
    assert client.get(f"/library/{material.pk}/download/").status_code == 200
    assert client.get(f"/api/v1/materials/{material.pk}").status_code == 200
    material.refresh_from_db()
    assert material.open_count == 3
    assert events_since(before) == []


def test_no_page_or_api_offers_reading_time_or_a_ranking_of_people(demo, client_for):
    material = publish(demo.branch, make_txt(TEXT), "资料.txt")
    client = client_for(demo.users["organ"])
    pages = [
        client.get("/library/").content.decode(),
        client.get(f"/library/{material.pk}/").content.decode(),
        client.get(f"/api/v1/materials/{material.pk}").content.decode(),
        client.get("/api/v1/materials").content.decode(),
    ]
    for text in pages:
        for word in ("阅读时长", "学习时长", "积分", "排名", "在线时长", "reading_time", "rank"):
            assert word not in text


def test_topics_are_one_per_month_and_replaced(demo):
    committee_material = publish(demo.organ_committee, make_txt(TEXT), "上级.txt")
    own = publish(demo.branch, make_txt(["本支部资料。"]), "本级.txt")
    actor = Actor(user=demo.users["secretary"])
    topic, created = services.save_topic(
        actor,
        demo.branch,
        {"month": "2026-11", "title": "学习党章", "materials": [committee_material.pk]},
    )
    assert created and topic.month == dt.date(2026, 11, 1)
    again, created = services.save_topic(
        actor,
        demo.branch,
        {
            "month": "2026-11",
            "title": "学习党章和条例",
            "materials": [own.pk, committee_material.pk],
        },
    )
    assert not created and again.pk == topic.pk
    assert StudyTopic.objects.filter(organization=demo.branch).count() == 1
    assert set(again.materials.values_list("pk", flat=True)) == {own.pk, committee_material.pk}
    last = AuditEvent.objects.filter(object_type="study.studytopic").latest("seq")
    assert last.action == "update"
    assert last.changes["title"] == ["学习党章", "学习党章和条例"]


def test_a_topic_takes_only_materials_every_member_reads(demo):
    sibling = publish(demo.sibling_branch, make_txt(TEXT), "兄弟支部.txt")
    with pytest.raises(ServiceValidationError) as caught:
        services.save_topic(
            Actor(user=demo.users["organ"]),
            demo.branch,
            {"month": "2026-11", "title": "主题", "materials": [sibling.pk, 999999]},
        )
    message = caught.value.errors["materials"]
    assert str(sibling.pk) in message and "999999" in message and "本组织党员看不到" in message
    assert not StudyTopic.objects.exists()


def test_topics_are_set_by_committees_and_branches_only(demo):
    with pytest.raises(ServiceValidationError) as caught:
        services.save_topic(
            Actor.system("t"), demo.org["FGW-B01-G1"], {"month": "2026-11", "title": "主题"}
        )
    assert "只有机关党委、党总支和党支部" in caught.value.errors["organization"]
    with pytest.raises(ServiceValidationError) as caught:
        services.save_topic(Actor.system("t"), demo.branch, {"month": "2026/13", "title": ""})
    assert caught.value.errors == {
        "month": "月份格式不正确，应为 YYYY-MM",
        "title": "请填写学习主题",
    }


def _held_meeting(branch) -> Meeting:
    meeting = (
        Meeting.objects.filter(organization=branch, status="held").order_by("-held_on").first()
    )
    assert meeting is not None
    return meeting


def test_a_meetings_topic_links_materials(demo, client_for):
    material = publish(demo.organ_committee, make_txt(TEXT), "会议学习.txt")
    meeting = _held_meeting(demo.branch)
    actor = Actor(user=demo.users["secretary"])
    services.set_meeting_materials(actor, meeting, [material.pk])
    services.set_meeting_materials(actor, meeting, [material.pk])  # the same list: no change
    assert list(
        MeetingMaterial.objects.filter(meeting=meeting).values_list("material", flat=True)
    ) == [material.pk]
    events = AuditEvent.objects.filter(object_type="meetings.meeting", message="会议学习资料")
    assert events.count() == 1
    assert events.get().changes == {"study_materials": [[], [material.pk]]}
    # The member sees what the meeting studied, on the meeting's materials page and the material's.
    member = client_for(demo.users["member"])
    assert material.title in member.get(f"/library/meetings/{meeting.pk}/").content.decode()
    assert meeting.topic in member.get(f"/library/{material.pk}/").content.decode()
    # The sibling branch's secretary does not see that this branch's meeting studied it.
    sibling_meeting = _held_meeting(demo.sibling_branch)
    assert member.get(f"/library/meetings/{sibling_meeting.pk}/").status_code == 404
    services.set_meeting_materials(actor, meeting, [])
    assert not MeetingMaterial.objects.filter(meeting=meeting).exists()


def test_a_meeting_cannot_study_a_material_its_members_cannot_read(demo):
    sibling = publish(demo.sibling_branch, make_txt(TEXT), "兄弟.txt")
    with pytest.raises(ServiceValidationError) as caught:
        services.set_meeting_materials(
            Actor(user=demo.users["organ"]), _held_meeting(demo.branch), [sibling.pk]
        )
    assert "本组织党员看不到" in caught.value.errors["materials"]
