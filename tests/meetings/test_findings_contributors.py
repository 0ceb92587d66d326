"""Another app's columns of findings on the same report, page, API and cache (a contributor
registered the way an app's `findings.py` would), without touching the meetings code."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dangjian.audit.services import Actor
from dangjian.meetings import findings
from dangjian.meetings.findings.contributors import (
    Column,
    Contributor,
    Result,
    register,
    unregister,
)
from dangjian.orgs.models import OrgKind
from dangjian.regulations.base import Severity
from dangjian.regulations.meetings import FindingStatus
from tests.conftest import TODAY

CITATION = "《测试规定》第一条"


def _evaluate(scope):
    """A branch without members is a warning-level finding; one with members is fine."""
    out = {}
    for org in scope.orgs:
        if org.kind != OrgKind.BRANCH:
            continue
        if org.members:
            result = Result(
                "test_staffed", "test_staffed", FindingStatus.OK, None, "有党员", CITATION, {}
            )
        else:
            result = Result(
                "test_staffed",
                "test_staffed",
                FindingStatus.VIOLATED,
                Severity.WARNING,
                "支部尚无党员",
                CITATION,
                {"members": 0},
            )
        out[org.id] = [result]
    return out


@pytest.fixture
def contributed(settings):
    settings.DANGJIAN_RULE_PACKS = ["bundled:sample_local"]
    findings.clear_cache()
    register(
        Contributor(
            key="test",
            columns=lambda rules: [Column("test_staffed", "支部有人", ("test_staffed",), CITATION)],
            evaluate=_evaluate,
        )
    )
    yield
    unregister("test")
    findings.clear_cache()


def test_a_contributor_adds_its_column_cells_and_findings(demo, contributed):
    report = findings.compute(demo.organ_committee, 2026, today=TODAY)

    # After the built-in columns; other apps' contributors may register before or after it.
    keys = [c.key for c in report.columns]
    assert "test_staffed" in keys and keys.index("test_staffed") > keys.index("term")
    cell = report.cell(demo.branch.pk, "test_staffed")
    assert cell is not None and cell.status == FindingStatus.OK
    found = [f for f in report.findings_for(demo.branch.pk) if f.rule_id == "test_staffed"]
    assert [(f.status, f.citation, f.period_key) for f in found] == [
        (FindingStatus.OK, CITATION, "2026")
    ]
    data = findings.report_json(report)
    assert "test_staffed" in [c["key"] for c in data["columns"]]
    assert report.rollups[demo.organ_committee.pk].columns["test_staffed"][2] >= 1


def test_the_page_shows_the_contributed_column(demo, contributed, client_for):
    client = client_for(demo.users["organ"])
    page = client.get(reverse("compliance:findings"), {"year": 2026})
    assert page.status_code == 200
    assert "支部有人" in page.content.decode()


def test_a_contributed_warning_is_explained_and_the_cached_page_follows(
    demo, contributed, settings
):
    from dangjian.orgs.services import create_organization

    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 600
    empty = create_organization(
        Actor.system("test"),
        demo.organ_committee,
        name="测试空支部",
        kind=OrgKind.BRANCH,
        code="TB-EMPTY",
    )
    cached = findings.cached_report(demo.organ_committee, 2026, today=TODAY)
    assert cached.cell(empty.pk, "test_staffed").status == FindingStatus.VIOLATED
    assert cached.cell(empty.pk, "test_staffed").explained == 0

    findings.explain_finding(
        Actor.system("test"),
        empty,
        rule_id="test_staffed",
        period_key="2026",
        reason="新建支部，正在转入党员",
        today=TODAY,
    )
    again = findings.cached_report(demo.organ_committee, 2026, today=TODAY)

    assert again is not cached  # brought up to date, organization by organization
    assert again.cell(empty.pk, "test_staffed").explained == 1
    assert again.top_rollups[demo.organ_committee.pk].explained == (
        cached.top_rollups[demo.organ_committee.pk].explained + 1
    )
