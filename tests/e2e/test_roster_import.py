"""The secretary imports a roster in a real browser: upload, preview, error download, confirm.

The preview and the import are background tasks; here django_tasks' ImmediateBackend runs them
in the live server's own thread when the request commits (the live server shares this process
and its settings, and the transactional database lets on_commit fire).
"""

from __future__ import annotations

import re

import openpyxl
import pytest
from playwright.sync_api import expect

from dangjian.members.models import ImportJob, ImportStatus
from dangjian.members.roster.jobs import upload_path
from dangjian.members.roster.layout import ERROR_COLUMN, TEMPLATE_COLUMNS
from tests.conftest import PASSWORD
from tests.members.roster.test_importer import FIELDS, by_id, exists, new_person, roster

pytestmark = pytest.mark.browser

BAD_REASON = "入党时间「2005-02-30」不是实际存在的日期，请核对年月日"


@pytest.fixture
def background_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.IMPORT_DIR = tmp_path / "imports"
    return settings


def _counts(page) -> dict[str, str]:
    return {
        key: page.locator(f"[data-count='{key}']").inner_text().strip()
        for key in ("created", "updated", "unchanged", "moved", "rejected")
    }


def test_secretary_previews_downloads_the_errors_and_imports_the_good_rows(
    page, phone_page, demo, login, results_dir, background_tasks, tmp_path
):
    good = [new_person(301), new_person(302, gender="male")]
    bad = new_person(303, admitted_on="2005-02-30")
    upload_file = tmp_path / "办公室党支部花名册.xlsx"
    upload_file.write_bytes(roster([good[0], bad, good[1]]))

    login(page, "secretary", PASSWORD)
    page.goto("/members/import/")
    expect(page.get_by_role("heading", name="导入花名册")).to_be_visible()
    page.get_by_label("花名册文件").set_input_files(str(upload_file))
    expect(page.get_by_label("导入到")).to_have_value("FGW-B01")
    page.get_by_label(re.compile("^部分导入")).check()
    page.get_by_role("button", name="上传并检查").click()

    # The preview: counts, and the rejected row with its row number, column and reason.
    page.wait_for_url(re.compile(r"/members/import/\d+/$"))
    job = ImportJob.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    expect(page.locator("[data-count='rejected']")).to_have_text("1")
    assert _counts(page) == {
        "created": "2",
        "updated": "0",
        "unchanged": "0",
        "moved": "0",
        "rejected": "1",
    }
    error_rows = page.locator("#import-errors tbody tr")
    expect(error_rows).to_have_count(1)
    expect(error_rows.first.locator("td")).to_have_text(["3", "入党时间", BAD_REASON])
    assert not any(exists(p["id_number"]) for p in good)  # a preview writes nothing
    page.screenshot(path=results_dir / "roster-import-preview.png", full_page=True)

    # The same preview on a phone.
    login(phone_page, "secretary", PASSWORD)
    phone_page.goto(f"/members/import/{job.pk}/")
    expect(phone_page.locator("[data-count='created']")).to_have_text("2")
    expect(phone_page.get_by_role("button", name=re.compile("^确认导入"))).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390 + 2
    phone_page.screenshot(path=results_dir / "roster-import-preview-phone.png", full_page=True)

    # The error file: exactly the bad row, with 错误原因.
    with page.expect_download() as downloading:
        page.get_by_role("link", name="下载错误行（含错误原因）").click()
    download = downloading.value
    assert download.suggested_filename == "办公室党支部花名册-错误行.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    sheet = openpyxl.load_workbook(saved).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == [*[c.header for c in TEMPLATE_COLUMNS], ERROR_COLUMN]
    assert len(rows) == 2
    assert rows[1][FIELDS.index("name")] == bad["name"]
    assert rows[1][FIELDS.index("id_number")] == bad["id_number"]
    assert rows[1][-1] == f"入党时间：{BAD_REASON}"

    # Confirm: the two good rows are written, the bad one is not.
    page.get_by_role("button", name="确认导入（跳过 1 个错误行）").click()
    expect(page.locator("#import-done")).to_contain_text("导入完成")
    expect(page.locator("[data-count='created']")).to_have_text("2")
    expect(page.locator("[data-count='rejected']")).to_have_text("1")
    page.screenshot(path=results_dir / "roster-import-done.png", full_page=True)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert all(by_id(p["id_number"]).organization == demo.branch for p in good)
    assert not exists(bad["id_number"])
    assert not upload_path(job).exists()
