"""Large .xlsx sheets are read by streaming their XML: the rows must be exactly calamine's.

A sheet spanning more than reader.STREAM_ROWS rows is parsed row by row instead of being loaded
whole by calamine (issue 3: 200,000 rows in under 300 MB). Here the threshold is lowered so that
small files take the streamed path, and each file is read both ways: header, columns, titles,
row count, skipped rows and every value with its type must come out the same. Files are made
here (openpyxl, xlsxwriter, or XML written by hand for what no library writes); people are
synthetic (regulations.synth).
"""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from collections.abc import Sequence
from dataclasses import asdict
from xml.sax.saxutils import escape, quoteattr

import openpyxl
import pytest
import xlsxwriter

from dangjian.audit.services import Actor
from dangjian.crypto import default_keyring
from dangjian.members.models import Member
from dangjian.members.roster import reader
from dangjian.members.roster.importer import run_import, write_errors
from dangjian.members.roster.layout import TEMPLATE_COLUMNS
from dangjian.members.roster.reader import RosterFileError, open_roster
from dangjian.regulations.synth import make_id_number, make_name, make_phone
from tests.conftest import TODAY

from .fixtures import HEADER, people_rows, person, sparse_xlsx_bytes, xlsx_bytes

ALWAYS = 0  # every sheet has more rows than this: all are streamed
NEVER = 10**9


# --- reading a file both ways --------------------------------------------------------------------


def typed(values: dict[str, object]) -> dict[str, tuple[str, object]]:
    # 1 == 1.0 == True and a date is not a datetime: compare the types too.
    return {field: (type(value).__name__, value) for field, value in values.items()}


def read(data, monkeypatch, threshold: int, **kwargs) -> dict:
    """Everything a roster tells, its rows read twice (the importer reads them twice)."""
    monkeypatch.setattr(reader, "STREAM_ROWS", threshold)
    with open_roster(data, "花名册.xlsx", **kwargs) as roster:
        first = [(r.row_number, typed(r.values)) for r in roster.iter_rows()]
        skipped = list(roster.skipped)
        again = [(r.row_number, typed(r.values)) for r in roster.iter_rows()]
        assert (again, roster.skipped) == (first, skipped)
        return {
            "streamed": roster.streamed,
            "sheets": roster.sheets,
            "sheet_name": roster.sheet_name,
            "header_row": roster.header_row,
            "header_rows": roster.header_rows,
            "first_data_row": roster.first_data_row,
            "columns": roster.columns,
            "titles": roster.titles,
            "unknown_columns": roster.unknown_columns,
            "duplicate_columns": roster.duplicate_columns,
            "row_count": roster.row_count,
            "rows": first,
            "skipped": skipped,
        }


def read_both_ways(data, monkeypatch, **kwargs) -> dict:
    """The streamed reading, checked against calamine's."""
    streamed = read(data, monkeypatch, ALWAYS, **kwargs)
    loaded = read(data, monkeypatch, NEVER, **kwargs)
    assert streamed.pop("streamed") is True
    assert loaded.pop("streamed") is False
    assert streamed == loaded
    return streamed


def error_both_ways(data, monkeypatch, **kwargs) -> RosterFileError:
    errors = []
    for threshold in (ALWAYS, NEVER):
        monkeypatch.setattr(reader, "STREAM_ROWS", threshold)
        with (
            pytest.raises(RosterFileError) as caught,
            open_roster(data, "花名册.xlsx", **kwargs) as r,
        ):
            list(r.iter_rows())
        errors.append((caught.value.code, caught.value.message))
    assert errors[0] == errors[1]
    return caught.value


def values(result: dict, field: str) -> list[object]:
    return [row[field][1] for _number, row in result["rows"]]


# --- hand-written workbooks ----------------------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PKG = "http://schemas.openxmlformats.org/package/2006"
DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def workbook_bytes(
    sheet_data: str,
    *,
    strings: Sequence[str] = (),
    formats: dict[int, str] | None = None,
    styles: Sequence[int] = (),
    date1904: bool = False,
    after_data: str = "",
    prolog: str = "",
) -> bytes:
    """An .xlsx around one worksheet's <sheetData> content, with shared strings (<si> inner XML)
    and cell styles: style i + 1 shows number format `styles[i]`; `formats` defines custom ones.
    """
    formats = formats or {}
    number_formats = "".join(
        f"<numFmt numFmtId={quoteattr(str(i))} formatCode={quoteattr(code)}/>"
        for i, code in formats.items()
    )
    xfs = "".join(f'<xf numFmtId="{i}" applyNumberFormat="1"/>' for i in styles)
    parts = {
        "[Content_Types].xml": (
            f'<Types xmlns="{PKG}/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{PKG}/relationships">'
            f'<Relationship Id="rId1" Type="{DOC}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{DOC}">'
            + ('<workbookPr date1904="1"/>' if date1904 else "")
            + '<sheets><sheet name="花名册" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PKG}/relationships">'
            f'<Relationship Id="rId1" Type="{DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{DOC}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{DOC}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": (
            f'<styleSheet xmlns="{MAIN}"><numFmts>{number_formats}</numFmts>'
            f'<cellXfs><xf numFmtId="0"/>{xfs}</cellXfs></styleSheet>'
        ),
        "xl/sharedStrings.xml": (
            f'<sst xmlns="{MAIN}">' + "".join(f"<si>{s}</si>" for s in strings) + "</sst>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'{prolog}<worksheet xmlns="{MAIN}"><sheetData>{sheet_data}</sheetData>'
            f"{after_data}</worksheet>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            declaration = "" if text.startswith("<?xml") or prolog else "<?xml version='1.0'?>"
            zf.writestr(name, declaration + text)
    return buffer.getvalue()


def column_letter(column: int) -> str:
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def text_cell(ref: str, text: str) -> str:
    space = ' xml:space="preserve"' if text != text.strip() else ""  # as Excel writes it
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


def sheet_rows(rows: list[list[str]], start: int = 1) -> str:
    """<row> elements for rows of raw cell XML (or plain text, written as inline strings)."""
    out = []
    for number, cells in enumerate(rows, start=start):
        xml = "".join(
            cell.replace("{ref}", f"{column_letter(c)}{number}")
            if cell.startswith("<")
            else text_cell(f"{column_letter(c)}{number}", cell)
            for c, cell in enumerate(cells)
            if cell != ""
        )
        out.append(f'<row r="{number}">{xml}</row>')
    return "".join(out)


def synthetic_id(seed: int) -> str:
    rng = random.Random(f"streaming-{seed}")
    return make_id_number(rng, dt.date(1975 + seed % 20, 1 + seed % 12, 1 + seed % 28), "male")


# --- when a sheet is streamed ---------------------------------------------------------------------


def test_a_sheet_spanning_more_rows_than_the_threshold_is_streamed_and_a_smaller_one_is_not(
    monkeypatch,
):
    small = xlsx_bytes([HEADER, *people_rows(2)])  # 3 rows
    large = xlsx_bytes([HEADER, *people_rows(3)])  # 4 rows
    assert read(small, monkeypatch, 3)["streamed"] is False
    result = read(large, monkeypatch, 3)
    assert result["streamed"] is True
    assert [number for number, _ in result["rows"]] == [2, 3, 4]
    assert values(result, "id_number") == [person(seed)["id_number"] for seed in (1, 2, 3)]
    assert read(large, monkeypatch, 4)["streamed"] is False


def test_the_default_threshold_streams_sheets_of_over_100000_rows():
    assert reader.STREAM_ROWS == 100_000


# --- the rows are the same ------------------------------------------------------------------------


def test_a_messy_roster_reads_the_same_streamed(monkeypatch):
    # A title row, a two-row header (姓名/身份证号 merged down, 党籍信息 across three columns),
    # a 序号 column, an unknown 备注 column, a branch merged down over its members, an ID typed
    # as a number, dates as cells and as text, blank rows, a repeated header and a summary.
    people = [person(seed) for seed in range(1, 7)]
    damaged_id = float(people[1]["id_number"][:17] + "0")
    rows = [
        ["第一党支部党员花名册（2026年）"],
        ["序号", "姓名", "身份证号", "党籍信息", None, None, "所在支部", "备注", "联系方式"],
        [None, None, None, "入党时间", "转正时间", "党员状态", None, None, "手机"],
        [1, people[0]["name"], people[0]["id_number"], dt.date(1998, 7, 1), "1999/7/1",
         "正式党员", "第一党支部", None, people[0]["phone"]],
        [2, people[1]["name"], damaged_id, dt.datetime(2001, 6, 30, 9, 30), "2002年7月",
         "正式党员", None, "调入", int(people[1]["phone"])],
        [None, None, None, None, None, None, None, None, None],
        [3, people[2]["name"], people[2]["id_number"], "19950503", 36000, "预备党员", None],
        ["", "  ", "\u200b"],
        ["序号", "*姓名", "身份证号（18位）"],
        [4, people[3]["name"], people[3]["id_number"], "1990.5", None, "正式党员", "第二党支部"],
        [5, people[4]["name"] + " ", " " + people[4]["id_number"], "1990年5月3日"],
        ["合计", "5人"],
        ["制表人：王五", None, None, None, None, None, None, "审核人：赵六"],
    ]  # fmt: skip
    data = xlsx_bytes(rows, merges=["A1:I1", "A2:A3", "B2:B3", "C2:C3", "D2:F2", "G4:G7"])

    result = read_both_ways(data, monkeypatch)

    assert (result["header_row"], result["header_rows"], result["first_data_row"]) == (2, 2, 4)
    assert result["unknown_columns"] == ["备注"]
    assert [number for number, _ in result["rows"]] == [4, 5, 7, 10, 11]
    assert result["skipped"] == [(9, "重复的表头"), (12, "合计或表尾说明")]  # 13: no field filled
    assert result["row_count"] == 10
    assert values(result, "organization")[:3] == ["第一党支部"] * 3  # the merge, filled down
    id_numbers = values(result, "id_number")
    assert isinstance(id_numbers[1], float) and id_numbers[1] == damaged_id
    assert values(result, "admitted_on")[:2] == [
        dt.date(1998, 7, 1),
        dt.datetime(2001, 6, 30, 9, 30),
    ]


def test_several_sheets_are_chosen_the_same_way_when_streamed(monkeypatch):
    book = {
        "填表说明": [["填表说明：每人一行"], ["姓名写全名"]],
        "花名册": [HEADER, *people_rows(2)],
        "离退休": [HEADER, *people_rows(1, start=5)],
        "旧表": [HEADER, *people_rows(1, start=9)],
    }
    data = xlsx_bytes(book, hidden=["旧表"])

    first = read_both_ways(data, monkeypatch)
    assert (first["sheet_name"], first["sheets"]) == ("花名册", ["填表说明", "花名册", "离退休"])
    chosen = read_both_ways(data, monkeypatch, sheet="离退休")
    assert values(chosen, "name") == [person(5)["name"]]
    hidden = read_both_ways(data, monkeypatch, sheet="旧表")
    assert values(hidden, "name") == [person(9)["name"]]
    only_notes = xlsx_bytes({"填表说明": [["填表说明"]], "旧表": [HEADER, *people_rows(1)]})
    assert read_both_ways(only_notes, monkeypatch)["sheet_name"] == "旧表"


def test_numbers_in_date_and_duration_formats_read_the_same_streamed(monkeypatch):
    # Excel stores dates as numbers and tells them by the cell's number format: custom ones,
    # built-in ones (14, 22, the Chinese 31, 57 and 58, the duration 46), and plain numbers.
    # Serial 60 is Excel's phantom 1900-02-29; fractions carry a time to the millisecond.
    formats = {
        176: "yyyy-mm-dd",
        177: 'yyyy"年"m"月"d"日"',
        178: "[$-F800]dddd, mmmm dd, yyyy",
        179: "[h]:mm:ss",
        180: "0.00",
        181: "@",
        182: 'yyyy"年"m"月"',
        183: 'm"M"d"D";@',
        184: '"No. "0',
        185: "[Red]#,##0.00_);(#,##0.00)",
        186: "h:mm AM/PM",
        187: "#,##0*y",
    }
    styles = [*formats, 14, 22, 31, 57, 58, 46, 49, 0]
    serials = [
        "32996", "32996.5", "1", "59", "60", "61", "0.25", "0", "-1", "0.9999999", "45000.000001",
        "45000.9999999999", "2958465", "2958466", "1e5", "44197.123456789", "12.5",
    ]  # fmt: skip
    rows = [["姓名", "身份证号", "入党时间"]]
    for style in range(len(styles) + 2):  # and a style that does not exist
        for n, serial in enumerate(serials):
            rows.append(
                [
                    f"甲{style}-{n}",
                    synthetic_id(n),
                    f'<c r="{{ref}}" s="{style}"><v>{serial}</v></c>',
                ]
            )
    for date1904 in (False, True):
        data = workbook_bytes(sheet_rows(rows), formats=formats, styles=styles, date1904=date1904)
        result = read_both_ways(data, monkeypatch)
        admitted = values(result, "admitted_on")
        by_style = {s: admitted[s * len(serials) : (s + 1) * len(serials)] for s in (0, 1, 2)}
        assert by_style[0][0] == 32996.0  # no style: a number
        if not date1904:
            assert by_style[1][:6] == [
                dt.date(1990, 5, 3),
                dt.datetime(1990, 5, 3, 12, 0),
                dt.date(1900, 1, 1),
                dt.date(1900, 2, 28),
                dt.date(1900, 2, 28),
                dt.date(1900, 3, 1),
            ]
        else:
            assert by_style[1][0] == dt.date(1994, 5, 4)


def test_dates_typed_as_text_or_as_iso_cells_read_the_same_streamed(monkeypatch):
    texts = [
        "1990-05-03", "1990/5/3", "1990.05.03", "1990.5", "1990年5月3日", "19900503", "1990年5月",
        " 1990-05-03 ", "1990-5-3",
    ]  # fmt: skip
    iso = [
        "1990-05-03", "1990-05-03T08:30:00", "1990-05-03T08:30:00.25", "08:30", "1990-5-3",
        "1990-02-30", "1990-05-03 08:30:00", "1990-05-03T08:30", "+1990-05-03", "not a date",
    ]  # fmt: skip
    rows = [["姓名", "身份证号", "入党时间"]]
    rows += [[f"乙{n}", synthetic_id(n), text] for n, text in enumerate(texts)]
    rows += [
        [f"丙{n}", synthetic_id(n), f'<c r="{{ref}}" t="d"><v>{text}</v></c>']
        for n, text in enumerate(iso)
    ]
    result = read_both_ways(workbook_bytes(sheet_rows(rows)), monkeypatch)
    admitted = values(result, "admitted_on")
    assert admitted[: len(texts)] == texts  # text stays text, for the date parser
    assert admitted[len(texts) : len(texts) + 3] == [
        dt.date(1990, 5, 3),
        dt.datetime(1990, 5, 3, 8, 30),
        dt.datetime(1990, 5, 3, 8, 30, 0, 250000),
    ]
    assert admitted[-1] == "not a date"


def test_shared_strings_rich_text_and_every_cell_type_read_the_same_streamed(monkeypatch):
    strings = [
        "<t>姓名</t>",
        "<t>身份证号</t>",
        "<t>手机号</t>",
        "<t>所在支部</t>",
        "<r><t>张</t></r><r><rPr><b/></rPr><t>三</t></r>",  # rich text: runs joined
        '<t>李四</t><rPh sb="0" eb="2"><t>リシ</t></rPh><phoneticPr fontId="1"/>',  # no guide
        "<t> 王五 </t>",  # trimmed: no xml:space
        '<t xml:space="preserve"> 赵六 </t>',  # kept
        "<t>第一_x000D_党支部</t>",  # an escaped carriage return
        "<t>a_x005F_x000D_b</t>",  # an escaped underscore: the rest stays as written
        "<t>&amp;&lt;&#x4E2D;<![CDATA[<x>]]></t>",
        "",  # <si/>
        "<t/>",
        "<t>孙七</t><t>八</t>",
        "<t>\u3000周九\u00a0</t>",  # full-width and no-break spaces are not XML whitespace
    ]
    ids = [synthetic_id(n) for n in range(12)]

    def s(index: int) -> str:
        return f'<c r="{{ref}}" t="s"><v>{index}</v></c>'

    def v(value: str, kind: str = "") -> str:
        attr = f' t="{kind}"' if kind else ""
        return f'<c r="{{ref}}"{attr}><v>{value}</v></c>'

    rows = [
        [s(0), s(1), s(2), s(3)],
        [s(4), ids[0], v("13812345678"), s(8)],
        [s(5), ids[1], v("13812345678", "n"), s(9)],
        [s(6), ids[2], v("1", "b"), s(10)],
        [s(7), ids[3], v("#N/A", "e"), s(11)],
        [s(13), ids[4], v(" 138 ", "str"), s(12)],
        [s(14), v(ids[5][:-1] + "0"), v("1.38E+10"), v("abc")],  # no type: text if not a number
        [v("钱十", "str"), v(f"{ids[6]}_x000D_", "str"), v("0", "b"), '<c r="{ref}"><f>A1</f></c>'],
        ['<c r="{ref}" t="inlineStr"><is><r><t>吴</t></r><r><t>十一</t></r></is></c>', ids[7],
         '<c r="{ref}" t="inlineStr"><v>ignored</v></c>', '<c r="{ref}" s="1"/>'],
    ]  # fmt: skip
    # A row of formatted but empty cells after the data: not a row, nor part of the row count.
    tail = '<row r="20"><c r="A20" s="1"/><c r="B20" s="1"/></row>'
    data = workbook_bytes(sheet_rows(rows) + tail, strings=strings, styles=[0])

    result = read_both_ways(data, monkeypatch)

    assert values(result, "name")[:5] == ["张三", "李四", "王五", " 赵六 ", "孙七八"]
    assert values(result, "organization")[:3] == ["第一\r党支部", "a_x000D_b", "&<中<x>"]
    assert values(result, "phone")[:2] == [13812345678.0, 13812345678.0]
    assert result["row_count"] == 8


def test_data_away_from_a1_keeps_its_sheet_columns_when_streamed(monkeypatch):
    rows = [["", "", "", ""], ["", "", "", ""]]
    rows += [["", "", *r] for r in [HEADER, *people_rows(2)]]
    rows.append(["", "", "", "", "", "", "", "", "", "", "备注：无"])
    result = read_both_ways(xlsx_bytes(rows), monkeypatch)
    assert result["columns"]["name"] == 2 and result["header_row"] == 3
    assert [number for number, _ in result["rows"]] == [4, 5]


def test_files_written_by_xlsxwriter_read_the_same_streamed(monkeypatch):
    # The benchmark's writer: inline strings in constant-memory mode, shared strings otherwise.
    for constant_memory in (True, False):
        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {"constant_memory": constant_memory})
        sheet = book.add_worksheet("花名册")
        date_format = book.add_format({"num_format": "yyyy-mm-dd"})
        sheet.write_row(0, 0, HEADER)
        for r, row in enumerate(people_rows(5), start=1):
            for c, value in enumerate(row):
                if c == 6:
                    sheet.write_datetime(r, c, dt.datetime.fromisoformat(value), date_format)
                else:
                    sheet.write_string(r, c, value)
        sheet.write_number(6, 1, 110105199005030000)
        sheet.write_string(6, 0, "郑十二")
        book.close()
        result = read_both_ways(buffer.getvalue(), monkeypatch)
        assert len(result["rows"]) == 6
        assert values(result, "admitted_on")[0] == dt.date.fromisoformat(person(1)["admitted_on"])


def test_a_file_on_disk_is_streamed_afresh_for_each_pass(monkeypatch, tmp_path):
    data = xlsx_bytes([HEADER, *people_rows(3)])
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(data)
    assert read(path, monkeypatch, ALWAYS) == read(data, monkeypatch, ALWAYS)


def test_rows_read_by_streaming_do_not_stay_in_memory_until_the_sheet_ends(monkeypatch):
    # openpyxl's parser leaves each read <row> in the tree, emptied: about 90 bytes a row for
    # the whole sheet (18 MB at 200,000 rows, in the import and in its helper each).
    import gc
    from xml.etree import ElementTree

    row_tag = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}row"

    def rows_in_memory() -> int:
        return sum(
            1
            for o in gc.get_objects()
            # type(), not isinstance(): a lazy object in the heap would evaluate itself
            if type(o) is ElementTree.Element and o.tag == row_tag
        )

    monkeypatch.setattr(reader, "STREAM_ROWS", ALWAYS)
    with open_roster(xlsx_bytes([HEADER, *people_rows(300)]), "花名册.xlsx") as roster:
        assert roster.streamed
        held = []
        for number, _row in enumerate(roster.iter_rows(), start=1):
            if number in (10, 290):
                held.append(rows_in_memory())
    assert held[1] <= held[0] + 2, held


# --- files that cannot be used --------------------------------------------------------------------


def test_a_sheet_of_formatted_empty_cells_is_empty_and_one_without_a_header_says_so(monkeypatch):
    empty = workbook_bytes('<row r="1"><c r="A1" s="1"/></row><row r="2"><c r="B2" s="1"/></row>',
                           styles=[14])  # fmt: skip
    assert error_both_ways(empty, monkeypatch).code == "empty"
    no_header = xlsx_bytes([["花名册"], ["张三", "110105199005030012"]])
    assert error_both_ways(no_header, monkeypatch).code == "no_header"


def test_a_sheet_spanning_the_whole_grid_is_rejected_before_streaming(monkeypatch):
    assert error_both_ways(sparse_xlsx_bytes(), monkeypatch).code == "too_many_cells"


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="A5" t="x"><v>1</v></c>',  # an unknown cell type
        '<c r="A5" t="s"><v>99</v></c>',  # a shared string that does not exist
        '<c r="A5" t="e"><v>#BOGUS!</v></c>',  # an unknown error value
        '<c r="A5" t="n"><v>twelve</v></c>',  # a number that is not one
        '<c r="A5"><extLst/></c>',  # an element a cell cannot hold
    ],
)
def test_a_damaged_cell_is_reported_as_damaged_either_way(monkeypatch, cell):
    data = workbook_bytes(sheet_rows([HEADER[:2], [person(1)["name"], person(1)["id_number"]]])
                          + f'<row r="5">{cell}</row>')  # fmt: skip
    error = error_both_ways(data, monkeypatch)
    assert (error.code, error.message) == ("damaged", reader.MSG_DAMAGED)


@pytest.mark.parametrize("row", [5, 40])  # among the rows searched for the header, or below
@pytest.mark.parametrize(
    ("number_format", "value"),
    [("yyyy-mm-dd", "-1e12"), ("yyyy-mm-dd", "-inf"), ("[h]:mm", "1e10"), ("[h]:mm", "-1e17")],
)
def test_a_date_or_duration_far_out_of_range_is_reported_as_damaged_either_way(
    monkeypatch, row, number_format, value
):
    # calamine panics on these (a BaseException the import jobs would not catch) or Python
    # overflows: both ways the file is refused with the usual message.
    cells = sheet_rows([HEADER[:2], [person(1)["name"], person(1)["id_number"]]])
    cell = f'<c r="A{row}" s="1"><v>{value}</v></c>'
    data = workbook_bytes(cells + f'<row r="{row}">{cell}</row>', formats={176: number_format},
                          styles=[176])  # fmt: skip
    error = error_both_ways(data, monkeypatch)
    assert (error.code, error.message) == ("damaged", reader.MSG_DAMAGED)


def test_streamed_rows_come_out_before_a_damaged_end_of_the_sheet_is_read(monkeypatch):
    # calamine refuses the whole file when it opens it; the streamed reading has given the rows
    # before the damage by then (below the 30 rows searched for the header), and the importer
    # rolls back on the error.
    rows = sheet_rows([HEADER[:2], *([p[0], p[1]] for p in people_rows(3))])
    data = workbook_bytes(rows + '<row r="40"><c r="A40" t="x"><v>1</v></c></row>')
    monkeypatch.setattr(reader, "STREAM_ROWS", ALWAYS)
    with open_roster(data, "花名册.xlsx") as roster:
        rows_seen = roster.iter_rows()
        assert [next(rows_seen).row_number for _ in range(3)] == [2, 3, 4]
        with pytest.raises(RosterFileError) as caught:
            next(rows_seen)
    assert caught.value.code == "damaged"


def test_a_sheet_declaring_a_dtd_is_refused_unread(monkeypatch):
    # Entity definitions could expand without bound; no spreadsheet program writes a DTD.
    prolog = '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>'
    data = workbook_bytes(sheet_rows([HEADER[:2], ["&a;", "110105199005030012"]]), prolog=prolog)
    monkeypatch.setattr(reader, "STREAM_ROWS", ALWAYS)
    with pytest.raises(RosterFileError) as caught:
        open_roster(data, "花名册.xlsx")
    assert caught.value.code == "damaged"


# --- the importer on a streamed file ----------------------------------------------------------------


def new_cells(seed: int, **cells: object) -> dict[str, object]:
    rng = random.Random(f"streamed-import-{seed}")
    birth = dt.date(1970 + seed % 20, 1 + seed % 12, 1 + seed % 27)
    keyring = default_keyring()
    while True:
        id_number = make_id_number(rng, birth, "male")
        if not Member.objects.filter(id_number_index=keyring.blind_index(id_number)).exists():
            break
    values: dict[str, object] = {
        "name": make_name(rng, "male"),
        "id_number": id_number,
        "gender": "男",
        "phone": make_phone(rng),
        "organization": "FGW-B01",
        "status": "正式党员",
        "category": "在职",
        "admitted_on": f"{birth.year + 25}-07-01",
        "confirmed_on": f"{birth.year + 26}-07-03",
    }
    values.update(cells)
    return values


@pytest.mark.django_db
def test_an_import_of_a_streamed_file_reports_and_writes_its_error_file_as_calamines(
    demo, monkeypatch
):
    people = [
        new_cells(1),
        new_cells(2, admitted_on=dt.date(1999, 7, 1), confirmed_on=dt.datetime(2000, 7, 3)),
        new_cells(3, id_number=float(new_cells(3)["id_number"][:17] + "0")),  # digits lost
        new_cells(4, organization="NOPE-B99"),
        new_cells(5, admitted_on="2001年7月", confirmed_on="2002-07-05"),  # month precision
        new_cells(6, admitted_on="2030-01-01"),
    ]
    fields = [c.field for c in TEMPLATE_COLUMNS]
    headers = [c.header for c in TEMPLATE_COLUMNS]
    data = xlsx_bytes(
        [["机关党员花名册"], headers, *([p.get(f, "") for f in fields] for p in people), ["合计"]],
        merges=[f"A1:{column_letter(len(headers) - 1)}1"],
    )
    actor = Actor(demo.users["secretary"], "127.0.0.1")
    outcomes = []
    for threshold in (ALWAYS, NEVER):
        monkeypatch.setattr(reader, "STREAM_ROWS", threshold)
        report = run_import(actor, data, "花名册.xlsx", demo.branch, dry_run=True, today=TODAY)
        out = io.BytesIO()
        written = write_errors(data, "花名册.xlsx", report, out)
        sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
        outcomes.append((asdict(report), written, list(sheet.iter_rows(values_only=True))))
    assert outcomes[0] == outcomes[1]
    report, written, error_rows = outcomes[0]
    assert (report["created"], report["rejected"], report["header_row"]) == (3, 3, 2)
    assert [e["row"] for e in report["errors"]] == [5, 6, 8]
    assert written == 3 and len(error_rows) == 4  # the header and the three rejected rows
    assert error_rows[1][1] == "1.101051973040459E+17"  # the damaged ID, as the file held it
