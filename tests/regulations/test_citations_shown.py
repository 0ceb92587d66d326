"""Every citation a user is shown follows the digest's convention (issue 12): an article only
where the digest marks the citation certain (H), the title alone otherwise, and every finding
on the findings page cites exactly its rule as registered in regulations/."""

from __future__ import annotations

import pytest

from dangjian.meetings import findings
from dangjian.regulations.base import RULES, _load_rule_modules


def test_an_article_is_cited_only_where_the_digest_is_certain():
    _load_rule_modules()
    assert len(RULES) > 30, "every rule module is loaded"
    wrong = {
        r.id: (r.article, r.confidence) for r in RULES.values() if r.article and r.confidence != "H"
    }
    assert wrong == {}


@pytest.mark.django_db
def test_every_finding_on_the_page_cites_its_registered_rule(demo, client_for):
    findings.clear_cache()
    report = findings.compute(demo.organ_committee, 2026)
    shown = [f for info in report.orgs for f in report.findings_for(info.id)]
    assert len({f.column for f in shown}) >= 5
    unknown = sorted({f.rule_id for f in shown if f.rule_id not in RULES})
    assert unknown == []
    mismatched = {
        (f.rule_id, f.citation, RULES[f.rule_id].citation)
        for f in shown
        if f.citation != RULES[f.rule_id].citation
    }
    assert mismatched == set()
    # And the page shows them as registered.
    page = (
        client_for(demo.users["organ"])
        .get(f"/compliance/org/{demo.branch.pk}/?year=2026")
        .content.decode()
    )
    for f in report.findings_for(demo.branch.pk):
        assert f"依据：{RULES[f.rule_id].citation}" in page
