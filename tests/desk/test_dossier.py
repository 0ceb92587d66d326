"""The inspection dossier: one request builds every app's section from the records of the
period and the user's scope, keeps the .zip encrypted, downloads it audited, verifies it against
today's records, and the tick removes it after 30 days."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile

import docx
import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.audit.services import Actor
from dangjian.core import clock
from dangjian.core.dossier import sections
from dangjian.desk import dossiers
from dangjian.desk.models import Dossier, DossierStatus
from dangjian.meetings.models import Meeting, MeetingStatus, Vote
from dangjian.members.models import Member
from tests.desk.test_figures import held_meeting
from tests.helpers import assert_audited, last_seq


@pytest.fixture(autouse=True)
def immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path


def _year():
    today = clock.today()
    return dt.date(today.year, 1, 1), today


def make(demo, org, django_capture_on_commit_callbacks, user="secretary") -> Dossier:
    start, end = _year()
    with django_capture_on_commit_callbacks(execute=True):
        dossier = dossiers.request_dossier(Actor(user=demo.users[user]), org, start, end)
    dossier.refresh_from_db()
    return dossier


def _zip(dossier) -> zipfile.ZipFile:
    data = dossiers.open_dossier(Actor.system("test"), dossier)
    return zipfile.ZipFile(io.BytesIO(data))


def _docx_text(archive, name) -> str:
    document = docx.Document(io.BytesIO(archive.read(name)))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_every_app_contributes_a_section():
    assert [s.key for s in sections()] == [
        "orgs",
        "members",
        "meetings",
        "findings",
        "duties",
        "transfers",
        "recruitment",
        "study",
        "dues",
        "assessment",
    ]


def test_a_branch_dossier_holds_every_held_meeting_of_its_branch_and_no_other(
    demo, django_capture_on_commit_callbacks
):
    held_meeting(demo.branch)
    held_meeting(demo.sibling_branch)
    dossier = make(demo, demo.branch, django_capture_on_commit_callbacks)
    assert dossier.status == DossierStatus.READY and dossier.progress == 100
    archive = _zip(dossier)
    manifest = json.loads(archive.read("manifest.json"))
    assert set(manifest["sections"]) == {s.key for s in sections()}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    text = _docx_text(archive, "030-meetings.docx")
    start, end = _year()
    mine = Meeting.objects.filter(
        organization__path__startswith=demo.branch.path,
        status=MeetingStatus.HELD,
        held_on__range=(start, end),
    )
    assert mine.exists()
    for meeting in mine:
        assert meeting.topic in text
    assert demo.sibling_branch.name not in text
    # one row per meeting in the meetings list and in the minutes, one per vote
    votes = Vote.objects.filter(meeting__in=mine).count()
    assert manifest["sections"]["meetings"]["rows"] == 2 * mine.count() + votes
    assert (
        "审计链"
        in docx.Document(io.BytesIO(archive.read("030-meetings.docx")))
        .sections[0]
        .footer.paragraphs[0]
        .text
    )


def test_the_roster_summary_names_nobody(demo, django_capture_on_commit_callbacks):
    archive = _zip(make(demo, demo.branch, django_capture_on_commit_callbacks))
    text = _docx_text(archive, "020-members.docx")
    assert "正式党员" in text
    for member in Member.objects.filter(organization=demo.branch):
        assert member.name not in text


def test_the_file_at_rest_is_encrypted(demo, django_capture_on_commit_callbacks):
    dossier = make(demo, demo.branch, django_capture_on_commit_callbacks)
    blob = dossiers.stored_path(dossier).read_bytes()
    assert not blob.startswith(b"PK")
    assert b"manifest.json" not in blob


def test_verification_detects_a_changed_record_and_regeneration_is_stable(
    demo, django_capture_on_commit_callbacks
):
    dossier = make(demo, demo.branch, django_capture_on_commit_callbacks)
    assert all(ok for _, _, ok in dossiers.verify(dossier))
    again = make(demo, demo.branch, django_capture_on_commit_callbacks)
    assert again.manifest["sections"] == dossier.manifest["sections"]

    held_meeting(demo.branch)

    changed = {s.key: ok for s, _, ok in dossiers.verify(dossier)}
    assert changed["meetings"] is False
    assert changed["orgs"] is True


def test_download_is_access_checked_and_audited(
    demo, client_for, django_capture_on_commit_callbacks
):
    dossier = make(demo, demo.branch, django_capture_on_commit_callbacks)
    url = reverse("desk:dossier_download", args=[dossier.pk])
    outsider = client_for(demo.users["member"])
    assert outsider.get(url).status_code in (403, 404)
    client = client_for(demo.users["organ"])
    seq = last_seq()
    response = client.get(url)
    assert response.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(response.content)).read("manifest.json")
    assert_audited(seq, "export", dossier)


def test_the_request_page_builds_and_is_audited(
    demo, client_for, django_capture_on_commit_callbacks
):
    client = client_for(demo.users["secretary"])
    seq = last_seq()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("desk:dossiers"), {"org": demo.branch.code})
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    assert_audited(seq, "create", dossier)
    page = client.get(reverse("desk:dossiers")).content.decode()
    assert reverse("desk:dossier_download", args=[dossier.pk]) in page
    assert (
        client.post(reverse("desk:dossiers"), {"org": demo.sibling_branch.code}).status_code == 404
    )


def test_the_tick_removes_dossiers_after_thirty_days(demo, django_capture_on_commit_callbacks):
    dossier = make(demo, demo.branch, django_capture_on_commit_callbacks)
    path = dossiers.stored_path(dossier)
    assert dossiers.remove_old(timezone.now() + dt.timedelta(days=29)) == 0
    seq = last_seq()
    assert dossiers.remove_old(timezone.now() + dt.timedelta(days=31)) == 1
    assert not path.exists()
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.REMOVED
    assert_audited(seq, "delete", dossier)
    assert dossiers.remove_old(timezone.now() + dt.timedelta(days=31)) == 0


def test_the_findings_section_cites_the_rules(demo, django_capture_on_commit_callbacks):
    from dangjian.meetings import findings as compliance

    archive = _zip(make(demo, demo.branch, django_capture_on_commit_callbacks))
    text = _docx_text(archive, "035-findings.docx")
    start, end = _year()
    report = compliance.compute(demo.branch, start.year, today=end)
    shown = [
        f for f in report.all_findings() if f.status in (compliance.VIOLATED, compliance.AT_RISK)
    ]
    assert shown, "the demo branch has findings this year"
    for f in shown:
        assert f.citation in text and f.period_label in text
    minutes = _docx_text(archive, "030-meetings.docx")
    assert "会议记录" in minutes and "表决" in minutes
