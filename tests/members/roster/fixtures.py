"""Roster files made on the fly: .xlsx (openpyxl, xlsxwriter), .xls (xlwt), .csv, and bad files.

Nothing binary is committed; every test builds the file it reads. People and numbers are
synthetic (dangjian.regulations.synth).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import struct
import zipfile
from collections.abc import Iterable, Sequence

import openpyxl

from dangjian.regulations.synth import make_id_number, make_name, make_phone

Row = Sequence[object]

HEADER = ["姓名", "身份证号", "性别", "手机号", "所在支部", "党员状态", "入党时间", "转正时间"]


def person(seed: int, *, gender: str = "female") -> dict[str, str]:
    """A synthetic member as the cells a secretary would type."""
    rng = random.Random(seed)
    birth = dt.date(1970 + seed % 30, 1 + seed % 12, 1 + seed % 28)
    return {
        "name": make_name(rng, gender),
        "id_number": make_id_number(rng, birth, gender),
        "gender": "女" if gender == "female" else "男",
        "phone": make_phone(rng),
        "organization": "第一党支部",
        "status": "正式党员",
        "admitted_on": f"{birth.year + 25}-07-01",
        "confirmed_on": f"{birth.year + 26}-07-01",
    }


def people_rows(count: int, *, start: int = 1) -> list[list[object]]:
    """Rows in HEADER order for `count` synthetic people."""
    fields = [
        "name",
        "id_number",
        "gender",
        "phone",
        "organization",
        "status",
        "admitted_on",
        "confirmed_on",
    ]
    return [[person(seed)[f] for f in fields] for seed in range(start, start + count)]


# --- xlsx ---------------------------------------------------------------------------------------


def xlsx_bytes(
    sheets: dict[str, Sequence[Row]] | Sequence[Row],
    *,
    merges: dict[str, Iterable[str]] | Iterable[str] = (),
    hidden: Iterable[str] = (),
) -> bytes:
    """An .xlsx written by openpyxl; cell values keep their Python type (numbers stay numbers).

    `merges` are ranges like "A1:H1" (for the first sheet, or by sheet name); a merged range
    keeps only its top-left value, as Excel does.
    """
    if not isinstance(sheets, dict):
        sheets = {"Sheet1": sheets}
    if not isinstance(merges, dict):
        merges = {next(iter(sheets)): list(merges)}
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None and value != "":
                    sheet.cell(row=r, column=c, value=value)
        for cell_range in merges.get(name, ()):
            sheet.merge_cells(cell_range)
        if name in set(hidden):
            sheet.sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def raw_xlsx_bytes(sheet_xml: str, *, sheet_name: str = "Sheet1") -> bytes:
    """A hand-made .xlsx around one worksheet's XML (for cell layouts no library writes)."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel_ns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    pkg = "http://schemas.openxmlformats.org/package/2006"
    doc = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            f'<Types xmlns="{pkg}/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{pkg}/relationships">'
            f'<Relationship Id="rId1" Type="{doc}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f"<workbook {ns} {rel_ns}><sheets>"
            f'<sheet name="{sheet_name}" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{pkg}/relationships">'
            f'<Relationship Id="rId1" Type="{doc}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": f"<worksheet {ns}><sheetData>{sheet_xml}</sheetData></worksheet>",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + text)
    return buffer.getvalue()


def inline_cell(ref: str | None, text: str) -> str:
    attr = f' r="{ref}"' if ref else ""
    return f'<c{attr} t="inlineStr"><is><t>{text}</t></is></c>'


def sparse_xlsx_bytes(*, far_ref: str = "XFD1048576") -> bytes:
    """A tiny .xlsx with a header at A1 and one cell far away: calamine's grid spans both."""
    row = int("".join(ch for ch in far_ref if ch.isdigit()))
    return raw_xlsx_bytes(
        f'<row r="1">{inline_cell("A1", "姓名")}{inline_cell("B1", "身份证号")}</row>'
        f'<row r="{row}">{inline_cell(far_ref, "x")}</row>'
    )


def zip_bomb_bytes(member_size: int, *, chunk: int = 1024 * 1024) -> bytes:
    """An .xlsx-shaped zip whose sheet inflates to `member_size` bytes of one repeated byte."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b" " * chunk
            for _ in range(member_size // chunk):
                member.write(block)
    return buffer.getvalue()


def plain_zip_bytes() -> bytes:
    """A zip that is not a workbook (a .docx-like package)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<document>姓名 身份证号</document>")
    return buffer.getvalue()


# --- xls (BIFF8 in an OLE2 compound file) --------------------------------------------------------


def xls_bytes(
    sheets: dict[str, Sequence[Row]] | Sequence[Row],
    *,
    merges: Iterable[tuple[int, int, int, int]] = (),
) -> bytes:
    """A genuine Excel 97–2003 .xls written by xlwt; merges are (row0, row1, col0, col1), 0-based."""
    import xlwt

    if not isinstance(sheets, dict):
        sheets = {"Sheet1": sheets}
    book = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    merged = list(merges)
    for index, (name, rows) in enumerate(sheets.items()):
        sheet = book.add_sheet(name)
        covered = set()
        if index == 0:
            for r0, r1, c0, c1 in merged:
                value = rows[r0][c0]
                sheet.write_merge(r0, r1, c0, c1, value)
                covered |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None or value == "" or (r, c) in covered:
                    continue
                if isinstance(value, dt.date):
                    sheet.write(r, c, value, date_style)
                else:
                    sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def encrypted_xls_bytes() -> bytes:
    """An .xls whose workbook stream declares RC4 encryption (a FILEPASS record after BOF)."""
    import xlwt
    from xlwt.CompoundDoc import XlsDoc

    book = xlwt.Workbook(encoding="utf-8")
    book.add_sheet("Sheet1").write(0, 0, "姓名")
    biff = book.get_biff_data()
    record_type, length = struct.unpack_from("<HH", biff, 0)
    assert record_type == 0x0809  # BOF
    bof_end = 4 + length
    rc4_header = struct.pack("<HHH", 1, 1, 1) + bytes(48)  # RC4, version 1.1, salt/verifier
    filepass = struct.pack("<HH", 0x002F, len(rc4_header)) + rc4_header
    buffer = io.BytesIO()
    XlsDoc().save(buffer, biff[:bof_end] + filepass + biff[bof_end:])
    return buffer.getvalue()


_ENDOFCHAIN = 0xFFFFFFFE
_FREESECT = 0xFFFFFFFF
_FATSECT = 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF


def cfb_bytes(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE2 compound file (MS-CFB version 3) holding the given streams.

    Enough to stand for what Office writes around a password-protected .xlsx: a CFB with
    "EncryptionInfo" and "EncryptedPackage" streams instead of a zip. Each stream is padded to
    at least 4096 bytes so it lives in regular sectors (no mini stream needed).
    """
    sector = 512
    assert len(streams) <= 3, "one directory sector holds the root and three streams"
    names = sorted(streams, key=lambda n: (len(n), n.upper()))
    fat = [_FATSECT, _ENDOFCHAIN]  # sector 0: the FAT, sector 1: the directory
    body = b""
    placed: list[tuple[str, int, int]] = []
    for name in names:
        payload = streams[name]
        padded = payload.ljust(max(4096, -(-len(payload) // sector) * sector), b"\0")
        count = len(padded) // sector
        start = len(fat)
        fat.extend(range(start + 1, start + count))
        fat.append(_ENDOFCHAIN)
        body += padded
        placed.append((name, start, len(payload)))
    assert len(fat) <= sector // 4, "streams too large for one FAT sector"
    fat.extend([_FREESECT] * (sector // 4 - len(fat)))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le")
        return struct.pack(
            "<64sHBBIII16sIQQIQ",
            encoded.ljust(64, b"\0"),
            len(encoded),
            kind,
            1,  # black
            _NOSTREAM,
            right,
            child,
            bytes(16),
            0,
            0,
            0,
            start,
            size,
        )

    directory = entry("Root Entry", 5, 1 if placed else _NOSTREAM, _NOSTREAM, _ENDOFCHAIN, 0)
    for i, (name, start, size) in enumerate(placed, start=1):
        right = i + 1 if i < len(placed) else _NOSTREAM
        directory += entry(name, 2, _NOSTREAM, right, start, size)
    directory = directory.ljust(sector, b"\0")
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        bytes(16),
        0x003E,
        3,
        0xFFFE,
        9,
        6,
        bytes(6),
        0,  # directory sectors (always 0 in version 3)
        1,  # FAT sectors
        1,  # first directory sector
        0,
        4096,  # mini stream cutoff
        _ENDOFCHAIN,
        0,
        _ENDOFCHAIN,
        0,
    )
    header += struct.pack("<109I", 0, *([_FREESECT] * 108))
    return header + struct.pack(f"<{sector // 4}I", *fat) + directory + body


def encrypted_xlsx_bytes() -> bytes:
    """What Excel saves for an .xlsx with a password to open: a CFB, not a zip."""
    info = struct.pack("<HHI", 4, 4, 0x40) + b"<encryption/>"  # agile encryption header
    return cfb_bytes({"EncryptionInfo": info, "EncryptedPackage": bytes(5000)})


# --- csv ----------------------------------------------------------------------------------------


def csv_bytes(
    rows: Sequence[Row], *, encoding: str = "utf-8", bom: bool = False, delimiter: str = ","
) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    data = text.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data
