"""The introduction letter (介绍信) as .docx, from the transfer record (never retyped): the stub
the sending side keeps (存根), the letter the member carries, and the receipt (回执) the receiving
side returns — one document in three parts, as the paper form has (组通字〔2006〕45号, M). Built in
memory and streamed; nothing is written to disk. The ID number is not on it: the receiving side
identifies the member from the letter number and the name."""

from __future__ import annotations

import io

from docx import Document

from dangjian.transfers.models import Transfer

STATUS_LABELS = {"full": "正式党员", "probationary": "预备党员"}


def _day(d) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else "    年  月  日"


def _month(d) -> str:
    return f"{d.year}年{d.month}月" if d else "—"


def _facts(transfer: Transfer) -> tuple[str, str, str, str]:
    member = transfer.member
    name = transfer.name
    status = STATUS_LABELS.get(member.status, "") if member else ""
    gender = member.get_gender_display() if member else ""
    dues = _month(transfer.dues_paid_until)
    return name, gender, status, dues


def render_letter(transfer: Transfer) -> bytes:
    """The letter's three parts as .docx bytes."""
    doc = Document()
    name, gender, status, dues = _facts(transfer)
    number = transfer.letter_number
    to = transfer.to_label
    sender = transfer.from_label
    valid = _day(transfer.valid_until)

    doc.add_heading("中国共产党党员组织关系介绍信（存根）", level=1)
    doc.add_paragraph(f"第{number}号")
    doc.add_paragraph(
        f"{name}同志（{gender}，{status}）组织关系由{sender}转到{to}。"
        f"转接原因：{transfer.reason}。党费交到{dues}。有效期至{valid}。"
    )
    doc.add_paragraph(f"开具日期：{_day(transfer.approved_on)}")

    doc.add_paragraph("-" * 40)
    doc.add_heading("中国共产党党员组织关系介绍信", level=1)
    doc.add_paragraph(f"第{number}号")
    doc.add_paragraph(f"{to}：")
    doc.add_paragraph(
        f"    兹介绍{name}同志（{gender}，{status}）的党员组织关系转去你处，"
        f"请接洽。该同志党费已交到{dues}。"
    )
    if transfer.to_address:
        doc.add_paragraph(f"转入党组织地址：{transfer.to_address}")
    doc.add_paragraph(f"（有效期至{valid}）")
    doc.add_paragraph(f"{sender}（盖章）    {_day(transfer.approved_on)}")

    doc.add_paragraph("-" * 40)
    doc.add_heading("中国共产党党员组织关系介绍信（回执）", level=1)
    doc.add_paragraph(f"{sender}：")
    doc.add_paragraph(f"    第{number}号介绍信收到，{name}同志的党员组织关系已转来我处。此复。")
    doc.add_paragraph("接收党组织（盖章）        年  月  日")

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
