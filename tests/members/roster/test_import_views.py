"""Roster import pages: upload, background preview, confirm or cancel, error file and template.

The background tasks run through django_tasks' ImmediateBackend (settings.TASKS overridden per
test) when the request's transaction commits, which `django_capture_on_commit_callbacks`
makes happen inside the test transaction.
"""

from __future__ import annotations

import io
import re
import stat
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tasks import task_backends
from django_tasks.backends.immediate import ImmediateBackend

from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.members.models import ImportJob, ImportStatus, Member
from dangjian.members.roster import files
from dangjian.members.roster.jobs import errors_path, upload_path
from dangjian.members.roster.layout import ERROR_COLUMN, TEMPLATE_COLUMNS
from dangjian.members.tasks import apply_roster, preview_roster

from .fixtures import encrypted_xlsx_bytes
from .test_importer import FIELDS, HEADERS, by_id, exists, member_cells, new_person, roster

pytestmark = pytest.mark.django_db

STRICT_REFUSED = "严格模式下存在错误行或未确认的调动，不能导入；请修正后重新上传，或改用部分导入"


@pytest.fixture(autouse=True)
def immediate_tasks(settings, tmp_path):
    """Run the background tasks in-process; keep uploads in a scratch directory."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.IMPORT_DIR = tmp_path / "imports"
    # django_tasks resets its backends on setting_changed: the tasks now run immediately.
    assert isinstance(task_backends["default"], ImmediateBackend)
    assert isinstance(preview_roster.get_backend(), ImmediateBackend)
    assert isinstance(apply_roster.get_backend(), ImmediateBackend)
    return settings.IMPORT_DIR


@pytest.fixture
def secretary(demo, client_for):
    return client_for(demo.users["secretary"])


@pytest.fixture
def organ(demo, client_for):
    return client_for(demo.users["organ"])


def upload(client, capture, data: bytes, *, name="花名册.xlsx", org="FGW-B01", mode="partial"):
    """Post the upload form and run what it enqueues; returns the response."""
    with capture(execute=True):
        return client.post(
            reverse("members:import"),
            {"file": SimpleUploadedFile(name, data), "organization": org, "mode": mode},
        )


def confirm(client, capture, job: ImportJob, **extra):
    with capture(execute=True):
        return client.post(reverse("members:import_confirm", args=[job.pk]), extra)


def latest_job() -> ImportJob:
    return ImportJob.objects.order_by("-pk").first()


class _Page(HTMLParser):
    """The counts and the rejected-rows table of a job page."""

    def __init__(self):
        super().__init__()
        self.counts: dict[str, int] = {}
        self.errors: list[list[str]] = []
        self._count: str | None = None
        self._in_errors = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-count" in attrs:
            self._count = attrs["data-count"]
        if tag == "table" and attrs.get("id") == "import-errors":
            self._in_errors = True
        if self._in_errors and tag == "tr":
            self.errors.append([])
        if self._in_errors and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_errors = False
        if self._cell is not None and tag in ("td", "th"):
            self.errors[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._count is not None:
            self.counts[self._count] = int(data.strip())
            self._count = None
        if self._cell is not None:
            self._cell.append(data)


def page_of(response) -> _Page:
    parsed = _Page()
    parsed.feed(response.content.decode())
    return parsed


def mixed_file():
    """Two good rows and a bad one (row 3: an impossible date)."""
    good = [new_person(101), new_person(102, gender="male")]
    bad = new_person(103, admitted_on="2005-02-30")
    return good, bad, roster([good[0], bad, good[1]])


BAD_DATE = ("3", "入党时间", "入党时间「2005-02-30」不是实际存在的日期，请核对年月日")


# --- upload and preview --------------------------------------------------------------------------


def test_an_upload_is_previewed_in_the_background_and_the_page_shows_counts_and_reasons(
    demo, secretary, django_capture_on_commit_callbacks, immediate_tasks
):
    good, bad, data = mixed_file()
    members_before = Member.objects.count()

    response = upload(secretary, django_capture_on_commit_callbacks, data)

    job = latest_job()
    assert response.status_code == 302
    assert response["Location"] == reverse("members:import_job", args=[job.pk])
    assert (job.filename, job.organization, job.mode) == ("花名册.xlsx", demo.branch, "partial")
    assert job.status == ImportStatus.PREVIEWED
    assert (job.preview["created"], job.preview["rejected"], job.preview["rows"]) == (2, 1, 3)
    assert (job.progress_done, job.progress_total) == (3, 3)
    assert Member.objects.count() == members_before  # a preview writes nothing
    assert upload_path(job).parent == Path(immediate_tasks)
    assert upload_path(job).exists() and errors_path(job).exists()

    page = secretary.get(response["Location"])
    assert page.status_code == 200
    parsed = page_of(page)
    assert parsed.counts == {"created": 2, "updated": 0, "unchanged": 0, "moved": 0, "rejected": 1}
    assert parsed.errors == [["行号", "列", "原因"], list(BAD_DATE)]
    text = page.content.decode()
    assert 'id="confirm-import"' in text
    assert "确认导入（跳过 1 个错误行）" in text
    assert reverse("members:import_errors", args=[job.pk]) in text


def test_the_preview_lists_who_will_be_added_page_by_page(
    demo, secretary, django_capture_on_commit_callbacks
):
    # Issue 18: the preview showed counts but not who.
    from dangjian.members.import_views import PEOPLE_PER_PAGE

    people = [new_person(200 + i) for i in range(PEOPLE_PER_PAGE + 3)]
    upload(secretary, django_capture_on_commit_callbacks, roster(people))
    job = latest_job()
    assert [p["kind"] for p in job.preview["people"]] == ["create"] * len(people)
    assert all(set(p) == {"row", "name", "kind"} for p in job.preview["people"])  # no ID number

    first = secretary.get(reverse("members:import_job", args=[job.pk]))
    html = first.content.decode()
    names = [p["name"] for p in job.preview["people"]]
    assert names[0] in html and names[PEOPLE_PER_PAGE - 1] in html
    assert names[PEOPLE_PER_PAGE] not in html
    assert 'id="people-pages"' in html
    second = secretary.get(reverse("members:import_job", args=[job.pk]), {"people": 2})
    rows = second.context["people"].object_list
    assert [p["name"] for p in rows] == names[PEOPLE_PER_PAGE:]


def test_the_empty_template_offers_nothing_to_confirm(
    demo, secretary, django_capture_on_commit_callbacks
):
    # Issue 18: the downloaded template, uploaded with no rows, still offered 确认导入.
    upload(secretary, django_capture_on_commit_callbacks, roster([]))
    job = latest_job()
    assert job.status == ImportStatus.PREVIEWED
    page = secretary.get(reverse("members:import_job", args=[job.pk])).content.decode()
    assert 'id="confirm-import"' not in page
    assert "文件中没有党员数据行" in page


def test_a_job_still_being_checked_polls_for_its_progress(demo, secretary):
    good, _bad, data = mixed_file()
    # Without running the enqueued task the job stays in its first state.
    secretary.post(
        reverse("members:import"),
        {
            "file": SimpleUploadedFile("花名册.xlsx", data),
            "organization": "FGW-B01",
            "mode": "strict",
        },
    )
    job = latest_job()
    assert job.status == ImportStatus.PREVIEWING

    page = secretary.get(reverse("members:import_job", args=[job.pk]))
    text = page.content.decode()
    assert 'hx-trigger="every 1s"' in text
    assert "正在检查" in text and 'role="progressbar"' in text
    partial = secretary.get(reverse("members:import_job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert partial.content.decode().lstrip().startswith('<div id="import-status"')


def test_strict_mode_with_rejected_rows_refuses_to_confirm_and_writes_nothing(
    demo, secretary, django_capture_on_commit_callbacks
):
    good, _bad, data = mixed_file()
    upload(secretary, django_capture_on_commit_callbacks, data, mode="strict")
    job = latest_job()
    assert job.status == ImportStatus.PREVIEWED
    page = secretary.get(reverse("members:import_job", args=[job.pk])).content.decode()
    assert "严格模式：存在被拒绝的行，不能导入" in page
    assert 'id="confirm-import"' not in page
    members_before = Member.objects.count()

    response = confirm(secretary, django_capture_on_commit_callbacks, job)

    assert response.status_code == 302
    followed = secretary.get(response["Location"])
    assert STRICT_REFUSED in followed.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED and job.result == {}
    assert Member.objects.count() == members_before
    assert not any(exists(p["id_number"]) for p in good)


def test_partial_mode_confirm_writes_the_valid_rows_and_deletes_the_upload(
    demo, secretary, django_capture_on_commit_callbacks
):
    good, bad, data = mixed_file()
    upload(secretary, django_capture_on_commit_callbacks, data)
    job = latest_job()
    members_before = Member.objects.count()

    response = confirm(secretary, django_capture_on_commit_callbacks, job)

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.finished_at is not None
    assert (job.result["created"], job.result["rejected"], job.result["written"]) == (2, 1, True)
    assert Member.objects.count() == members_before + 2
    assert all(by_id(p["id_number"]).organization == demo.branch for p in good)
    assert not exists(bad["id_number"])
    assert not upload_path(job).exists()  # personal data is not kept after the import

    page = secretary.get(response["Location"])
    assert "导入完成" in page.content.decode()
    assert page_of(page).counts["created"] == 2

    # A second confirmation (a double click) does nothing more.
    confirm(secretary, django_capture_on_commit_callbacks, job)
    assert Member.objects.count() == members_before + 2


def test_a_clean_file_imports_in_strict_mode(demo, secretary, django_capture_on_commit_callbacks):
    people = [new_person(104), new_person(105)]
    upload(secretary, django_capture_on_commit_callbacks, roster(people), mode="strict")
    job = latest_job()
    assert job.preview["rejected"] == 0 and not errors_path(job).exists()
    page = secretary.get(reverse("members:import_job", args=[job.pk])).content.decode()
    assert 'id="errors-download"' not in page

    confirm(secretary, django_capture_on_commit_callbacks, job)

    job.refresh_from_db()
    assert (job.status, job.result["created"]) == (ImportStatus.DONE, 2)
    assert all(exists(p["id_number"]) for p in people)
    assert secretary.get(reverse("members:import_errors", args=[job.pk])).status_code == 404


def test_cancel_writes_nothing_and_deletes_the_upload(
    demo, secretary, django_capture_on_commit_callbacks
):
    people = [new_person(106)]
    upload(secretary, django_capture_on_commit_callbacks, roster(people))
    job = latest_job()

    response = secretary.post(reverse("members:import_cancel", args=[job.pk]), follow=True)

    assert "已取消导入，未写入任何数据" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED
    assert not upload_path(job).exists() and not errors_path(job).exists()
    assert not exists(people[0]["id_number"])
    confirm(secretary, django_capture_on_commit_callbacks, job)
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED and not exists(people[0]["id_number"])


# --- moves --------------------------------------------------------------------------------------


def _move_file(demo):
    moving = demo.member_in_sibling
    fresh = new_person(107)
    return (
        moving,
        fresh,
        roster([member_cells(moving, organization="FGW-B01", party_group=""), fresh]),
    )


def test_moves_are_listed_and_need_the_checkbox(demo, organ, django_capture_on_commit_callbacks):
    moving, fresh, data = _move_file(demo)
    upload(organ, django_capture_on_commit_callbacks, data, org="FGW-JGDW", mode="partial")
    job = latest_job()
    assert job.preview["moves"][0]["member_id"] == moving.pk
    page = organ.get(reverse("members:import_job", args=[job.pk])).content.decode()
    assert 'name="allow_moves"' in page
    assert f"{moving.name}：{demo.sibling_branch.name} → {demo.branch.name}" in page

    confirm(organ, django_capture_on_commit_callbacks, job)  # the box left unticked

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.allow_moves is False
    assert (job.result["created"], job.result["moved"], job.result["rejected"]) == (1, 0, 1)
    assert Member.objects.get(pk=moving.pk).organization == demo.sibling_branch
    assert exists(fresh["id_number"])


def test_a_ticked_move_checkbox_moves_the_member(demo, organ, django_capture_on_commit_callbacks):
    moving, _fresh, data = _move_file(demo)
    upload(organ, django_capture_on_commit_callbacks, data, org="FGW-JGDW", mode="strict")
    job = latest_job()

    confirm(organ, django_capture_on_commit_callbacks, job, allow_moves="1")

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.allow_moves is True
    assert (job.result["moved"], job.result["created"], job.result["rejected"]) == (1, 1, 0)
    assert Member.objects.get(pk=moving.pk).organization == demo.branch


def test_strict_mode_refuses_an_unconfirmed_move(demo, organ, django_capture_on_commit_callbacks):
    moving, fresh, data = _move_file(demo)
    upload(organ, django_capture_on_commit_callbacks, data, org="FGW-JGDW", mode="strict")
    job = latest_job()

    response = confirm(organ, django_capture_on_commit_callbacks, job)

    assert STRICT_REFUSED in organ.get(response["Location"]).content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED
    assert Member.objects.get(pk=moving.pk).organization == demo.sibling_branch
    assert not exists(fresh["id_number"])


# --- downloads ----------------------------------------------------------------------------------


def test_the_error_file_download_holds_the_rejected_rows_with_their_reason(
    demo, secretary, django_capture_on_commit_callbacks
):
    good, bad, data = mixed_file()
    upload(secretary, django_capture_on_commit_callbacks, data)
    job = latest_job()

    response = secretary.get(reverse("members:import_errors", args=[job.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = [[c.value for c in r] for r in book.worksheets[0].iter_rows()]
    assert rows[0] == [*HEADERS, ERROR_COLUMN]
    assert len(rows) == 2
    assert rows[1][FIELDS.index("name")] == bad["name"]
    assert rows[1][FIELDS.index("id_number")] == bad["id_number"]
    assert rows[1][-1] == f"{BAD_DATE[1]}：{BAD_DATE[2]}"


def test_the_template_download_has_the_header_notes_and_drop_down_lists(demo, secretary):
    response = secretary.get(reverse("members:import_template"))

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == [c.header for c in TEMPLATE_COLUMNS]
    assert sheet.max_row == 1
    assert "填写说明" in book.sheetnames
    notes = [r[0] for r in book["填写说明"].iter_rows(values_only=True) if r[0]]
    assert all(c.label in notes for c in TEMPLATE_COLUMNS)
    validations = sheet.data_validations.dataValidation
    columns = {str(v.sqref).split(":")[0].rstrip("0123456789") for v in validations}
    letters = {
        c.field: openpyxl.utils.get_column_letter(i + 1) for i, c in enumerate(TEMPLATE_COLUMNS)
    }
    expected = {"gender", "ethnicity", "education", "status", "category"}
    assert columns == {letters[f] for f in expected}
    assert all(v.type == "list" for v in validations)


def test_the_template_is_for_writers_only(demo, client_for):
    assert (
        client_for(demo.users["member"]).get(reverse("members:import_template")).status_code == 403
    )
    assert client_for(demo.users["inspector"]).get(reverse("members:import")).status_code == 403


# --- upload validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("花名册.pdf", b"%PDF-1.4 not a roster", "请上传 .xlsx、.xls 或 .csv 文件"),
        ("花名册.docx", b"PK\x03\x04", "请上传 .xlsx、.xls 或 .csv 文件"),
        ("花名册.xlsx", b"", "所提交的是空文件。"),
        ("花名册.xlsx", b"x" * (1024 * 1024 + 1), "文件过大（1.0 MB），上限为 1 MB"),
    ],
    ids=["pdf", "docx", "empty", "too large"],
)
def test_an_unacceptable_upload_is_refused_with_a_chinese_message_and_no_job(
    demo,
    secretary,
    settings,
    immediate_tasks,
    django_capture_on_commit_callbacks,
    name,
    data,
    message,
):
    settings.IMPORT_MAX_MB = 1
    jobs_before = ImportJob.objects.count()

    response = upload(secretary, django_capture_on_commit_callbacks, data, name=name)

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [message]
    assert message in response.content.decode()
    assert ImportJob.objects.count() == jobs_before
    assert not Path(immediate_tasks).exists() or not any(Path(immediate_tasks).iterdir())


def test_the_secretary_can_only_import_into_their_own_branch(
    demo, secretary, django_capture_on_commit_callbacks
):
    page = secretary.get(reverse("members:import"))
    choices = [code for code, _label in page.context["form"].fields["organization"].choices]
    assert choices == ["FGW-B01"]
    jobs_before = ImportJob.objects.count()

    response = upload(
        secretary, django_capture_on_commit_callbacks, roster([new_person(108)]), org="FGW-B02"
    )

    assert response.status_code == 200
    assert "organization" in response.context["form"].errors
    assert ImportJob.objects.count() == jobs_before


def test_another_users_job_in_a_sibling_branch_is_not_found(
    demo, secretary, organ, django_capture_on_commit_callbacks
):
    data = roster([new_person(109, organization="FGW-B02")])
    upload(organ, django_capture_on_commit_callbacks, data, org="FGW-B02")
    job = latest_job()
    assert job.organization == demo.sibling_branch and job.status == ImportStatus.PREVIEWED
    assert organ.get(reverse("members:import_job", args=[job.pk])).status_code == 200

    assert secretary.get(reverse("members:import_job", args=[job.pk])).status_code == 404
    assert secretary.get(reverse("members:import_errors", args=[job.pk])).status_code == 404
    response = confirm(secretary, django_capture_on_commit_callbacks, job)
    assert response.status_code == 404
    assert secretary.post(reverse("members:import_cancel", args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED


def test_an_unusable_file_fails_the_job_with_the_readers_message(
    demo, secretary, django_capture_on_commit_callbacks
):
    upload(secretary, django_capture_on_commit_callbacks, encrypted_xlsx_bytes())
    job = latest_job()

    assert job.status == ImportStatus.FAILED
    assert job.error == "文件已设置密码保护，请取消密码后再导入"
    assert job.finished_at is not None
    page = secretary.get(reverse("members:import_job", args=[job.pk])).content.decode()
    assert re.search(r'id="import-failed">文件已设置密码保护，请取消密码后再导入<', page)
    response = confirm(secretary, django_capture_on_commit_callbacks, job)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "该导入任务当前不能确认" in secretary.get(response["Location"]).content.decode()


def test_a_csv_upload_in_gbk_is_previewed_like_a_spreadsheet(
    demo, secretary, django_capture_on_commit_callbacks
):
    people = [new_person(110), new_person(111)]
    text = "\r\n".join(
        ",".join(str(v) for v in row)
        for row in [HEADERS, *([p[f] for f in FIELDS] for p in people)]
    )
    upload(secretary, django_capture_on_commit_callbacks, text.encode("gbk"), name="花名册.csv")
    job = latest_job()

    assert job.status == ImportStatus.PREVIEWED
    assert (job.preview["created"], job.preview["rejected"]) == (2, 0)
    confirm(secretary, django_capture_on_commit_callbacks, job)
    assert by_id(people[1]["id_number"]).name == people[1]["name"]


# --- personal data at rest, and the audit trail --------------------------------------------------


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_upload_and_the_error_file_are_kept_encrypted_0600_in_a_0700_folder(
    demo, secretary, django_capture_on_commit_callbacks, immediate_tasks
):
    good, bad, data = mixed_file()
    upload(secretary, django_capture_on_commit_callbacks, data)
    job = latest_job()

    assert mode_of(Path(immediate_tasks)) == 0o700
    for path in (upload_path(job), errors_path(job)):
        assert mode_of(path) == 0o600
        stored = path.read_bytes()
        assert not stored.startswith(b"PK")  # not the .xlsx itself
        assert bad["id_number"].encode() not in stored
    assert files.load(upload_path(job)) == data
    errors = openpyxl.load_workbook(io.BytesIO(files.load(errors_path(job)))).worksheets[0]
    assert [c.value for c in errors[2]][FIELDS.index("id_number")] == bad["id_number"]
    # Nothing else in the folder: no plaintext copy, no temporary file left behind.
    assert sorted(p.name for p in Path(immediate_tasks).iterdir()) == sorted(
        [upload_path(job).name, errors_path(job).name]
    )


def test_a_file_encrypted_under_another_key_fails_the_job_without_reading_it(
    demo, secretary, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    secretary.post(
        reverse("members:import"),
        {"file": SimpleUploadedFile("花名册.xlsx", roster([new_person(120)])), "organization":
         "FGW-B01", "mode": "partial"},
    )  # fmt: skip
    job = latest_job()
    sealed = upload_path(job).read_bytes()
    # Tampered: the last byte flipped (replacing it by a fixed byte left it unchanged when the
    # random tag happened to end in that byte, one run in 256).
    upload_path(job).write_bytes(sealed[:-1] + bytes([sealed[-1] ^ 0xFF]))

    from dangjian.members.roster.jobs import run_preview

    run_preview(job.pk)

    job.refresh_from_db()
    assert (job.status, job.error) == (
        ImportStatus.FAILED,
        "上传的文件已过期或无法读取，请重新上传",
    )


def job_events(job: ImportJob) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type="members.importjob", object_id=str(job.pk)).order_by(
            "seq"
        )
    )


def test_upload_preview_confirm_import_and_error_download_are_each_audited(
    demo, secretary, django_capture_on_commit_callbacks
):
    good, bad, data = mixed_file()
    upload(secretary, django_capture_on_commit_callbacks, data)
    job = latest_job()
    confirm(secretary, django_capture_on_commit_callbacks, job)
    secretary.get(reverse("members:import_errors", args=[job.pk]))

    events = job_events(job)
    assert [(e.action, e.changes.get("status")) for e in events] == [
        (AuditAction.CREATE, [None, "previewing"]),
        (AuditAction.UPDATE, ["previewing", "previewed"]),
        (AuditAction.UPDATE, ["previewed", "importing"]),
        (AuditAction.UPDATE, ["importing", "done"]),
        (AuditAction.EXPORT, None),
    ]
    assert all(e.actor_username == "secretary" for e in events)
    assert events[0].message == "上传花名册「花名册.xlsx」到「办公室党支部」（部分导入），开始检查"
    assert events[1].message == (
        "检查花名册「花名册.xlsx」（3 行）：可新增 2，更新 0，调动 0，未变 0，拒绝 1"
    )
    assert events[2].message == "确认导入花名册「花名册.xlsx」到「办公室党支部」"
    assert (
        events[3].message == "导入花名册「花名册.xlsx」完成：新增 2，更新 0，调动 0，未变 0，拒绝 1"
    )
    assert events[4].message == "下载花名册「花名册.xlsx」的错误行文件（1 行，含身份证号等明文）"
    assert events[0].ip == "127.0.0.1" and events[4].ip == "127.0.0.1"
    for event in AuditEvent.objects.filter(seq__gte=events[0].seq):
        text = f"{event.message}{event.changes}{event.object_repr}"
        assert not any(p["id_number"] in text for p in [*good, bad])


def test_a_cancel_and_a_refused_confirmation_are_audited_or_change_nothing(
    demo, secretary, django_capture_on_commit_callbacks
):
    _good, _bad, data = mixed_file()
    upload(secretary, django_capture_on_commit_callbacks, data, mode="strict")
    job = latest_job()
    before = job_events(job)

    confirm(secretary, django_capture_on_commit_callbacks, job)  # strict: refused
    assert job_events(job) == before
    secretary.post(reverse("members:import_cancel", args=[job.pk]))
    again = secretary.post(reverse("members:import_cancel", args=[job.pk]), follow=True)

    events = job_events(job)
    assert len(events) == len(before) + 1
    assert events[-1].changes == {"status": ["previewed", "cancelled"]}
    assert events[-1].message == ("取消导入花名册「花名册.xlsx」，未写入任何数据，已删除上传的文件")
    assert "该导入任务当前不能取消" in again.content.decode()


def test_nothing_is_left_on_disk_after_an_import(
    demo, secretary, django_capture_on_commit_callbacks, immediate_tasks
):
    upload(secretary, django_capture_on_commit_callbacks, roster([new_person(121)]))
    job = latest_job()
    confirm(secretary, django_capture_on_commit_callbacks, job)

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert list(Path(immediate_tasks).iterdir()) == []
