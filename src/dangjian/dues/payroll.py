"""Bases from the payroll office's .xlsx (姓名 + 身份证号 or 工号 + 计算基数): read, preview
with one message per row, then apply in strict mode (any error: nothing written) or partial mode
(the good rows). A row with a 工号 matches by the employee number's blind index within the
branch, any other row by the ID number's; the name must agree. Neither number ever leaves this
module except as a row number in a message.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction

from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.crypto import default_keyring
from dangjian.dues import services
from dangjian.meetings.packs import rules_in_force
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.regulations.dues import BASED_KINDS, DuesKind, assess, parse_base
from dangjian.regulations.identity import (
    IdentityError,
    normalize_employee_number,
    parse_id_number,
)

NAME_HEADERS = ("姓名",)
ID_HEADERS = ("身份证号", "身份证号码", "公民身份号码")
EMPLOYEE_HEADERS = ("工号", "职工号", "职工编号", "员工号", "员工编号", "人员编号")
BASE_HEADERS = ("计算基数", "党费计算基数", "基数", "月工资", "税后工资")
MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024


class Mode:
    STRICT = "strict"
    PARTIAL = "partial"


@dataclass
class PayrollRow:
    line: int  # the row number in the sheet
    name: str
    member: Member | None = None
    base: Decimal | None = None
    amount: Decimal | None = None
    error: str = ""


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    for i, cell in enumerate(header):
        if cell in names:
            return i
    return None


def read_sheet(data: bytes) -> list[tuple[int, str, object, object, object]]:
    """(row number, name, raw ID, raw 工号, raw base) of each non-empty row of the first sheet;
    the ID or the 工号 column may be missing (None), not both."""
    from openpyxl import load_workbook

    if len(data) > MAX_BYTES:
        raise ServiceValidationError({"file": "文件过大，上限为 5 MB"})
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not an .xlsx
        raise ServiceValidationError(
            {"file": "无法读取该文件，请上传 .xlsx 格式的工资表"}
        ) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
    name_col, base_col = _find(header, NAME_HEADERS), _find(header, BASE_HEADERS)
    id_col, emp_col = _find(header, ID_HEADERS), _find(header, EMPLOYEE_HEADERS)
    if name_col is None or base_col is None or (id_col is None and emp_col is None):
        raise ServiceValidationError(
            {"file": "第1行应为表头，包含“姓名”“身份证号”（或“工号”）“计算基数”三列"}
        )
    out = []
    for number, row in enumerate(rows, start=2):
        cells = list(row) + [None] * len(header)
        if all(c in (None, "") for c in cells[: len(header)]):
            continue
        out.append(
            (
                number,
                str(cells[name_col] or "").strip(),
                None if id_col is None else cells[id_col],
                # "" for an empty cell of a present column, None for no column at all
                None if emp_col is None else (cells[emp_col] or ""),
                cells[base_col],
            )
        )
        if len(out) > MAX_ROWS:
            raise ServiceValidationError({"file": f"一次最多导入{MAX_ROWS}行"})
    book.close()
    return out


def preview(actor: Actor, branch: Organization, data: bytes, kind: str) -> list[PayrollRow]:
    """Every row with its member, base and amount, or its one error. Writes nothing."""
    if actor.user is None or not services.is_dues_manager(actor.user, branch):
        raise PermissionDenied("只有本支部的书记和支委可以导入计算基数")
    try:
        dues_kind = DuesKind(kind)
    except ValueError:
        raise ServiceValidationError({"kind": "请选择交纳类别"}) from None
    if dues_kind not in BASED_KINDS:
        raise ServiceValidationError({"kind": "定额交纳的党员无需导入计算基数"})
    raw = read_sheet(data)
    keyring = default_keyring()
    current = list(Member.objects.current().filter(organization=branch))
    by_id = {m.id_number_index: m for m in current}
    by_employee: dict[str, list[Member]] = {}
    for m in current:
        if m.employee_number_index:
            by_employee.setdefault(m.employee_number_index, []).append(m)
    params = rules_in_force().dues
    seen: dict[int, int] = {}
    out: list[PayrollRow] = []
    for line, name, raw_id, raw_employee, raw_base in raw:
        row = PayrollRow(line, name)
        out.append(row)
        try:
            member = _match(line, raw_id, raw_employee, by_id, by_employee, keyring)
        except _RowError as exc:
            row.error = str(exc)
            continue
        if member.name != name:
            row.error = f"第{line}行：姓名与{'工号' if _given(raw_employee) else '身份证号'}不一致"
            continue
        if member.pk in seen:
            row.error = f"第{line}行：与第{seen[member.pk]}行是同一人"
            continue
        seen[member.pk] = line
        try:
            base = parse_base(raw_base)
        except ValueError as exc:
            row.error = f"第{line}行：{exc}"
            continue
        row.member, row.base = member, base
        row.amount = assess(dues_kind, base, params).amount
    return out


class _RowError(Exception):
    pass


def _given(raw: object) -> bool:
    return raw is not None and str(raw).strip() != ""


def _id_index(line: int, raw_id: object, keyring) -> str:
    try:
        value = parse_id_number(raw_id if isinstance(raw_id, (int, float)) else str(raw_id or ""))
    except IdentityError as exc:
        raise _RowError(f"第{line}行：{exc.message}") from None
    return keyring.blind_index(value.value)


def _match(line, raw_id, raw_employee, by_id, by_employee, keyring) -> Member:
    """The branch's member a row names: by 工号 when the row has one, else by ID number. Among
    several members with the same 工号 the row's ID number decides; without one it is refused."""
    if not _given(raw_employee):
        if raw_employee is not None and not _given(raw_id):
            raise _RowError(f"第{line}行：请填写工号或身份证号")
        member = by_id.get(_id_index(line, raw_id, keyring))
        if member is None:
            raise _RowError(f"第{line}行：身份证号与本支部党员不符")
        return member
    try:
        number = normalize_employee_number(raw_employee)  # type: ignore[arg-type]
    except IdentityError as exc:
        raise _RowError(f"第{line}行：{exc.message}") from None
    candidates = by_employee.get(keyring.blind_index(number), [])
    if not candidates:
        hint = ""
        if isinstance(raw_employee, (int, float)):
            hint = "（该列为数字格式，工号开头的0可能已丢失，请将该列设为文本后重新导出）"
        raise _RowError(f"第{line}行：工号与本支部党员不符{hint}")
    id_index = _id_index(line, raw_id, keyring) if _given(raw_id) else None
    if id_index is not None:
        chosen = [m for m in candidates if m.id_number_index == id_index]
        if not chosen:
            raise _RowError(f"第{line}行：工号与身份证号不是同一人")
        return chosen[0]
    if len(candidates) > 1:
        raise _RowError(
            f"第{line}行：本支部有{len(candidates)}名党员登记了该工号，无法区分；"
            "请填写身份证号，或先在党员信息中更正工号"
        )
    return candidates[0]


@transaction.atomic
def apply(
    actor: Actor,
    branch: Organization,
    rows: list[PayrollRow],
    *,
    kind: str,
    effective_from: dt.date,
    mode: str,
) -> int:
    """Assess the members of the good rows; strict mode refuses the whole file on any error."""
    if mode not in (Mode.STRICT, Mode.PARTIAL):
        raise ServiceValidationError({"mode": "请选择导入方式"})
    errors = [r.error for r in rows if r.error]
    if mode == Mode.STRICT and errors:
        raise ServiceValidationError(
            {"file": f"严格模式：有{len(errors)}行错误，未导入任何数据。{errors[0]}"}
        )
    good = [r for r in rows if not r.error and r.member is not None]
    for row in good:
        services.assess_member(actor, row.member, kind, row.base, effective_from)  # type: ignore[arg-type]
    return len(good)
