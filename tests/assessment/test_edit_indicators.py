"""Editing indicators in place: freely (within 100 per level) while a draft; while published,
text, maximum and source may change and weights only with each level still summing to 100;
never once frozen. Audited; a refused edit writes nothing; Chinese messages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from dangjian.assessment import scoring, services, services_edit
from dangjian.assessment.models import Indicator
from dangjian.audit.models import AuditEvent
from dangjian.core.errors import ServiceValidationError
from tests.assessment.helpers import full_scheme, organ
from tests.helpers import actions_since, last_seq


def _edit(demo, ind, **changes):
    fields = {
        "title": ind.title,
        "description": ind.description,
        "weight": ind.weight,
        "max_score": ind.max_score,
        "source_key": ind.source_key,
    }
    return services_edit.edit_indicator(organ(demo), ind, **{**fields, **changes})


def test_a_draft_indicator_is_edited_in_place_and_audited(demo):
    scheme, ind = full_scheme(demo)
    seq = last_seq()
    _edit(
        demo,
        ind["meetings"],
        title="组织生活制度落实",
        description="三会一课按期召开",
        weight="35",
        source_key="work_on_time",
    )
    edited = Indicator.objects.get(pk=ind["meetings"].pk)
    assert (edited.title, edited.description, edited.weight, edited.source_key) == (
        "组织生活制度落实",
        "三会一课按期召开",
        Decimal("35"),
        "work_on_time",
    )
    assert actions_since(seq) == ["update"]
    event = AuditEvent.objects.latest("seq")
    assert event.changes["weight"] == ["40.00", "35.00"]
    assert event.changes["source_key"] == ["meetings_held", "work_on_time"]
    # A draft's level may fall below 100 but not exceed it.
    with pytest.raises(ServiceValidationError, match="不能超过100，修改后为105"):
        _edit(demo, ind["dues"], weight="40")
    with pytest.raises(ServiceValidationError, match="国办函〔2026〕12号"):
        _edit(demo, ind["manual"], title="学习强国积分")
    with pytest.raises(ServiceValidationError, match="请从数据来源目录中选择"):
        _edit(demo, ind["dues"], source_key="logbook")
    with pytest.raises(ServiceValidationError, match="权重应大于0且不超过100"):
        _edit(demo, ind["dues"], weight="0")
    assert Indicator.objects.get(pk=ind["dues"].pk).weight == Decimal("30")
    assert actions_since(seq) == ["update"]


def test_published_weights_change_only_together_and_the_score_follows(demo):
    scheme, ind = full_scheme(demo)
    services.publish(organ(demo), scheme)
    target = scheme.targets.get(organization=demo.branch)
    before = scoring.results(scheme, [target])[0]
    seq = last_seq()
    with pytest.raises(ServiceValidationError, match="同一层级的权重之和须保持100"):
        _edit(demo, ind["meetings"], weight="50")
    assert Indicator.objects.get(pk=ind["meetings"].pk).weight == Decimal("40")
    with pytest.raises(ServiceValidationError, match="须保持100"):
        services_edit.reweigh(organ(demo), scheme, {ind["meetings"].pk: "50"})
    assert actions_since(seq) == []
    changed = services_edit.reweigh(
        organ(demo), scheme, {ind["meetings"].pk: "20", ind["manual"].pk: "50"}
    )
    assert changed == 2 and actions_since(seq) == ["update"]
    after = scoring.results(scheme, [target])[0]
    weights = {line.indicator.pk: line.indicator.weight for line in after.lines}
    assert weights[ind["meetings"].pk] == Decimal("20") and weights[ind["manual"].pk] == 50
    assert after.party != before.party  # the manual item (0 so far) now weighs more
    # Text and maximum change while published; a maximum below a score entered is refused.
    services.score_manual(organ(demo), target, ind["manual"], score="8", comment="有特色")
    with pytest.raises(ServiceValidationError, match="已有得分8高于新的满分5，请先修改"):
        _edit(demo, Indicator.objects.get(pk=ind["manual"].pk), max_score="5")
    _edit(demo, Indicator.objects.get(pk=ind["manual"].pk), description="创建特色品牌")
    assert Indicator.objects.get(pk=ind["manual"].pk).description == "创建特色品牌"


def test_nothing_is_edited_once_frozen(demo):
    scheme, ind = full_scheme(demo)
    services.publish(organ(demo), scheme)
    services.freeze(organ(demo), scheme)
    seq = last_seq()
    with pytest.raises(ServiceValidationError, match="已冻结"):
        _edit(demo, ind["meetings"], title="改名")
    with pytest.raises(ServiceValidationError, match="已冻结"):
        services_edit.reweigh(organ(demo), scheme, {ind["meetings"].pk: "40"})
    assert actions_since(seq) == []
    assert Indicator.objects.get(pk=ind["meetings"].pk).title == "组织生活"


def test_the_committee_edits_through_the_page(demo, client_for):
    scheme, ind = full_scheme(demo)
    services.publish(organ(demo), scheme)
    client = client_for(demo.users["organ"])
    detail = reverse("assessment:detail", args=[scheme.pk])
    assert "修改指标（已发布，冻结前可改）" in client.get(detail).content.decode()
    response = client.post(
        reverse("assessment:indicator_edit", args=[ind["dues"].pk]),
        {"title": "党费按月交纳", "weight": "30", "max_score": "100", "source_key": "dues_on_time"},
        follow=True,
    )
    assert "已修改指标" in response.content.decode()
    assert Indicator.objects.get(pk=ind["dues"].pk).title == "党费按月交纳"
    response = client.post(
        reverse("assessment:reweigh", args=[scheme.pk]),
        {f"weight_{ind['dues'].pk}": "10"},
        follow=True,
    )
    assert "须保持100" in response.content.decode()
    assert Indicator.objects.get(pk=ind["dues"].pk).weight == Decimal("30")
