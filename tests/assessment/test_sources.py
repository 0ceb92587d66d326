"""The catalogue of computed sources: no app activity, values for every target, a fixed
number of queries whatever the number of targets."""

from __future__ import annotations

import datetime as dt

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
