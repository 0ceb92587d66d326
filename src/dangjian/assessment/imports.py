"""Business performance (业务绩效) from the organ's own appraisal system: an .xlsx with one row
per organization (组织编码) and one column per imported indicator (its title as the header; a
single imported indicator may also be headed 得分/业务绩效/分数).

Read with the roster import's helpers (content sniffing, zip-bomb check, the file errors) and
python-calamine; previewed with one Chinese message per row; applied all-or-nothing (any error:
nothing written). A column whose header names app activity (登录, 在线时长, 积分 …) is refused
with the citation, like an indicator.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from python_calamine import CalamineWorkbook

from dangjian.assessment.models import ImportedScore, Indicator, Scheme, SchemeStatus, SourceKind
from dangjian.assessment.services import FINAL_MESSAGE, require_manager
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core.errors import ServiceValidationError
from dangjian.members.roster.errors import MB, MSG_EMPTY, MSG_UNRECOGNIZED, RosterFileError
from dangjian.members.roster.sniff import Source, check_zip, size_text, sniff
from dangjian.orgs.models import Organization
from dangjian.regulations.assessment import forbidden_reason

CODE_HEADERS = ("组织编码", "单位编码", "机构编码", "编码")
SINGLE_HEADERS = ("得分", "业务绩效", "业务绩效得分", "分数", "考核得分")
MAX_BYTES = 5 * MB
MAX_ROWS = 10000


@dataclass
class PreviewRow:
    line: int
    code: str
    name: str = ""
    target_id: int | None = None
    values: dict[int, Decimal] = field(default_factory=dict)  # indicator id -> score
    error: str = ""


@dataclass
class Preview:
    filename: str
    columns: list[tuple[int, str]]  # (indicator id, header)
    rows: list[PreviewRow]

    @property
    def errors(self) -> list[PreviewRow]:
        return [r for r in self.rows if r.error]

    def payload(self) -> list[list]:
        """The rows to apply, for the session: [target id, indicator id, "score"]."""
        return [
            [r.target_id, ind, str(v)]
            for r in self.rows
            if not r.error
            for ind, v in r.values.items()
        ]


def _cells(data: bytes) -> list[list[object]]:
    if not data:
        raise ServiceValidationError({"file": MSG_EMPTY})
    if len(data) > MAX_BYTES:
        raise ServiceValidationError(
            {"file": f"文件过大（{size_text(len(data))}），上限为 {size_text(MAX_BYTES)}"}
        )
    source = Source(data)
    try:
        if sniff(source) != "zip":
            raise RosterFileError(MSG_UNRECOGNIZED, code="unrecognized")
        with source.open() as fh, zipfile.ZipFile(fh) as zf:
            check_zip(zf, 50 * MB)
        book = CalamineWorkbook.from_filelike(source.open())
        rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except RosterFileError as exc:
        raise ServiceValidationError({"file": str(exc)}) from None
    except Exception:  # calamine raises several kinds for a damaged or foreign file
        raise ServiceValidationError({"file": "无法读取该文件，请上传 .xlsx 格式的表格"}) from None
    if len(rows) > MAX_ROWS + 1:
        raise ServiceValidationError({"file": f"行数过多，上限为{MAX_ROWS}行"})
    return [list(r) for r in rows]


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value if value is not None else "").strip()


def _columns(header: list[str], scheme: Scheme) -> tuple[int, list[tuple[int, int, str]]]:
    """The code column and (column, indicator id, header) of each imported indicator."""
    for title in header:
        refused = forbidden_reason("", title)
        if refused is not None:
            raise ServiceValidationError({"file": f"列“{title}”：{refused}"})
    code_col = next((i for i, h in enumerate(header) if h in CODE_HEADERS), None)
    if code_col is None:
        raise ServiceValidationError({"file": "第1行应为表头，并有“组织编码”列"})
    imported = list(
        scheme.indicators.filter(source_kind=SourceKind.IMPORTED).order_by("position", "pk")
    )
    if not imported:
        raise ServiceValidationError({"file": "本方案没有“业务绩效导入”类指标"})
    found = []
    for ind in imported:
        col = next((i for i, h in enumerate(header) if h == ind.title), None)
        if col is None and len(imported) == 1:
            col = next((i for i, h in enumerate(header) if h in SINGLE_HEADERS), None)
        if col is not None:
            found.append((col, ind.pk, header[col]))
    if not found:
        titles = "、".join(f"“{i.title}”" for i in imported)
        raise ServiceValidationError({"file": f"表头中没有找到指标列：应为{titles}"})
    return code_col, found


def preview(scheme: Scheme, data: bytes, filename: str) -> Preview:
    """Every row with its organization and scores, or the reason it cannot be taken."""
    rows = _cells(data)
    if not rows:
        raise ServiceValidationError({"file": MSG_EMPTY})
    header = [_text(h) for h in rows[0]]
    code_col, columns = _columns(header, scheme)
    maxima = dict(scheme.indicators.values_list("pk", "max_score"))
    targets = {
        code: (pk, name)
        for pk, code, name in scheme.targets.values_list(
            "pk", "organization__code", "organization__name"
        )
    }
    codes = [_text(r[code_col]) if code_col < len(r) else "" for r in rows[1:]]
    known = set(
        Organization.objects.filter(code__in=[c for c in codes if c]).values_list("code", flat=True)
    )
    seen: dict[str, int] = {}
    out: list[PreviewRow] = []
    for number, (row, code) in enumerate(zip(rows[1:], codes, strict=True), start=2):
        if all(_text(c) == "" for c in row):
            continue
        item = PreviewRow(line=number, code=code)
        out.append(item)
        if not code:
            item.error = "组织编码为空"
        elif code not in known:
            item.error = f"组织编码“{code}”不存在"
        elif code not in targets:
            item.error = f"组织编码“{code}”不是本方案的考核对象"
        elif code in seen:
            item.error = f"组织编码“{code}”与第{seen[code]}行重复"
        if item.error:
            continue
        seen[code] = number
        item.target_id, item.name = targets[code]
        problems = []
        for col, ind, title in columns:
            raw = _text(row[col]) if col < len(row) else ""
            try:
                value = Decimal(raw)
            except InvalidOperation:
                problems.append(f"“{title}”应为数字" if raw else f"“{title}”为空")
                continue
            if not value.is_finite() or not Decimal(0) <= value <= maxima[ind]:
                problems.append(f"“{title}”应在0至{maxima[ind]}之间")
                continue
            item.values[ind] = value
        item.error = "；".join(problems)
    return Preview(filename=filename[:200], columns=[(ind, t) for _, ind, t in columns], rows=out)


@transaction.atomic
def apply(actor: Actor, scheme: Scheme, payload: list[list], filename: str) -> int:
    """Write previewed scores (all of them, or nothing). Returns the scores written."""
    require_manager(actor, scheme.organization)
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if scheme.status == SchemeStatus.FINAL:
        raise ServiceValidationError(FINAL_MESSAGE)
    if scheme.status == SchemeStatus.DRAFT:
        raise ServiceValidationError("考核方案发布后才能导入业务绩效")
    targets = set(scheme.targets.values_list("pk", flat=True))
    indicators = dict(
        Indicator.objects.filter(scheme=scheme, source_kind=SourceKind.IMPORTED).values_list(
            "pk", "max_score"
        )
    )
    rows = []
    for target_id, indicator_id, raw in payload:
        value = Decimal(raw)
        if target_id not in targets or indicator_id not in indicators:
            raise ServiceValidationError({"file": "导入数据与本方案不符，请重新上传"})
        if not Decimal(0) <= value <= indicators[indicator_id]:
            raise ServiceValidationError({"file": "导入数据超出指标满分，请重新上传"})
        rows.append((target_id, indicator_id, value))
    existing = {
        (s.target_id, s.indicator_id): s
        for s in ImportedScore.objects.filter(target_id__in={r[0] for r in rows})
    }
    new, changed = [], []
    for target_id, indicator_id, value in rows:
        score = existing.get((target_id, indicator_id))
        if score is None:
            new.append(
                ImportedScore(
                    target_id=target_id,
                    indicator_id=indicator_id,
                    value=value,
                    source_name=filename,
                )
            )
        else:
            score.value, score.source_name = value, filename
            changed.append(score)
    ImportedScore.objects.bulk_create(new, batch_size=1000)
    ImportedScore.objects.bulk_update(changed, ["value", "source_name"], batch_size=1000)
    record(
        actor,
        AuditAction.UPDATE,
        scheme,
        changes={"imported": [None, len(rows)], "file": [None, filename]},
        message=f"导入业务绩效{len(rows)}项",
        object_repr=f"{scheme.year}年{scheme.title}"[:200],
    )
    return len(rows)
