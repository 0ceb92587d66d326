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
import docx.table
import docx.text.paragraph
import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.audit.services import Actor
from dangjian.core import clock, office
from dangjian.core.dossier import plain_rows, sections
from dangjian.desk import dossiers, writers
from dangjian.desk.models import Dossier, DossierStatus
from dangjian.meetings.models import Meeting, MeetingStatus, Vote
from dangjian.members.models import Member
from tests.desk.test_figures import held_meeting
from tests.helpers import assert_audited, last_seq


@pytest.fixture(autouse=True)
def immediate_tasks(settings, tmp_path, request, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path
    if "with_office" not in request.fixturenames:
        # LibreOffice takes seconds per document: only the PDF's own test converts
        monkeypatch.setenv("PATH", _path_without_office())


@pytest.fixture
def with_office():
    if not office.available():
        pytest.skip("LibreOffice is not installed")


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


def _text(document) -> str:
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _sections_of(document) -> dict[str, str]:
    """The document's text per level-1 heading (目录 and each section), in order."""
    out: dict[str, list[str]] = {}
    current = "封面"
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = docx.text.paragraph.Paragraph(child, document)
            if paragraph.style.name == "Heading 1":
                current = paragraph.text
            out.setdefault(current, []).append(paragraph.text)
        elif tag == "tbl":
            table = docx.table.Table(child, document)
            cells = [c.text for row in table.rows for c in row.cells]
            out.setdefault(current, []).extend(cells)
    return {k: "\n".join(v) for k, v in out.items()}


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
    parts = _sections_of(docx.Document(io.BytesIO(archive.read(dossiers.DOCX_NAME))))
    text = parts["三、组织生活"]
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
        in docx.Document(io.BytesIO(archive.read(dossiers.DOCX_NAME)))
        .sections[0]
        .footer.paragraphs[0]
        .text
    )


def test_the_roster_summary_names_nobody(demo, django_capture_on_commit_callbacks):
    archive = _zip(make(demo, demo.branch, django_capture_on_commit_callbacks))
    # the committee's post holders are named in 组织与班子; the roster summary names nobody
    parts = _sections_of(docx.Document(io.BytesIO(archive.read(dossiers.DOCX_NAME))))
    text = parts["二、党员队伍"]
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
    parts = _sections_of(docx.Document(io.BytesIO(archive.read(dossiers.DOCX_NAME))))
    text = parts["四、检查发现"]
    start, end = _year()
    report = compliance.compute(demo.branch, start.year, today=end)
    shown = [
        f for f in report.all_findings() if f.status in (compliance.VIOLATED, compliance.AT_RISK)
    ]
    assert shown, "the demo branch has findings this year"
    for f in shown:
        assert f.citation in text and f.period_label in text
    minutes = parts["三、组织生活"]
    assert "会议记录" in minutes and "表决" in minutes


def test_the_dossier_is_one_document_with_cover_contents_and_every_section(
    demo, django_capture_on_commit_callbacks
):
    """Reopened with python-docx: a cover naming the organization, the period and the audit
    head; contents listing every section in the registry's order; then each section holding
    exactly the rows its app builds from the records (read again here)."""
    held_meeting(demo.branch)
    held_meeting(demo.sibling_branch)
    dossier = make(demo, demo.branch, django_capture_on_commit_callbacks)
    archive = _zip(dossier)
    assert [n for n in archive.namelist() if n.endswith(".docx")] == [dossiers.DOCX_NAME]
    document = docx.Document(io.BytesIO(archive.read(dossiers.DOCX_NAME)))
    parts = _sections_of(document)
    found = sections()
    titles = [f"{writers.section_number(i)}{s.title}" for i, s in enumerate(found, start=1)]
    assert list(parts) == ["封面", "目录", *titles]

    cover = parts["封面"]
    head = dossier.manifest["audit_head"]
    assert demo.branch.name in cover and dossier.period_label in cover
    assert f"#{head['seq']} {head['hash']}" in cover
    contents = parts["目录"]
    for title in titles:
        assert title in contents

    start, end = _year()
    for title, section in zip(titles, found, strict=True):
        text = parts[title]
        for table in plain_rows(section.build(demo.branch, start, end)):
            assert table["title"] in contents and table["title"] in text
            for row in table["rows"]:
                for value in row:
                    if value not in (None, ""):
                        assert str(value) in text, (section.key, value)
    whole = _text(document)
    assert demo.sibling_branch.name not in whole
    sibling = Meeting.objects.filter(organization=demo.sibling_branch, status=MeetingStatus.HELD)
    assert sibling.exists()
    for meeting in sibling:
        assert (
            meeting.topic not in whole
            or Meeting.objects.filter(
                organization__path__startswith=demo.branch.path, topic=meeting.topic
            ).exists()
        )


def test_the_document_downloads_alone_access_checked_and_audited(
    demo, client_for, django_capture_on_commit_callbacks
):
    dossier = make(demo, demo.branch, django_capture_on_commit_callbacks)
    url = reverse("desk:dossier_document", args=[dossier.pk])
    assert client_for(demo.users["member"]).get(url).status_code in (403, 404)
    client = client_for(demo.users["secretary"])
    page = client.get(reverse("desk:dossiers")).content.decode()
    assert url in page
    seq = last_seq()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    assert demo.branch.name in _text(docx.Document(io.BytesIO(response.content)))
    assert_audited(seq, "export", dossier)


def test_table_cells_reopen_as_written_with_line_breaks_and_empty_values():
    """The rows are written as XML directly (linear in the rows): reopened with python-docx,
    each cell reads as python-docx's own cell.text would have written it."""
    from dangjian.core.dossier import Table

    rows = [["议题一\n议题二", None, 3, dt.date(2026, 1, 5)], ["", "同意 ", 0, "甲\n\n乙"]]
    document = docx.Document()
    writers._tables(document, [Table("会议", ["议题", "决议", "人数", "日期"], rows)])
    out = io.BytesIO()
    document.save(out)
    reopened = docx.Document(io.BytesIO(out.getvalue())).tables[0]
    assert [[c.text for c in row.cells] for row in reopened.rows] == [
        ["议题", "决议", "人数", "日期"],
        ["议题一\n议题二", "", "3", "2026-01-05"],
        ["", "同意 ", "0", "甲\n\n乙"],
    ]


def _path_without_office() -> str:
    """PATH with every folder that holds LibreOffice left out."""
    import os
    from pathlib import Path

    folders = os.environ.get("PATH", "").split(os.pathsep)
    kept = [
        f for f in folders if not any((Path(f) / n).exists() for n in ("soffice", "libreoffice"))
    ]
    return os.pathsep.join(kept)


def test_with_libreoffice_the_dossier_has_a_pdf_beside_the_docx(
    demo, client_for, django_capture_on_commit_callbacks, with_office
):
    """Reopened with pypdf: the cover's title and a held meeting of the period are in the PDF,
    which is in the encrypted .zip, listed in the manifest and downloads audited."""
    import pypdf

    meeting = held_meeting(demo.branch)
    dossier = make(demo, demo.branch, django_capture_on_commit_callbacks)
    assert dossier.manifest["pdf"] == {"available": True, "note": ""}
    archive = _zip(dossier)
    pdf = archive.read(dossiers.PDF_NAME)
    assert dossier.manifest["files"][dossiers.PDF_NAME] == hashlib.sha256(pdf).hexdigest()
    blob = dossiers.stored_path(dossier).read_bytes()
    assert b"%PDF" not in blob

    client = client_for(demo.users["secretary"])
    url = reverse("desk:dossier_pdf", args=[dossier.pk])
    page = client.get(reverse("desk:dossiers")).content.decode()
    assert url in page and "dossier-pdf-note" not in page
    assert client_for(demo.users["member"]).get(url).status_code in (403, 404)
    seq = last_seq()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert_audited(seq, "export", dossier)
    assert response.content == pdf
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    squeezed = "".join(text.split())
    assert f"{demo.branch.name}党建工作台账" in squeezed  # the cover's title
    assert "".join(meeting.topic.split()) in squeezed


def test_without_libreoffice_the_page_says_only_the_docx_is_there_and_why(
    demo, client_for, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setenv("PATH", _path_without_office())  # also for a server that has it
    assert not office.available()
    dossier = make(demo, demo.branch, django_capture_on_commit_callbacks)
    assert dossier.status == DossierStatus.READY
    assert dossier.manifest["pdf"]["available"] is False
    assert dossiers.PDF_NAME not in _zip(dossier).namelist()
    assert dossiers.DOCX_NAME in _zip(dossier).namelist()
    client = client_for(demo.users["secretary"])
    page = client.get(reverse("desk:dossiers")).content.decode()
    assert "未安装 LibreOffice" in page and "仅提供 .docx" in page
    url = reverse("desk:dossier_pdf", args=[dossier.pk])
    assert url not in page
    seq = last_seq()
    response = client.get(url, follow=True)
    assert "未安装 LibreOffice" in response.content.decode()
    assert last_seq() == seq  # nothing was exported
