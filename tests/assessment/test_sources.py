"""The catalogue of computed sources: no app activity, values for every target, a fixed
number of queries whatever the number of targets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core.indicators import Source, catalogue, register
from dangjian.orgs.models import Organization

AS_OF = dt.date(2026, 11, 25)


def test_the_catalogue_has_the_four_sources_and_none_on_app_activity():
    assert {"meetings_held", "work_on_time", "study_coverage", "dues_on_time"} <= set(catalogue())
    with pytest.raises(ImproperlyConfigured, match="国办函"):
        register(Source("logins", "登录次数", "", lambda targets, year, as_of: {}))
    with pytest.raises(ImproperlyConfigured, match="国办函"):
        register(Source("activity", "学习积分", "", lambda targets, year, as_of: {}))
    assert "logins" not in catalogue()


@pytest.mark.parametrize("key", ["meetings_held", "work_on_time", "study_coverage", "dues_on_time"])
def test_a_source_answers_every_target_in_a_fixed_number_of_queries(demo, key):
    source = catalogue()[key]
    branches = list(Organization.objects.filter(kind="branch").order_by("path"))
    assert len(branches) > 5
    with CaptureQueriesContext(connection) as few:
        one = source.compute(branches[:1], 2026, AS_OF)
    with CaptureQueriesContext(connection) as many:
        everyone = source.compute(branches, 2026, AS_OF)
    assert set(everyone) == {b.pk for b in branches} and set(one) == {branches[0].pk}
    assert len(many) <= len(few) + 1, [q["sql"][:120] for q in many.captured_queries]
    for explained in everyone.values():
        assert explained.value is None or 0 <= explained.value <= 100
        assert explained.method
        assert all(i["label"] for i in explained.inputs)


def test_meetings_held_names_the_findings_behind_it(demo):
    found = catalogue()["meetings_held"].compute([demo.branch], 2026, AS_OF)[demo.branch.pk]
    assert found.value is not None
    assert any("/compliance/org/" in i["link"] for i in found.inputs)


@pytest.mark.parametrize("key", ["work_on_time", "study_coverage", "dues_on_time"])
def test_reading_under_the_common_ancestor_gives_the_same_values(demo, key, monkeypatch):
    from dangjian.core.indicators import TargetIndex

    source = catalogue()[key]
    branches = list(Organization.objects.filter(kind="branch").order_by("path"))
    apart = source.compute(branches, 2026, AS_OF)
    monkeypatch.setattr(TargetIndex, "MANY", 1)
    together = source.compute(branches, 2026, AS_OF)
    assert {k: (v.value, v.method) for k, v in apart.items()} == {
        k: (v.value, v.method) for k, v in together.items()
    }


def _judged(frequency) -> dict[int, list[tuple]]:
    return {
        org_id: [
            (
                freq.id,
                [(v.period.key, v.status, v.held, v.required, v.message) for v in judged.findings],
                sorted(row[0] for row in rows),
                extra,
            )
            for freq, judged, rows, extra in verdicts
        ]
        for org_id, verdicts in frequency.items()
    }


def test_meetings_held_is_what_the_whole_compliance_report_judges(demo):
    """The source reads the frequency rules' verdicts alone (not the committee, quorum, talk
    or other apps' columns): they are the whole report's for every organization, and each
    branch's share counts the report's own met and unmet periods of its subtree."""
    from dangjian.meetings.findings.evaluation import compute, frequency_verdicts
    from dangjian.meetings.findings.report import OK, VIOLATED
    from dangjian.meetings.indicators import _root

    branches = list(Organization.objects.filter(kind="branch").order_by("path"))
    root = _root(branches)
    report = compute(root, 2026, today=AS_OF)
    orgs, frequency = frequency_verdicts(root, 2026, today=AS_OF)
    assert [o.id for o in orgs] == [o.id for o in report.orgs]
    assert _judged(frequency) == _judged(report._frequency)
    assert frequency  # something judged

    found = catalogue()["meetings_held"].compute(branches, 2026, AS_OF)
    rule_ids = {freq.id for verdicts in frequency.values() for freq, *_ in verdicts}
    for branch in branches:
        held = due = 0
        for info in report.orgs:
            if info.path.startswith(branch.path):
                for finding in report.findings_for(info.id):
                    if finding.rule_id in rule_ids and finding.status in (OK, VIOLATED):
                        due += 1
                        held += finding.status == OK
        assert found[branch.pk].method.startswith(f"应召开的会议期次{due}个，按期召开{held}个")
        if due:
            assert found[branch.pk].value == (Decimal(held) * 100 / due).quantize(Decimal("0.01"))
            assert len(found[branch.pk].inputs) == min(due, 50) + (due > 50)
        else:
            assert found[branch.pk].value is None


def test_target_subtrees_inside_another_target_are_read_once():
    """Nested and sibling targets: a path inside a kept subtree is left out, a sibling whose
    path merely sorts next to it is kept."""
    from types import SimpleNamespace

    from dangjian.core.indicators import TargetIndex

    paths = ["00010002", "000100020001", "0001000200010003", "00010003", "000100030005", "0002"]
    index = TargetIndex(SimpleNamespace(pk=i, path=p) for i, p in enumerate(reversed(paths)))
    assert index.prefixes() == ["00010002", "00010003", "0002"]
    assert index.target_of("0001000200010003000A") == 5  # under the first target
    assert index.target_of("00010004") is None
