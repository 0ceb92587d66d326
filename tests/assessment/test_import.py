"""Business performance imported from an .xlsx by organization code: preview with per-row
Chinese errors, all-or-nothing, a column on app activity refused."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from dangjian.assessment import imports, scoring, services
from dangjian.assessment.models import ImportedScore
from dangjian.core.errors import ServiceValidationError
from tests.assessment.helpers import draft, organ
from tests.helpers import actions_since, last_seq


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _scheme(demo):
    scheme = draft(demo)
    actor = organ(demo)
    services.add_indicator(
        actor, scheme, title="特色工作", part="party", weight=100, source_kind="manual"
    )
    ind = services.add_indicator(
        actor, scheme, title="年度绩效", part="business", weight=100, source_kind="imported"
    )
    services.publish(actor, scheme)
    return scheme, ind


def test_a_clean_file_previews_and_applies(demo):
    scheme, ind = _scheme(demo)
    data = _xlsx(
        [["组织编码", "单位名称", "年度绩效"], ["FGW-B01", "x", 88.5], ["FGW-B02", "y", 92]]
    )
    found = imports.preview(scheme, data, "绩效.xlsx")
    assert [r.error for r in found.rows] == ["", ""]
    seq = last_seq()
    assert imports.apply(organ(demo), scheme, found.payload(), found.filename) == 2
    assert actions_since(seq) == ["update"]
    target = scheme.targets.get(organization=demo.branch)
    line = next(x for x in scoring.results(scheme, [target])[0].lines if x.indicator.pk == ind.pk)
    assert line.value == Decimal("88.50") and "绩效.xlsx" in line.method


def test_each_bad_row_has_its_reason_and_nothing_is_written(demo):
    scheme, _ = _scheme(demo)
    data = _xlsx(
        [
            ["组织编码", "年度绩效"],
            ["FGW-B01", 90],
            ["NOPE-1", 80],
            ["CZJ-B01", 80],
            ["FGW-B01", 70],
            ["FGW-B02", "优"],
            ["FGW-B03", 101],
        ]
    )
    found = imports.preview(scheme, data, "bad.xlsx")
    errors = {r.line: r.error for r in found.rows}
    assert errors[2] == ""
    assert "不存在" in errors[3]
    assert "不是本方案的考核对象" in errors[4]
    assert "与第2行重复" in errors[5]
    assert "应为数字" in errors[6]
    assert "应在0至100" in errors[7]
    assert not ImportedScore.objects.exists()


def test_a_column_on_app_activity_is_refused_with_the_citation(demo):
    scheme, _ = _scheme(demo)
    data = _xlsx([["组织编码", "年度绩效", "平台登录次数"], ["FGW-B01", 90, 12]])
    with pytest.raises(ServiceValidationError) as caught:
        imports.preview(scheme, data, "x.xlsx")
    assert "国办函〔2026〕12号" in caught.value.errors["file"]


def test_a_file_that_is_no_spreadsheet_is_refused(demo):
    scheme, _ = _scheme(demo)
    with pytest.raises(ServiceValidationError):
        imports.preview(scheme, b"%PDF-1.4 not a sheet", "x.xlsx")


def test_the_pages_preview_then_confirm(demo, client_for):
    scheme, _ = _scheme(demo)
    client = client_for(demo.users["organ"])
    url = reverse("assessment:import", args=[scheme.pk])
    upload = SimpleUploadedFile("绩效.xlsx", _xlsx([["组织编码", "得分"], ["FGW-B01", 77]]))
    page = client.post(url, {"file": upload}).content.decode()
    assert "确认导入" in page and "FGW-B01" in page
    response = client.post(reverse("assessment:import_confirm", args=[scheme.pk]))
    assert response.status_code == 302
    assert ImportedScore.objects.get().value == Decimal("77")
