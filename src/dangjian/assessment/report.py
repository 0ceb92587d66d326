"""A target's assessment report as .docx: the result, then every indicator with its value, how
it was computed, the records behind it, the comment, the weight and the contribution, the
vetoes and appeals. Built in memory from `scoring.results`, the same figures as the page."""

from __future__ import annotations

import io
from typing import Any

from docx import Document

from dangjian.assessment.models import Appeal
from dangjian.assessment.scoring import TargetResult


def render(
    result: TargetResult, appeals: list[Appeal], self_evidence: list[dict[str, Any]]
) -> bytes:
    target = result.target
    scheme = target.scheme
    doc = Document()
    doc.add_heading(f"{scheme.year}年{scheme.title}", level=1)
    doc.add_paragraph(f"考核对象：{target.label}　考核单位：{scheme.organization.name}")
    summary = doc.add_table(rows=0, cols=2)
    summary.style = "Table Grid"
    for label, value in (
        ("综合得分", str(result.score)),
        ("等次", result.grade),
        (f"党建工作（权重{scheme.party_weight}%）", str(result.party)),
        (f"业务绩效（权重{scheme.business_weight}%）", str(result.business)),
        ("状态", scheme.get_status_display()),
    ):
        cells = summary.add_row().cells
        cells[0].text, cells[1].text = label, value
    if target.self_assessment:
        doc.add_paragraph(f"本单位自评：{target.self_assessment}")
    for linked in self_evidence:
        note = f"（{linked['note']}）" if linked["note"] else ""
        doc.add_paragraph(
            f"自评佐证·{linked['kind']}：{linked['label']}{note}", style="List Bullet"
        )
    for veto in result.vetoes:
        doc.add_paragraph(f"一票否决：等次最高为“{veto.cap}”。事由：{veto.reason}")
    doc.add_heading("指标明细", level=2)
    table = doc.add_table(rows=1, cols=6)
    table.style = "Table Grid"
    for cell, text in zip(
        table.rows[0].cells,
        ("指标", "权重", "数值", "得分率", "计入总分", "计算方法与依据"),
        strict=True,
    ):
        cell.text = text
    for line in result.lines:
        ind = line.indicator
        basis = [line.method]
        if line.comment:
            basis.append(f"评分说明：{line.comment}")
        basis += [f"· {i.get('label', '')}" for i in line.inputs]
        cells = table.add_row().cells
        cells[0].text = "　" * line.depth + ind.title
        cells[1].text = f"{ind.weight.normalize():f}%"
        cells[2].text = line.raw
        cells[3].text = "" if line.value is None else str(line.value)
        cells[4].text = "" if ind.source_kind == "group" else str(line.contribution)
        cells[5].text = "\n".join(basis)
    if appeals:
        doc.add_heading("申诉", level=2)
        for appeal in appeals:
            doc.add_paragraph(
                f"{appeal.filed_at:%Y-%m-%d} 申诉：{appeal.reason}；{appeal.get_status_display()}"
                + (f"：{appeal.decision}" if appeal.decision else "")
            )
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
