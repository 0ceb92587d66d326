"""Synthetic documents (PDF, DOCX, TXT) for the demo, the tests and the benchmark.

The PDF writer is deliberately tiny: Chinese text set in the standard Adobe font STSong-Light
(not embedded; every PDF reader has a substitute) with a ToUnicode map, so text extraction reads
it back exactly. A page with `image_only=True` carries no text layer at all (like a scan).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
import zlib
from collections.abc import Sequence

PAGE_W, PAGE_H = 595, 842  # A4 in points
FONT_SIZE = 12
LINE_HEIGHT = 20
MARGIN = 56
CHARS_PER_LINE = (PAGE_W - 2 * MARGIN) // FONT_SIZE


def _wrap(paragraphs: Sequence[str]) -> list[str]:
    lines: list[str] = []
    for paragraph in paragraphs:
        text = "　　" + paragraph.strip()
        while text:
            lines.append(text[:CHARS_PER_LINE])
            text = text[CHARS_PER_LINE:]
    return lines


def _hex_utf16(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


TO_UNICODE = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
1 beginbfrange
<0000> <FFFF> <0000>
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end
"""


def make_pdf(
    paragraphs: Sequence[str],
    *,
    title: str = "",
    image_only: bool = False,
    lines_per_page: int | None = None,
) -> bytes:
    """A PDF of `paragraphs` (wrapped and paginated); `image_only` draws boxes instead of text."""
    per_page = lines_per_page or (PAGE_H - 2 * MARGIN) // LINE_HEIGHT
    lines = ([title, ""] if title else []) + _wrap(paragraphs)
    pages = [lines[i : i + per_page] for i in range(0, len(lines), per_page)] or [[]]
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below
    pages_id = add(b"")
    font_id = _add_font(add, objects)
    page_ids = []
    for page_lines in pages:
        content = _page_content(page_lines, image_only)
        content_id = add(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content)
            + content
            + b"\nendstream"
        )
        page_ids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (pages_id, PAGE_W, PAGE_H, font_id, content_id)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
    kids = b" ".join(b"%d 0 R" % pid for pid in page_ids)
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))
    info = add(b"<< /Title <FEFF%s> /Producer (dangjian) >>" % _hex_utf16(title).encode())
    return _pdf_file(objects, catalog, info)


def _add_font(add, objects: list[bytes]) -> int:
    """The Type0 font STSong-Light with its CID font and ToUnicode map; returns its number."""
    font_id = add(b"")
    descendant = add(
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> "
        b"/FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
        b"/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
        b"/CapHeight 880 /StemV 93 >> /DW 1000 >>"
    )
    cmap_stream = zlib.compress(TO_UNICODE)
    to_unicode = add(
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(cmap_stream)
        + cmap_stream
        + b"\nendstream"
    )
    objects[font_id - 1] = (
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light-UniGB-UCS2-H "
        b"/Encoding /UniGB-UCS2-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>"
        % (descendant, to_unicode)
    )
    return font_id


def _page_content(page_lines: Sequence[str], image_only: bool) -> bytes:
    """One page's compressed content stream: a text line each, or a grey box each."""
    ops = []
    y = PAGE_H - MARGIN
    for line in page_lines:
        if line:
            if image_only:
                width = len(line) * FONT_SIZE
                ops.append(f"0.2 g {MARGIN} {y} {width} 8 re f")
            else:
                ops.append(f"BT /F1 {FONT_SIZE} Tf {MARGIN} {y} Td <{_hex_utf16(line)}> Tj ET")
        y -= LINE_HEIGHT
    return zlib.compress("\n".join(ops).encode("ascii"))


def _pdf_file(objects: list[bytes], catalog: int, info: int) -> bytes:
    """The objects written out with their cross-reference table and trailer."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, catalog, info, xref)
    )
    return out.getvalue()


def make_docx(
    paragraphs: Sequence[str],
    *,
    title: str = "",
    headings: dict[int, str] | None = None,
    table: Sequence[Sequence[str]] | None = None,
) -> bytes:
    """A Word document: the title as a title, optional headings before paragraph i, a table."""
    from docx import Document

    document = Document()
    if title:
        document.add_heading(title, level=0)
    for index, paragraph in enumerate(paragraphs):
        if headings and index in headings:
            document.add_heading(headings[index], level=1)
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    fixed = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # written as 2026-01-01T00:00:00Z either way
    document.core_properties.created = fixed
    document.core_properties.modified = fixed
    raw = io.BytesIO()
    document.save(raw)
    # Same content, same bytes: fixed zip timestamps (so importing again finds the same file),
    # and no page count from python-docx's template (it would say 1 for any length).
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/app.xml":
                data = re.sub(rb"<Pages>\d+</Pages>", b"", data)
            entry = zipfile.ZipInfo(info.filename, (2026, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, data)
    return out.getvalue()


def make_txt(paragraphs: Sequence[str], *, title: str = "", encoding: str = "utf-8") -> bytes:
    lines = ([title, ""] if title else []) + list(paragraphs)
    return "\n".join(lines).encode(encoding)


# ---- synthetic party-study text ------------------------------------------------------------
# Original sentences assembled from parts: study-material style, no real document copied.

SUBJECTS = (
    "机关党组织",
    "各党支部",
    "党员干部",
    "支部书记",
    "机关党委",
    "党小组",
    "广大党员",
    "党务工作者",
    "领导班子成员",
    "青年党员",
)
ACTIONS = (
    "要把理论学习摆在突出位置",
    "要坚持学用结合、知行合一",
    "要落实“三会一课”制度",
    "要认真开展主题党日活动",
    "要把党建工作和业务工作同谋划、同部署、同考核",
    "要严肃党内政治生活",
    "要加强党风廉政建设",
    "要增强服务意识，改进工作作风",
    "要发挥党支部战斗堡垒作用",
    "要发挥党员先锋模范作用",
    "要克服怠学、厌学、逃学的现象",
    "要防止形式主义、官僚主义",
    "要做好发展党员和党员教育管理工作",
    "要按时足额交纳党费",
    "要坚持民主集中制原则",
)
PURPOSES = (
    "切实提高机关党建工作质量。",
    "推动学习教育走深走实。",
    "确保各项任务落到实处。",
    "以党建引领业务工作高质量发展。",
    "不断增强党组织的凝聚力和战斗力。",
    "让党员在学习中坚定理想信念。",
    "把学习成果转化为推动工作的实际成效。",
    "营造风清气正的良好政治生态。",
    "为基层减负，让干部把精力用在抓落实上。",
    "形成齐抓共管的工作合力。",
)
OPENERS = (
    "新时代机关党建工作面临新的形势和任务。",
    "加强党的建设是一项长期而艰巨的任务。",
    "理论学习是党员干部的必修课。",
    "抓好机关党建，关键在于落实责任。",
    "组织生活是党员教育管理的重要载体。",
    "廉洁自律是党员干部的基本要求。",
)
TOPICS = (
    "关于加强机关党支部标准化规范化建设的学习材料",
    "党员干部理论学习辅导读本",
    "严肃党内政治生活若干问题解读",
    "“三会一课”制度学习手册",
    "机关党建与业务工作深度融合的思考",
    "党风廉政建设警示教育读本",
    "主题党日活动组织指引",
    "党务干部培训讲义",
    "发展党员工作实务问答",
    "整治形式主义为基层减负学习要点",
    "支部书记履职能力提升专题讲稿",
    "党章学习辅导材料",
)
CATEGORIES = ("理论学习", "党建业务", "党章党规", "廉政教育", "讲话精神")


def party_paragraphs(rng, count: int, sentences: int = 4) -> list[str]:
    """`count` paragraphs of synthetic party-study prose."""
    out = []
    for index in range(count):
        parts = [rng.choice(OPENERS)] if index == 0 or rng.random() < 0.2 else []
        for _ in range(sentences):
            parts.append(rng.choice(SUBJECTS) + rng.choice(ACTIONS) + "，" + rng.choice(PURPOSES))
        out.append("".join(parts))
    return out


def party_title(rng, serial: int | None = None) -> str:
    title = rng.choice(TOPICS)
    return f"{title}（{serial}）" if serial is not None else title
