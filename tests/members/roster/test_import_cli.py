"""`dangjian import-roster FILE --org CODE`: exit codes, JSON output, error file, dry run, modes.

The command ends with sys.exit(code); the tests run it in-process and read the SystemExit.
"""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.core.management import call_command

from dangjian.audit.models import AuditEvent
from dangjian.cli import main as dangjian_main
from dangjian.members.models import Member
from dangjian.members.roster.layout import ERROR_COLUMN
from tests.helpers import last_seq

from .fixtures import encrypted_xlsx_bytes, xlsx_bytes
from .test_importer import (
    CORRUPTED,
    FIELDS,
    HEADERS,
    by_id,
    counts,
    exists,
    member_cells,
    new_person,
    roster,
    table,
)

pytestmark = pytest.mark.django_db

DOCUMENTED_KEYS = {"created", "updated", "unchanged", "rejected", "errors"}


def import_roster(*args) -> tuple[int, str]:
    """Run the command; returns (exit code, what it printed)."""
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("import_roster", *[str(a) for a in args], stdout=out)
    return exited.value.code, out.getvalue()


def as_json(*args) -> tuple[int, dict]:
    code, text = import_roster(*args, "--json")
    return code, json.loads(text)


@pytest.fixture
def files(tmp_path):
    def write(name: str, data: bytes):
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


def mixed(files):
    good = [new_person(201), new_person(202, gender="male")]
    bad = new_person(203, id_number=1.10105e17)
    return good, bad, files("花名册.xlsx", roster([good[0], bad, good[1]]))


def test_a_file_with_every_row_accepted_exits_0_with_the_documented_json(demo, files):
    people = [new_person(204), new_person(205)]
    path = files("花名册.xlsx", roster(people))
    before_members, _ = counts()

    code, result = as_json(path, "--org", "fgw-b01")

    assert code == 0
    assert set(result) >= DOCUMENTED_KEYS
    assert {k: result[k] for k in DOCUMENTED_KEYS} == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "errors": [],
    }
    assert Member.objects.count() == before_members + 2
    assert by_id(people[0]["id_number"]).organization == demo.branch
    # Run again: idempotent, still exit 0.
    code, result = as_json(path, "--org", "FGW-B01")
    assert (code, result["created"], result["unchanged"]) == (0, 0, 2)


def test_the_json_output_has_exactly_the_documented_keys(demo, files):
    path = files("花名册.xlsx", roster([new_person(206)]))

    _code, result = as_json(path, "--org", "FGW-B01", "--dry-run")

    assert set(result) == DOCUMENTED_KEYS


def test_rejected_rows_exit_1_and_list_row_column_and_message(demo, files):
    good, bad, path = mixed(files)

    code, result = as_json(path, "--org", "FGW-B01", "--mode", "partial")

    assert code == 1
    assert (result["created"], result["rejected"]) == (2, 1)
    assert result["errors"] == [{"row": 3, "column": "身份证号", "message": CORRUPTED}]
    assert all(exists(p["id_number"]) for p in good)


def test_strict_mode_with_a_rejected_row_exits_1_and_writes_nothing(demo, files):
    good, _bad, path = mixed(files)
    before = counts()

    code, text = import_roster(path, "--org", "FGW-B01", "--mode", "strict")

    assert code == 1
    assert f"第 3 行 [身份证号] {CORRUPTED}" in text
    assert "严格模式：存在被拒绝的行，未写入任何数据。" in text
    assert counts() == before
    assert not any(exists(p["id_number"]) for p in good)


def test_strict_is_the_default_mode(demo, files):
    _good, _bad, path = mixed(files)
    before = counts()

    code, _text = import_roster(path, "--org", "FGW-B01")

    assert code == 1 and counts() == before


def test_dry_run_reports_and_writes_nothing(demo, files):
    good, _bad, path = mixed(files)
    before = counts()

    code, result = as_json(path, "--org", "FGW-B01", "--mode", "partial", "--dry-run")

    assert code == 1
    assert (result["created"], result["rejected"]) == (2, 1)
    assert counts() == before

    clean = files("clean.xlsx", roster(good))
    code, text = import_roster(clean, "--org", "FGW-B01", "--dry-run")
    assert code == 0 and "检查「clean.xlsx」" in text and "新增 2" in text
    assert counts() == before


def test_the_errors_option_writes_the_rejected_rows_with_their_reason(demo, files, tmp_path):
    good, bad, path = mixed(files)
    out = tmp_path / "错误行.xlsx"

    code, _result = as_json(path, "--org", "FGW-B01", "--mode", "partial", "--errors", out)

    assert code == 1
    rows = [list(r) for r in openpyxl.load_workbook(out).worksheets[0].iter_rows(values_only=True)]
    assert rows[0] == [*HEADERS, ERROR_COLUMN]
    assert len(rows) == 2
    assert rows[1][FIELDS.index("name")] == bad["name"]
    assert rows[1][FIELDS.index("id_number")] == "1.10105E+17"
    assert rows[1][-1] == f"身份证号：{CORRUPTED}"
    assert out.stat().st_mode & 0o777 == 0o600  # unmasked rows: the operator's eyes only


def test_no_error_file_is_written_when_every_row_is_accepted(demo, files, tmp_path):
    path = files("花名册.xlsx", roster([new_person(207)]))
    out = tmp_path / "errors.xlsx"

    code, _ = import_roster(path, "--org", "FGW-B01", "--errors", out)

    assert code == 0 and not out.exists()


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (
            lambda files: [files("locked.xlsx", encrypted_xlsx_bytes()), "--org", "FGW-B01"],
            "文件已设置密码保护，请取消密码后再导入",
        ),
        (lambda files: [files("empty.csv", b""), "--org", "FGW-B01"], "文件为空"),
        (
            lambda files: [files("a.xlsx", roster([new_person(208)])), "--org", "NOPE"],
            "组织编码 NOPE 不存在",
        ),
        (
            lambda files: (
                [files("a.xlsx", roster([new_person(209)])), "--org", "FGW-B01"]
                + ["--user", "nobody"]
            ),
            "用户 nobody 不存在",
        ),
    ],
    ids=["encrypted", "empty", "unknown org", "unknown user"],
)
def test_a_file_or_target_that_cannot_be_used_exits_2(demo, files, make_args, message):
    args = make_args(files)
    before = counts()

    code, result = as_json(*args)

    assert code == 2
    assert result == {"error": message}
    assert counts() == before


def test_a_missing_file_exits_2(demo, tmp_path):
    code, text = import_roster(tmp_path / "missing.xlsx", "--org", "FGW-B01")

    assert code == 2 and text.startswith("文件不存在：")


def test_the_hyphenated_command_exits_with_the_same_codes(demo, files, capsys):
    good, _bad, path = mixed(files)

    with pytest.raises(SystemExit) as exited:
        dangjian_main(["import-roster", str(path), "--org", "FGW-B01", "--json", "--dry-run"])

    assert exited.value.code == 1
    assert json.loads(capsys.readouterr().out)["rejected"] == 1


def test_acting_as_a_user_applies_their_scope_and_names_them_in_the_audit(demo, files):
    inside = new_person(210)
    outside = new_person(211, organization="FGW-B02")
    path = files("花名册.xlsx", roster([inside, outside]))
    seq = last_seq()

    code, result = as_json(path, "--org", "FGW-B01", "--mode", "partial", "--user", "secretary")

    assert code == 1
    assert result["errors"] == [
        {
            "row": 3,
            "column": "所在支部",
            "message": "党支部「FGW-B02」不存在，或不在「办公室党支部」及您的管理范围内",
        }
    ]
    events = AuditEvent.objects.filter(seq__gt=seq)
    assert {e.actor_username for e in events} == {"secretary"}
    assert {e.ip for e in events} == {"cli"}


def test_the_system_actor_moves_only_with_allow_moves(demo, files):
    moving = demo.member_in_sibling
    path = files(
        "调动.xlsx", roster([member_cells(moving, organization="FGW-B01", party_group="")])
    )

    code, result = as_json(path, "--org", "FGW-JGDW")
    assert (code, result["updated"], result["rejected"]) == (1, 0, 1)
    assert "需确认调动后才能导入" in result["errors"][0]["message"]
    assert Member.objects.get(pk=moving.pk).organization == demo.sibling_branch

    code, result = as_json(path, "--org", "FGW-JGDW", "--allow-moves")
    # A confirmed move is reported as an update in the documented JSON shape.
    assert (code, result["updated"], result["rejected"]) == (0, 1, 0)
    assert Member.objects.get(pk=moving.pk).organization == demo.branch


def test_the_sheet_option_picks_the_sheet(demo, files):
    first, second = new_person(212), new_person(213)
    path = files("两个支部.xlsx", xlsx_bytes({"一": table([first]), "二": table([second])}))

    code, text = import_roster(path, "--org", "FGW-B01", "--sheet", "二")

    assert code == 0 and "（工作表 二）" in text
    assert exists(second["id_number"]) and not exists(first["id_number"])
    code, result = as_json(path, "--org", "FGW-B01", "--sheet", "三")
    assert code == 2 and result["error"].startswith("工作表「三」不存在")


def test_unknown_columns_are_named_in_the_text_output(demo, files):
    p = new_person(214)
    p["籍贯"] = "某地"
    path = files("a.xlsx", xlsx_bytes(table([p], [*FIELDS, "籍贯"], [*HEADERS, "籍贯"])))

    code, text = import_roster(path, "--org", "FGW-B01")

    assert code == 0 and "未识别的列（已忽略）：籍贯" in text
