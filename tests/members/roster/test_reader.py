"""Reading roster files as they come from Excel, WPS and other systems: formats, headers, rows."""

from __future__ import annotations

import datetime as dt
import random
import types

import pytest

from dangjian.members.roster.cells import parse_date
from dangjian.members.roster.reader import (
    COLUMN_ALIASES,
    RosterFileError,
    header_field,
    open_roster,
)

from .fixtures import (
    HEADER,
    cfb_bytes,
    csv_bytes,
    encrypted_xls_bytes,
    encrypted_xlsx_bytes,
    inline_cell,
    people_rows,
    person,
    plain_zip_bytes,
    raw_xlsx_bytes,
    sparse_xlsx_bytes,
    xls_bytes,
    xlsx_bytes,
    zip_bomb_bytes,
)

FIELDS = [
    "name",
    "id_number",
    "gender",
    "phone",
    "organization",
    "status",
    "admitted_on",
    "confirmed_on",
]


def read_all(data: bytes, filename: str = "花名册.xlsx", **kwargs):
    with open_roster(data, filename, **kwargs) as roster:
        return roster, list(roster.iter_rows())


def expected_values(seed: int) -> dict[str, object]:
    p = person(seed)
    return {f: p[f] for f in FIELDS}


# --- header aliases -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field"),
    [(alias, field) for field, aliases in COLUMN_ALIASES.items() for alias in aliases],
)
def test_every_alias_names_its_field(text, field):
    assert header_field(text) == field


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("姓名*", "name"),
        ("*姓名", "name"),
        ("姓 名", "name"),
        ("姓名（必填）", "name"),
        ("姓名(必填)", "name"),
        ("身份证号码（18位）", "id_number"),
        ("【身份证号】", "id_number"),
        ("入党时间\n(年月日)", "admitted_on"),
        ("所在(党)支部", "organization"),
        ("手机号：", "phone"),
        ("ＰＨＯＮＥ", None),
        ("序号", None),
        ("错误原因", None),
        ("备注", None),
        ("", None),
        (None, None),
        (42, None),
    ],
)
def test_header_decorations_are_ignored_when_matching(text, field):
    assert header_field(text) == field


def test_each_alias_is_recognised_in_a_real_file():
    # One file per field: the alias in the header, the rest in canonical names.
    for field, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            header = ["姓名", "身份证号", alias] if field not in ("name", "id_number") else None
            if header is None:
                header = [alias, "身份证号" if field == "name" else "姓名"]
            roster, rows = read_all(
                csv_bytes([header, ["张三", "110105199005030012", "x"]]), "a.csv"
            )
            assert field in roster.columns, alias
            assert roster.titles[field] == alias


# --- xlsx layouts -------------------------------------------------------------------------------


def test_a_plain_xlsx_gives_rows_with_excel_row_numbers_and_raw_values():
    roster, rows = read_all(xlsx_bytes([HEADER, *people_rows(3)]))
    assert roster.format == "xlsx"
    assert roster.header_row == 1 and roster.first_data_row == 2
    assert roster.columns == {f: i for i, f in enumerate(FIELDS)}
    assert roster.unknown_columns == [] and roster.duplicate_columns == []
    assert [r.row_number for r in rows] == [2, 3, 4]
    assert [r.values for r in rows] == [expected_values(s) for s in (1, 2, 3)]


def test_title_rows_above_the_header_are_skipped():
    data = xlsx_bytes(
        [
            ["XX党支部党员花名册"],
            ["填报单位：第一党支部", None, None, None, None, "填报日期：2026年11月"],
            [],
            HEADER,
            *people_rows(2),
        ],
        merges=["A1:H1"],
    )
    roster, rows = read_all(data)
    assert roster.header_row == 4
    assert [r.row_number for r in rows] == [5, 6]
    assert rows[0].values["name"] == person(1)["name"]


def test_columns_in_any_order_and_unknown_columns_are_reported():
    header = ["序号", "入党时间", "备注", "身份证号", "籍贯", "姓名", "所在支部"]
    p = person(5)
    row = [1, p["admitted_on"], "无", p["id_number"], "北京", p["name"], p["organization"]]
    roster, rows = read_all(xlsx_bytes([header, row]))
    assert roster.columns == {"admitted_on": 1, "id_number": 3, "name": 5, "organization": 6}
    assert roster.unknown_columns == ["备注", "籍贯"]  # 序号 is expected, not unknown
    assert rows[0].values == {
        "admitted_on": p["admitted_on"],
        "id_number": p["id_number"],
        "name": p["name"],
        "organization": p["organization"],
    }


def test_a_second_column_for_the_same_field_is_reported_and_ignored():
    header = ["姓名", "身份证号", "手机", "联系电话"]
    roster, rows = read_all(
        xlsx_bytes([header, ["张三", "110105199005030012", "13800000001", "010-1"]])
    )
    assert roster.columns["phone"] == 2
    assert roster.duplicate_columns == ["联系电话"]
    assert rows[0].values["phone"] == "13800000001"


def test_data_starting_away_from_a1_keeps_sheet_column_numbers():
    rows_in = [[], [], [None, None, *HEADER], [None, None, *people_rows(1)[0]]]
    roster, rows = read_all(xlsx_bytes(rows_in))
    assert roster.header_row == 3
    assert roster.columns["name"] == 2  # column C
    assert rows[0].row_number == 4
    assert rows[0].values == expected_values(1)


def test_a_two_row_header_with_a_group_title_merged_across_columns():
    # Row 2: 姓名 and 身份证号 merged down over rows 2–3, "党籍信息" merged across three columns;
    # row 3: the sub-headers under it.
    p = person(9)
    data = xlsx_bytes(
        [
            ["第一党支部党员花名册"],
            ["姓名", "身份证号", "党籍信息", None, None, "联系方式"],
            [None, None, "入党时间", "转正时间", "党员状态", "手机"],
            [
                p["name"],
                p["id_number"],
                p["admitted_on"],
                p["confirmed_on"],
                p["status"],
                p["phone"],
            ],
        ],
        merges=["A1:F1", "A2:A3", "B2:B3", "C2:E2"],
    )
    roster, rows = read_all(data)
    assert roster.header_row == 2 and roster.header_rows == 2 and roster.first_data_row == 4
    assert roster.columns == {
        "name": 0,
        "id_number": 1,
        "admitted_on": 2,
        "confirmed_on": 3,
        "status": 4,
        "phone": 5,
    }
    assert roster.unknown_columns == []
    assert [r.row_number for r in rows] == [4]
    assert rows[0].values["confirmed_on"] == p["confirmed_on"]


def test_a_two_row_header_whose_main_row_is_the_lower_one():
    # A group title row above the real header, with blanks where fields are merged down into it.
    p = person(10)
    data = xlsx_bytes(
        [
            ["基本信息", None, None, "组织信息", None],
            ["姓名", "身份证号", "性别", "所在支部", "入党日期"],
            [p["name"], p["id_number"], p["gender"], p["organization"], p["admitted_on"]],
        ],
        merges=["A1:C1", "D1:E1"],
    )
    roster, rows = read_all(data)
    assert roster.header_row == 2 and roster.header_rows == 1
    assert roster.columns == {
        "name": 0,
        "id_number": 1,
        "gender": 2,
        "organization": 3,
        "admitted_on": 4,
    }
    assert roster.unknown_columns == []
    assert rows[0].row_number == 3


def test_blank_rows_are_skipped_and_row_numbers_stay_those_of_the_sheet():
    data = xlsx_bytes(
        [HEADER, people_rows(1)[0], [], [None, "  ", "\u200b"], people_rows(1, start=2)[0]]
    )
    roster, rows = read_all(data)
    assert [r.row_number for r in rows] == [2, 5]


def test_a_row_with_only_unknown_columns_filled_counts_as_blank():
    data = xlsx_bytes(
        [["序号", *HEADER], [1, *people_rows(1)[0]], [2], [3, *people_rows(1, start=2)[0]]]
    )
    _, rows = read_all(data)
    assert [r.row_number for r in rows] == [2, 4]


@pytest.mark.parametrize(
    "footer",
    [
        ["合计", "3人"],
        ["合计：3人"],
        [None, "总计 3 人"],
        ["小计"],
        ["共计3人"],
        ["制表人：王五", None, None, "审核人：赵六"],
        ["填表日期：2026年11月25日"],
        ["审核：赵六"],
        ["备注：以上信息截至2026年11月"],
        ["注：转正时间为空的为预备党员"],
        ["　合 计"],
    ],
)
def test_summary_and_footer_rows_are_skipped(footer):
    data = xlsx_bytes([HEADER, *people_rows(3), footer])
    roster, rows = read_all(data)
    assert [r.row_number for r in rows] == [2, 3, 4]
    assert roster.skipped == [(5, "合计或表尾说明")]


def test_a_summary_row_in_the_middle_is_skipped_and_the_rows_after_it_are_kept():
    data = xlsx_bytes([HEADER, *people_rows(2), ["小计", "2人"], *people_rows(1, start=3)])
    _, rows = read_all(data)
    assert [r.row_number for r in rows] == [2, 3, 5]


def test_a_repeated_header_row_is_skipped():
    data = xlsx_bytes([HEADER, *people_rows(1), HEADER, *people_rows(1, start=2)])
    roster, rows = read_all(data)
    assert [r.row_number for r in rows] == [2, 4]
    assert roster.skipped == [(3, "重复的表头")]


def test_a_branch_name_merged_down_over_its_members_applies_to_each_row():
    rows_in = [HEADER, *people_rows(3)]
    rows_in[2][4] = rows_in[3][4] = None  # merged: only the top-left cell holds the value
    data = xlsx_bytes(rows_in, merges=["E2:E4"])
    _, rows = read_all(data)
    assert [r.values["organization"] for r in rows] == ["第一党支部"] * 3


def test_a_merged_cell_running_past_the_last_member_makes_no_extra_row():
    rows_in = [HEADER, *people_rows(2), [], []]
    rows_in[2][4] = None
    data = xlsx_bytes(rows_in, merges=["E2:E5"])
    _, rows = read_all(data)
    assert [r.row_number for r in rows] == [2, 3]


def test_a_repeated_header_with_decorations_is_skipped():
    data = xlsx_bytes(
        [HEADER, *people_rows(1), ["*姓名", "身份证号（18位）"], *people_rows(1, start=2)]
    )
    roster, rows = read_all(data)
    assert [r.row_number for r in rows] == [2, 4]


def test_an_id_number_typed_into_a_numeric_cell_comes_back_as_a_float():
    # The float has lost the last digits; the ID parser must see it to reject it.
    p = person(3)
    damaged = float(p["id_number"][:17] + "0")
    _, rows = read_all(
        xlsx_bytes([["姓名", "身份证号", "手机号"], [p["name"], damaged, 13812345678]])
    )
    assert isinstance(rows[0].values["id_number"], float)
    assert rows[0].values["id_number"] == damaged
    assert rows[0].values["phone"] in (13812345678, 13812345678.0)


def test_typed_date_cells_come_back_as_dates_that_parse_to_day_precision():
    _, rows = read_all(
        xlsx_bytes(
            [
                ["姓名", "身份证号", "入党时间", "转正时间"],
                ["张三", "110105199005030012", dt.datetime(2015, 7, 1), dt.date(2016, 7, 1)],
            ]
        )
    )
    admitted = parse_date(rows[0].values["admitted_on"], field_label="入党时间")
    confirmed = parse_date(rows[0].values["confirmed_on"], field_label="转正时间")
    assert str(admitted) == "2015-07-01" and str(confirmed) == "2016-07-01"


def test_cells_keep_their_raw_text_for_the_parsers_to_clean():
    _, rows = read_all(
        xlsx_bytes(
            [["姓名", "身份证号"], ["张　三\u200b", " １１０１０５１９９００５０３００１２ "]]
        )
    )
    assert rows[0].values == {
        "name": "张　三\u200b",
        "id_number": " １１０１０５１９９００５０３００１２ ",
    }


# --- several sheets -----------------------------------------------------------------------------


def test_the_first_sheet_with_a_recognised_header_is_used():
    data = xlsx_bytes(
        {
            "说明": [["本表由组织部下发"], ["请按要求填写"]],
            "党员名单": [HEADER, *people_rows(2)],
            "离退休": [HEADER, *people_rows(1, start=10)],
        }
    )
    roster, rows = read_all(data)
    assert roster.sheets == ["说明", "党员名单", "离退休"]
    assert roster.sheet_name == "党员名单"
    assert [r.values["name"] for r in rows] == [person(1)["name"], person(2)["name"]]


def test_a_sheet_can_be_chosen_by_name():
    data = xlsx_bytes(
        {"在职": [HEADER, *people_rows(2)], "离退休": [HEADER, *people_rows(1, start=10)]}
    )
    roster, rows = read_all(data, sheet="离退休")
    assert roster.sheet_name == "离退休"
    assert [r.values["name"] for r in rows] == [person(10)["name"]]
    roster, _ = read_all(data, sheet=" 离退休 ")
    assert roster.sheet_name == "离退休"


def test_asking_for_a_sheet_that_does_not_exist_lists_the_sheets():
    data = xlsx_bytes({"在职": [HEADER], "离退休": [HEADER]})
    with pytest.raises(RosterFileError) as caught:
        open_roster(data, "a.xlsx", sheet="退休")
    assert caught.value.message == "工作表「退休」不存在，可选：在职、离退休"
    assert caught.value.code == "no_sheet"


def test_a_chosen_sheet_without_a_header_says_so():
    data = xlsx_bytes({"在职": [HEADER], "说明": [["请按要求填写"]]})
    with pytest.raises(RosterFileError) as caught:
        open_roster(data, "a.xlsx", sheet="说明")
    assert caught.value.message == "未找到表头：表格中应有「姓名」和「身份证号」列"


def test_hidden_sheets_are_not_offered_but_are_used_when_nothing_else_fits():
    data = xlsx_bytes({"封面": [["花名册"]], "数据": [HEADER, *people_rows(1)]}, hidden=["数据"])
    roster, rows = read_all(data)
    assert roster.sheets == ["封面"]
    assert roster.sheet_name == "数据" and len(rows) == 1


def test_a_header_beyond_the_first_30_rows_is_not_searched_for():
    data = xlsx_bytes([*[[f"说明第{i}行"] for i in range(30)], HEADER, *people_rows(1)])
    with pytest.raises(RosterFileError) as caught:
        open_roster(data, "a.xlsx")
    assert caught.value.code == "no_header"


def test_content_only_below_the_searched_rows_is_not_an_empty_file():
    data = xlsx_bytes([*[[] for _ in range(40)], HEADER, *people_rows(1)])
    assert _error(data).code == "no_header"


def test_a_sheet_needs_both_name_and_id_columns():
    data = xlsx_bytes([["姓名", "手机号", "所在支部"], ["张三", "13800000001", "第一党支部"]])
    with pytest.raises(RosterFileError) as caught:
        open_roster(data, "a.xlsx")
    assert caught.value.message == "未找到表头：表格中应有「姓名」和「身份证号」列"


def test_a_header_without_data_gives_no_rows():
    roster, rows = read_all(xlsx_bytes([HEADER]))
    assert rows == [] and roster.row_count == 0


# --- iteration ----------------------------------------------------------------------------------


def test_iter_rows_is_lazy_and_can_start_again():
    with open_roster(xlsx_bytes([HEADER, *people_rows(3)]), "a.xlsx") as roster:
        rows = roster.iter_rows()
        assert isinstance(rows, types.GeneratorType)
        assert next(rows).row_number == 2
        assert [r.row_number for r in roster.iter_rows()] == [2, 3, 4]
        assert roster.row_count == 3


def test_csv_rows_come_out_before_the_rest_of_the_file_is_parsed(tmp_path):
    # A line the csv module cannot parse sits near the end: the rows before it are yielded
    # first, so nothing reads the whole file into a list up front.
    path = tmp_path / "big.csv"
    good = csv_bytes([HEADER, *people_rows(200)] + people_rows(200) * 20)
    path.write_bytes(good + ("李四," + '"' + "x" * 200_000 + '"\n').encode())
    with open_roster(path, "big.csv") as roster:
        assert roster.row_count >= 200 * 21
        rows = roster.iter_rows()
        assert next(rows).row_number == 2
        seen = 1
        with pytest.raises(RosterFileError) as caught:
            for _ in rows:
                seen += 1
        assert seen == 200 * 21
        assert caught.value.message.startswith(f"CSV 文件第 {200 * 21 + 2} 行无法解析")


def test_a_closed_roster_cannot_be_iterated():
    roster = open_roster(xlsx_bytes([HEADER, *people_rows(1)]), "a.xlsx")
    roster.close()
    roster.close()  # twice is harmless
    with pytest.raises(RosterFileError):
        list(roster.iter_rows())


def test_a_path_and_bytes_give_the_same_rows(tmp_path):
    data = xlsx_bytes([HEADER, *people_rows(2)])
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(data)
    _, from_bytes = read_all(data)
    _, from_path = read_all(path)
    _, from_str = read_all(str(path))
    assert from_bytes == from_path == from_str


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: xlsx_bytes([HEADER, *people_rows(2)]), "花名册.xlsx"),
        (lambda: xlsx_bytes([HEADER, *people_rows(2)]), "花名册.xls"),  # misnamed on disk
        (lambda: xls_bytes([HEADER, *people_rows(2)]), "花名册.xls"),
        (lambda: xls_bytes([HEADER, *people_rows(2)]), "花名册.xlsx"),
        (lambda: csv_bytes([HEADER, *people_rows(2)]), "花名册.xls"),
    ],
)
def test_a_file_on_disk_is_read_whatever_its_extension(tmp_path, make, name):
    path = tmp_path / name
    path.write_bytes(make())
    _, rows = read_all(path, name)
    assert [r.values["id_number"] for r in rows] == [person(1)["id_number"], person(2)["id_number"]]


def test_the_format_is_told_by_content_not_by_name():
    data = xlsx_bytes([HEADER, *people_rows(1)])
    roster, rows = read_all(data, "花名册.xls")
    assert roster.format == "xlsx" and len(rows) == 1
    roster, rows = read_all(csv_bytes([HEADER, *people_rows(1)]), "花名册.xlsx")
    assert roster.format == "csv" and len(rows) == 1


# --- xls ----------------------------------------------------------------------------------------


def test_an_xls_file_with_a_title_row_merged_header_and_summary_is_read():
    data = xls_bytes(
        [
            ["XX党支部党员花名册"],
            ["姓名", "身份证号", "党籍信息", None, "所在支部"],
            [None, None, "入党时间", "转正时间", None],
            *[[r[0], r[1], r[6], r[7], r[4]] for r in people_rows(2)],
            ["合计", "2人"],
        ],
        merges=[(0, 0, 0, 4), (1, 2, 0, 0), (1, 2, 1, 1), (1, 1, 2, 3), (1, 2, 4, 4)],
    )
    roster, rows = read_all(data, "花名册.xls")
    assert roster.format == "xls"
    assert roster.header_row == 2 and roster.first_data_row == 4
    assert set(roster.columns) == {
        "name",
        "id_number",
        "admitted_on",
        "confirmed_on",
        "organization",
    }
    assert [r.row_number for r in rows] == [4, 5]
    assert rows[1].values["confirmed_on"] == person(2)["confirmed_on"]
    assert roster.skipped == [(6, "合计或表尾说明")]


def test_an_xls_date_cell_and_numeric_id_keep_their_types():
    p = person(4)
    data = xls_bytes(
        [
            ["姓名", "身份证号", "入党时间"],
            [p["name"], float(p["id_number"][:15]), dt.date(2015, 7, 1)],
        ]
    )
    _, rows = read_all(data, "a.xls")
    assert isinstance(rows[0].values["id_number"], int | float)
    assert str(parse_date(rows[0].values["admitted_on"], field_label="入党时间")) == "2015-07-01"


def test_several_xls_sheets_with_the_header_on_the_second():
    data = xls_bytes({"封面": [["2026年党员花名册"]], "名单": [HEADER, *people_rows(2)]})
    roster, rows = read_all(data, "a.xls")
    assert roster.sheets == ["封面", "名单"] and roster.sheet_name == "名单"
    assert len(rows) == 2


# --- csv ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", False), ("utf-8", True), ("gbk", False), ("gb18030", False), ("utf-16", False)],
)
def test_csv_in_every_common_encoding_reads_the_same(encoding, bom):
    rows_in = [["XX党支部党员花名册"], HEADER, *people_rows(3)]
    rows_in[2][0] = "欧阳锋"  # a compound surname
    data = csv_bytes(rows_in, encoding=encoding, bom=bom)
    roster, rows = read_all(data, "花名册.csv")
    assert roster.format == "csv"
    assert roster.header_row == 2
    assert [r.row_number for r in rows] == [3, 4, 5]
    assert rows[0].values["name"] == "欧阳锋"
    assert [r.values["id_number"] for r in rows[1:]] == [
        person(2)["id_number"],
        person(3)["id_number"],
    ]


def test_gb18030_characters_outside_gbk_survive():
    data = csv_bytes([["姓名", "身份证号"], ["李𠀀", "110105199005030012"]], encoding="gb18030")
    _, rows = read_all(data, "a.csv")
    assert rows[0].values["name"] == "李𠀀"


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_csv_delimiters_are_sniffed(delimiter):
    roster, rows = read_all(csv_bytes([HEADER, *people_rows(2)], delimiter=delimiter), "a.csv")
    assert roster.delimiter == delimiter
    assert [r.values for r in rows] == [expected_values(1), expected_values(2)]


def test_csv_cells_stay_strings_so_long_numbers_are_exact():
    data = csv_bytes(
        [["姓名", "身份证号", "手机号"], ["张三", "110105199005030012", "13812345678"]]
    )
    _, rows = read_all(data, "a.csv")
    assert rows[0].values["id_number"] == "110105199005030012"
    assert rows[0].values["phone"] == "13812345678"


def test_csv_quoted_cells_with_line_breaks_count_as_one_row():
    data = csv_bytes(
        [HEADER, ["张三", "110105199005030012", "男", "", "第一\n党支部"], *people_rows(1)]
    )
    _, rows = read_all(data, "a.csv")
    assert [r.row_number for r in rows] == [2, 3]
    assert rows[0].values["organization"] == "第一\n党支部"


def test_csv_short_rows_fill_missing_fields_with_none():
    _, rows = read_all(csv_bytes([HEADER, ["张三", "110105199005030012"]]), "a.csv")
    assert rows[0].values["phone"] is None and rows[0].values["confirmed_on"] is None


def test_a_csv_with_an_unparseable_line_says_which_line():
    data = (
        "姓名,身份证号\n张三,110105199005030012\n" + "李四," + '"' + "x" * 200_000 + '"\n'
    ).encode()
    with open_roster(data, "a.csv") as roster, pytest.raises(RosterFileError) as caught:
        list(roster.iter_rows())
    assert caught.value.message.startswith("CSV 文件第 3 行无法解析")


def test_a_sheet_name_for_a_csv_file_is_an_error():
    with pytest.raises(RosterFileError, match="CSV 文件没有工作表「在职」"):
        open_roster(csv_bytes([HEADER]), "a.csv", sheet="在职")


# --- bad files ----------------------------------------------------------------------------------


def _error(data: bytes, filename: str = "花名册.xlsx", **kwargs) -> RosterFileError:
    with pytest.raises(RosterFileError) as caught:
        open_roster(data, filename, **kwargs)
    return caught.value


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_are_not_a_spreadsheet(seed):
    data = random.Random(seed).randbytes(4096)
    error = _error(data)
    assert error.message == "无法识别的文件格式，请上传 .xlsx、.xls 或 .csv 文件"


def test_random_bytes_without_nul_are_not_a_spreadsheet_either():
    rng = random.Random(42)
    data = bytes(rng.randrange(1, 256) for _ in range(300))
    assert _error(data, "a.csv").code == "unrecognized"


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        b"\x89PNG\r\n\x1a\n\x00\x00",
        b"\x1f\x8b\x08\x00\x00\x00",
    ],
)
def test_well_known_other_formats_are_not_a_spreadsheet(data):
    assert _error(data).code == "unrecognized"


@pytest.mark.parametrize("data", [b"", b"\n\n", b" , , \r\n,,\r\n", b"\xef\xbb\xbf"])
def test_an_empty_file_says_so(data):
    error = _error(data, "花名册.csv")
    assert error.message == "文件为空"
    assert error.code == "empty"


def test_a_workbook_with_only_empty_sheets_is_empty():
    assert _error(xlsx_bytes({"Sheet1": [], "Sheet2": []})).message == "文件为空"


def test_a_zip_that_is_not_a_workbook_is_not_a_spreadsheet():
    assert (
        _error(plain_zip_bytes()).message == "无法识别的文件格式，请上传 .xlsx、.xls 或 .csv 文件"
    )


def test_a_truncated_xlsx_is_reported_as_damaged():
    data = xlsx_bytes([HEADER, *people_rows(20)])
    error = _error(data[: len(data) // 2])
    assert error.code in ("unrecognized", "damaged")


def test_a_zip_bomb_is_rejected_from_its_directory():
    bomb = zip_bomb_bytes(20 * 1024 * 1024)  # 20 MB of spaces in about 20 KB
    error = _error(bomb)
    assert error.message == "文件解压后过大，疑似异常文件"
    assert error.code == "zip_bomb"


def test_a_workbook_larger_than_allowed_once_unpacked_is_rejected():
    data = xlsx_bytes([HEADER, *people_rows(50)])
    assert _error(data, max_uncompressed=10_000).code == "zip_bomb"
    roster, rows = read_all(data, max_uncompressed=10_000_000)
    assert len(rows) == 50


def test_a_file_over_the_size_limit_is_rejected_before_reading():
    data = xlsx_bytes([HEADER, *people_rows(5)])
    error = _error(data, max_bytes=1000)
    assert error.code == "too_large"
    assert error.message.startswith("文件过大（") and error.message.endswith("），上限为 1 KB")


def test_the_size_message_uses_megabytes(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("wb") as fh:
        fh.truncate(3 * 1024 * 1024 + 200 * 1024)  # a sparse file: no time spent writing
    error = _error(path, max_bytes=2 * 1024 * 1024)
    assert error.message == "文件过大（3.2 MB），上限为 2 MB"


def test_the_default_limit_is_50_mb(tmp_path):
    path = tmp_path / "huge.xlsx"
    with path.open("wb") as fh:
        fh.truncate(100 * 1024 * 1024)
    assert _error(path).message == "文件过大（100 MB），上限为 50 MB"


def test_a_password_protected_xlsx_is_recognised():
    error = _error(encrypted_xlsx_bytes())
    assert error.message == "文件已设置密码保护，请取消密码后再导入"
    assert error.code == "encrypted"


def test_a_password_protected_xls_is_recognised():
    assert (
        _error(encrypted_xls_bytes(), "a.xls").message == "文件已设置密码保护，请取消密码后再导入"
    )


def test_an_ole_file_that_is_not_a_workbook_is_not_a_spreadsheet():
    document = cfb_bytes({"WordDocument": b"\x00" * 100})
    assert _error(document, "a.doc").code == "unrecognized"


def test_a_sheet_whose_cells_span_the_whole_grid_is_rejected_before_loading():
    # Two cells, A1 and XFD1048576, would make the reader allocate 17 billion cells.
    error = _error(sparse_xlsx_bytes())
    assert error.code == "too_many_cells"
    assert error.message.startswith("表格范围过大（约 1048576 行 × 16384 列）")


def test_cells_without_a_reference_are_counted_towards_the_grid():
    cells = "".join(inline_cell(None, "x") for _ in range(40))
    data = raw_xlsx_bytes(
        f'<row r="1">{inline_cell("A1", "姓名")}{inline_cell("B1", "身份证号")}</row>'
        f'<row r="1000000">{cells}</row>'
    )
    assert _error(data).code == "too_many_cells"


def test_a_stray_cell_a_few_thousand_rows_down_is_fine():
    roster, rows = read_all(sparse_xlsx_bytes(far_ref="M5000"))
    assert rows == [] and roster.columns == {"name": 0, "id_number": 1}


def test_an_html_table_saved_as_xls_gets_its_own_message():
    html = "<html><body><table><tr><td>姓名</td><td>身份证号</td></tr></table></body></html>"
    error = _error(html.encode("utf-8"), "导出.xls")
    assert error.code == "html"
    assert "网页" in error.message


def test_a_text_file_without_a_roster_header_says_what_is_missing():
    error = _error("会议纪要\n今天讨论了三件事\n".encode(), "a.csv")
    assert error.message == "未找到表头：表格中应有「姓名」和「身份证号」列"


def test_text_that_is_no_table_is_said_to_be_no_spreadsheet():
    # Issue 18: a letter saved as .txt was told "未找到表头", as if it were a roster.
    letter = "关于报送党员信息的通知\n各支部：请于月底前报送。\n".encode()
    error = _error(letter, "通知.txt")
    assert error.code == "unrecognized"
    assert error.message.startswith("该文件不是电子表格")
    # A .csv without the columns is a roster missing its header: that message stays.
    assert _error("甲,乙\n1,2\n".encode(), "名单.csv").code == "no_header"
