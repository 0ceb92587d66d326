"""The forms a branch keeps, generated as .docx from what is recorded (never retyped): the
入党志愿书 data sheet, the 公示 notice, the 转正 decision. Built in memory and streamed to the
reader; nothing is written to disk (the sheet carries personal data)."""

from __future__ import annotations

import io

from docx import Document

from dangjian.recruitment.models import Applicant, StepRecord
from dangjian.regulations.recruitment import STEPS

FORMS = {
    "data_sheet": "入党志愿书基本信息",
    "publicity": "发展对象公示",
    "confirmation": "预备党员转正决定",
}
GENDERS = {"male": "男", "female": "女"}


def _day(d) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else "—"


def _steps(applicant: Applicant) -> dict[int, StepRecord]:
    return {r.step: r for r in applicant.steps.prefetch_related("people")}


def _names(record: StepRecord | None) -> str:
    return "、".join(p.name for p in record.people.all()) if record else "—"


def data_sheet(applicant: Applicant, doc) -> None:
    done = _steps(applicant)
    doc.add_heading("入党志愿书基本信息", level=1)
    rows = [
        ("姓名", applicant.name),
        ("性别", GENDERS.get(applicant.gender, applicant.gender)),
        ("出生日期", _day(applicant.birth_date)),
        ("身份证号", applicant.id_number_masked),
        ("所在党支部", applicant.organization.name),
    ]
    rows += [(STEPS[n - 1].label, _day(r.done_on)) for n, r in sorted(done.items())]
    rows += [("培养联系人", _names(done.get(5))), ("入党介绍人", _names(done.get(9)))]
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value


def publicity(applicant: Applicant, doc) -> None:
    done = _steps(applicant)
    stage = "预备党员" if 23 in done or applicant.member_id else "发展对象"
    record = done.get(23) or done.get(12)
    doc.add_heading(f"关于{stage}的公示", level=1)
    start = record.publicity_from if record else None
    doc.add_paragraph(
        f"经{applicant.organization.name}研究，拟将{applicant.name}同志列为"
        f"{'转正对象' if stage == '预备党员' else '接收预备党员对象'}，现予公示。"
        f"公示自{_day(start)}起。公示期间如有意见，请向{applicant.organization.name}反映。"
    )
    doc.add_paragraph(f"入党介绍人：{_names(done.get(9))}")


def confirmation(applicant: Applicant, doc) -> None:
    done = _steps(applicant)
    member = applicant.member
    doc.add_heading("关于预备党员转正的决定", level=1)
    vote = done.get(23)
    approved = done.get(24)
    text = (
        f"{applicant.name}同志于{_day(member.admitted_on if member else None)}"
        f"经支部党员大会讨论接收为预备党员，预备期至{_day(member.probation_ends_on if member else None)}届满。"
    )
    if vote is not None and vote.vote is not None:
        v = vote.vote
        text += (
            f"{_day(vote.done_on)}支部党员大会讨论其转正申请，应到会有表决权的党员{v.voting_members}人，"
            f"实到{v.present_voting}人，赞成{v.yes}票，同意其按期转为正式党员。"
        )
    if approved is not None:
        text += f"上级党委于{_day(approved.done_on)}审批同意，党龄自{_day(member.confirmed_on if member else None)}起计算。"
    doc.add_paragraph(text)


_BUILDERS = {"data_sheet": data_sheet, "publicity": publicity, "confirmation": confirmation}


def render(applicant: Applicant, form: str) -> bytes:
    """The form as .docx bytes; KeyError for an unknown form."""
    builder = _BUILDERS[form]
    doc = Document()
    builder(applicant, doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
