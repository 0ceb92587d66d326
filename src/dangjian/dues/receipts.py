"""A member's receipt for a dues payment (党费收据) as .docx, built in memory from the record
and streamed (never written to disk). Personal data masked: the name keeps only the surname,
no ID number, no base; the amount is the member's own payment."""

from __future__ import annotations

import io
from decimal import Decimal

from docx import Document

from dangjian.dues.models import Payment
from dangjian.regulations.identity import mask_name

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")
_GROUPS = ("", "万", "亿")


def _group(n: int) -> str:
    """0 < n < 10000 in capital numerals, with 零 for inner gaps."""
    out, zero = "", False
    for i in range(3, -1, -1):
        digit = n // 10**i % 10
        if digit == 0:
            zero = bool(out)
        else:
            out += ("零" if zero else "") + _DIGITS[digit] + _UNITS[i]
            zero = False
    return out


def amount_in_words(amount: Decimal) -> str:
    """An amount in yuan as written on a receipt (大写): 1234.50 → 壹仟贰佰叁拾肆元伍角."""
    fen_total = int((amount * 100).to_integral_value())
    if fen_total < 0 or fen_total >= 10**14:
        raise ValueError("amount out of range")
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    words = ""
    groups = []
    while yuan:
        groups.append(yuan % 10000)
        yuan //= 10000
    for i in range(len(groups) - 1, -1, -1):
        part = groups[i]
        if part:
            if words and part < 1000:
                words += "零"
            words += _group(part) + _GROUPS[i]
        elif words and not words.endswith("零"):
            words += "零"
    words = words.rstrip("零")
    if words:
        words += "元"
    if jiao == 0 and fen == 0:
        return (words or "零元") + "整"
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif words:
        words += "零"
    if fen:
        words += _DIGITS[fen] + "分"
    return words


def _day(d) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def receipt(payment: Payment, issued_on) -> bytes:
    """The receipt as .docx bytes."""
    doc = Document()
    doc.add_heading("党费收据", level=1)
    rows = [
        ("收据编号", f"DF{payment.organization_id:05d}-{payment.pk:08d}"),
        ("交纳人", mask_name(payment.member.name)),
        ("所在党支部", payment.organization.name),
        ("所属月份", f"{payment.month.year}年{payment.month.month}月"),
        ("金额（小写）", f"{payment.amount} 元"),
        ("金额（大写）", amount_in_words(payment.amount)),
        ("交纳方式", payment.get_method_display()),
        ("交纳日期", _day(payment.paid_on)),
        ("收款单位", payment.organization.name),
        ("开具日期", _day(issued_on)),
    ]
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    doc.add_paragraph("本收据由平台根据党费收缴登记生成；为保护个人信息，姓名仅显示姓氏。")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
