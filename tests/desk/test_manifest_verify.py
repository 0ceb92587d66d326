"""Verification against the manifest an inspector uploads: a real dossier is generated, its
manifest.json taken from the .zip and uploaded; after a record and an attachment change, the page
answers per entry 未变 / 已变化 / 已缺失. Bad uploads get Chinese messages and nothing is checked."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangjian.audit.services import Actor
from dangjian.desk import dossiers, manifests
from dangjian.meetings import services as meeting_services
from dangjian.meetings.models import Attachment
from tests.desk.test_dossier import _path_without_office, make
from tests.desk.test_figures import held_meeting

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
URL = "desk:dossier_manifest"


@pytest.fixture(autouse=True)
def immediate_tasks(settings, tmp_path, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setenv("PATH", _path_without_office())  # the PDF is not what is verified here


def _manifest_bytes(dossier) -> bytes:
    data = dossiers.open_dossier(Actor.system("test"), dossier)
    return zipfile.ZipFile(io.BytesIO(data)).read("manifest.json")


def _post(client, content: bytes, name: str = "manifest.json"):
    return client.post(reverse(URL), {"manifest": SimpleUploadedFile(name, content)})


def _verdicts(response) -> dict[tuple[str, str], str]:
    outcome = response.context["outcome"]
    return {(e.kind, e.name): e.verdict for e in outcome.entries}


@pytest.fixture
def branch_dossier(demo, django_capture_on_commit_callbacks):
    """A branch's dossier of this year with a held meeting carrying two attachments."""
    meeting = held_meeting(demo.branch)
    meeting_services.add_attachments(
        Actor.system("test"),
        meeting,
        [SimpleUploadedFile("会议签到表.pdf", PDF), SimpleUploadedFile("会议照片.pdf", PDF + b"%")],
    )
    dossier = make(demo, demo.branch, django_capture_on_commit_callbacks)
    meeting.refresh_from_db()
    return meeting, dossier


def test_an_unchanged_dossier_verifies_entry_by_entry(demo, client_for, branch_dossier):
    _, dossier = branch_dossier
    content = _manifest_bytes(dossier)
    listed = json.loads(content)
    attachments = [n for n in listed["files"] if n.startswith("attachments/meetings/")]
    assert len(attachments) == 2
    response = _post(client_for(demo.users["inspector"]), content)
    assert response.status_code == 200
    verdicts = _verdicts(response)
    assert len(verdicts) == len(listed["sections"]) + len(listed["files"])
    assert set(verdicts.values()) == {manifests.UNCHANGED}
    page = response.content.decode()
    assert "至今未变" in page and "审计链节点与平台审计链一致" in page
    assert f"完全一致的台账（编号 {dossier.pk}）" in page


def test_a_record_changed_afterwards_and_a_removed_attachment_are_named(
    demo, client_for, branch_dossier
):
    meeting, dossier = branch_dossier
    content = _manifest_bytes(dossier)
    secretary = Actor(user=demo.users["secretary"])
    meeting_services.record_meeting(
        secretary, meeting, minutes={"decisions": "会后补充：决定于下月开展专题学习"}
    )
    gone = Attachment.objects.filter(meeting=meeting).order_by("pk").first()
    gone_name = f"{meeting.held_on:%Y%m%d}-{meeting.pk}-{gone.pk}-{gone.original_name}"
    meeting_services.remove_attachment(secretary, gone)

    response = _post(client_for(demo.users["secretary"]), content)
    assert response.status_code == 200
    verdicts = _verdicts(response)
    titles = {s["title"]: k for k, s in json.loads(content)["sections"].items()}
    assert verdicts[("记录", "组织生活")] == manifests.CHANGED
    assert all(
        v == manifests.UNCHANGED
        for (kind, t), v in verdicts.items()
        if kind == "记录" and titles[t] != "meetings"
    )
    annex = next(n for n in json.loads(content)["files"] if n.endswith("-meetings.xlsx"))
    assert verdicts[("文件", annex)] == manifests.CHANGED
    assert verdicts[("文件", dossiers.DOCX_NAME)] == manifests.CHANGED
    assert verdicts[("文件", f"attachments/meetings/{gone_name}")] == manifests.MISSING
    kept = [
        name
        for (kind, name), v in verdicts.items()
        if name.startswith("attachments/") and name != f"attachments/meetings/{gone_name}"
    ]
    assert len(kept) == 1 and verdicts[("文件", kept[0])] == manifests.UNCHANGED
    orgs_annex = next(n for n in json.loads(content)["files"] if n.endswith("-orgs.xlsx"))
    assert verdicts[("文件", orgs_annex)] == manifests.UNCHANGED
    page = response.content.decode()
    assert "已变化" in page and "已缺失" in page and "未变" in page


def test_a_hand_edited_manifest_is_not_one_the_platform_made(demo, client_for, branch_dossier):
    _, dossier = branch_dossier
    listed = json.loads(_manifest_bytes(dossier))
    listed["audit_head"]["hash"] = "0" * 64
    response = _post(client_for(demo.users["secretary"]), json.dumps(listed).encode())
    page = response.content.decode()
    assert "不存在或不一致" in page and "清单可能被改动过" in page


def test_a_manifest_of_another_branch_is_not_found(
    demo, client_for, django_capture_on_commit_callbacks
):
    dossier = make(demo, demo.sibling_branch, django_capture_on_commit_callbacks, user="organ")
    content = _manifest_bytes(dossier)
    assert _post(client_for(demo.users["secretary"]), content).status_code == 404
    assert _post(client_for(demo.users["organ"]), content).status_code == 200
    assert _post(client_for(demo.users["member"]), content).status_code == 403


def _error(response) -> str:
    assert response.status_code == 400
    assert response.context["outcome"] is None
    return response.context["error"]


def test_bad_uploads_get_clear_messages(demo, client_for, branch_dossier, settings):
    _, dossier = branch_dossier
    client = client_for(demo.users["secretary"])
    good = json.loads(_manifest_bytes(dossier))
    the_zip = dossiers.open_dossier(Actor.system("test"), dossier)

    assert "请解压台账压缩包" in _error(_post(client, the_zip, "dossier.zip"))
    assert "不支持的文件类型" in _error(_post(client, PDF, "manifest.pdf"))
    assert "文件为空" in _error(_post(client, b""))
    assert "无法按 JSON 读取" in _error(_post(client, b'{"organization": {"code": "x"'))
    assert "不是台账清单" in _error(_post(client, json.dumps({"名单": [1, 2]}).encode()))
    damaged = {**good, "sections": {"meetings": {"records_sha256": "不是摘要"}}}
    assert "已被改动" in _error(_post(client, json.dumps(damaged).encode()))
    too_long = {**good, "period": ["2000-01-01", "2026-12-31"]}
    assert "已被改动" in _error(_post(client, json.dumps(too_long).encode()))
    assert "扩展名不符" in _error(_post(client, json.dumps(good).encode(), "manifest.txt"))
    assert "请选择" in _error(client.post(reverse(URL), {}))
    settings.DANGJIAN_MANIFEST_MAX_MB = 1
    big = json.dumps({**good, "padding": "台" * 400_000}).encode()
    assert "文件过大" in _error(_post(client, big))


def test_the_form_is_linked_from_the_dossiers_page(demo, client_for):
    client = client_for(demo.users["inspector"])
    assert reverse(URL) in client.get(reverse("desk:dossiers")).content.decode()
    page = client.get(reverse(URL)).content.decode()
    assert 'name="manifest"' in page and "manifest.json" in page
