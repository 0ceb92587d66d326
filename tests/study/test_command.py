"""`dangjian library import DIR --org CODE`: idempotent, with a progress bar and a summary."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from django.core.management import call_command

from dangjian.audit.models import AuditEvent
from dangjian.core import ocr
from dangjian.study.models import Material
from dangjian.study.samples import make_docx, make_pdf, make_txt
from tests.study.helpers import ESSAY


def _folder(tmp_path):
    folder = tmp_path / "资料"
    (folder / "子目录").mkdir(parents=True)
    (folder / "机关党建.txt").write_bytes(ESSAY.read_bytes())
    (folder / "主题党日.docx").write_bytes(make_docx(["主题党日活动要有明确主题。"] * 5))
    (folder / "子目录" / "党课.pdf").write_bytes(make_pdf(["党课要联系实际。"] * 20))
    (folder / "子目录" / "扫描.pdf").write_bytes(make_pdf(["扫描"] * 5, image_only=True))
    (folder / "坏文件.pdf").write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 50)
    (folder / "说明.xlsx").write_bytes(b"PK")
    return folder


def _run(*args) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("library", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return out.getvalue(), err.getvalue(), code


def test_import_twice_adds_nothing_the_second_time(demo, tmp_path):
    folder = _folder(tmp_path)
    out, err, code = _run("import", str(folder), "--org", "FGW-JGDW", "--category", "理论学习")
    assert code == 1  # one file refused
    assert "新增 4 份，已存在 0 份，未导入 1 份，跳过不支持的文件 1 个" in out
    assert "未导入：坏文件.pdf：坏文件.pdf：" in out or "未导入：坏文件.pdf：" in out
    scan = "已排队由后台任务识别文字" if ocr.available() else "不能全文检索"
    assert f"无文字层（扫描件，{scan}）：子目录/扫描.pdf" in out
    assert "5/5" in err  # the progress reached the end
    assert (
        Material.objects.filter(organization=demo.organ_committee, category="理论学习").count() == 4
    )
    events = AuditEvent.objects.count()

    out, _, code = _run("import", str(folder), "--org", "FGW-JGDW")
    assert "新增 0 份，已存在 4 份，未导入 1 份" in out
    assert Material.objects.count() == 4
    assert AuditEvent.objects.count() == events
    # A renamed copy is the same content: still the same material.
    (folder / "另一个名字.txt").write_bytes(ESSAY.read_bytes())
    out, _, _ = _run("import", str(folder), "--org", "FGW-JGDW")
    assert "新增 0 份，已存在 5 份" in out


def test_import_refuses_an_unknown_folder_or_organization(demo, tmp_path):
    _, err, code = _run("import", str(tmp_path / "没有"), "--org", "FGW-JGDW")
    assert code == 2 and "文件夹不存在" in err
    _, err, code = _run("import", str(tmp_path), "--org", "NOPE")
    assert code == 2 and "组织编码 NOPE 不存在" in err


def test_import_as_a_user_keeps_to_their_scope(demo, tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.txt").write_bytes(make_txt(["支部资料。"]))
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("library", "import", str(folder), "--org", "FGW-B02", "--user", "secretary")
    assert not Material.objects.exists()
    call_command(
        "library",
        "import",
        str(folder),
        "--org",
        "FGW-B01",
        "--user",
        "secretary",
        stdout=io.StringIO(),
    )
    assert Material.objects.get().created_by == demo.users["secretary"]


def test_reindex_rebuilds_terms(demo, tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.txt").write_bytes(ESSAY.read_bytes())
    call_command("library", "import", str(folder), "--org", "FGW-JGDW", stdout=io.StringIO())
    material = Material.objects.get()
    material.text.body_terms = ""
    material.text.save()
    out, _, _ = _run("reindex")
    assert "已重建 1 份" in out
    material.text.refresh_from_db()
    assert "怠学__" in material.text.body_terms


def test_the_dangjian_command_line_has_the_library_command():
    result = subprocess.run(
        [sys.executable, "-m", "dangjian.cli", "library", "import", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "--org" in result.stdout and "--category" in result.stdout


def _stored(org) -> list:
    rows = []
    for m in Material.objects.filter(organization=org).order_by("sha256"):
        keywords = sorted(m.keywords.values_list("word", "weight"))
        text = m.text
        rows.append(
            (m.title, m.abstract, m.pages, m.char_count, m.has_text, m.original_name, m.sha256)
            + (text.text, text.preview, text.title_terms, text.body_terms, keywords)
        )
    return rows


def test_worker_processes_store_what_one_process_stores(demo, tmp_path):
    folder = _folder(tmp_path)
    (folder / "标题样式.docx").write_bytes(
        make_docx(["标题下的第一段。", "第二段讲学习教育。"] * 3, title="学习教育读本")
    )
    _run("import", str(folder), "--org", "FGW-B01", "--jobs", "1")
    _run("import", str(folder), "--org", "FGW-B02", "--jobs", "3")
    alone, parallel = _stored(demo.branch), _stored(demo.sibling_branch)
    assert len(alone) == 5
    assert alone == parallel
    assert any(block["t"] == "h" for row in alone for page in row[8] for block in page)
