"""Schemes and indicators: weights, thresholds, refused indicators, frozen schemes; nothing
half-written on bad input; every write audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from dangjian.assessment import services
from dangjian.assessment.models import Indicator, Scheme, Target
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from tests.assessment.helpers import draft, full_scheme, organ
from tests.helpers import actions_since, last_seq


def test_a_scheme_targets_the_branches_of_the_subtree_and_is_audited(demo):
    seq = last_seq()
    scheme = draft(demo)
    assert actions_since(seq) == ["create"]
    codes = set(scheme.targets.values_list("organization__code", flat=True))
    assert "FGW-B01" in codes and "FGW-B03" in codes and "CZJ-B01" not in codes


@pytest.mark.parametrize(
    ("kwargs", "field", "text"),
    [
        ({"party": 70, "business": 20}, "business_weight", "之和应为100"),
        ({"grades": [["好", 90], ["较好", 90], ["差", 0]]}, "grades", "重叠"),
        ({"grades": [["好", 80], ["较好", 90], ["差", 0]]}, "grades", "重叠"),
        ({"grades": [["好", 90], ["差", 10]]}, "grades", "最低分应为0"),
    ],
)
def test_bad_schemes_are_refused_and_nothing_written(demo, kwargs, field, text):
    seq = last_seq()
    schemes, targets = Scheme.objects.count(), Target.objects.count()
    with pytest.raises(ServiceValidationError) as caught:
        draft(demo, **kwargs)
    assert text in caught.value.errors[field]
    assert (Scheme.objects.count(), Target.objects.count()) == (schemes, targets)
    assert actions_since(seq) == []


@pytest.mark.parametrize(
    ("title", "source_key"),
    [
        ("党员登录次数", ""),
        ("学习强国积分", ""),
        ("在线学习", "online_time"),
        ("阅读", "reading_time"),
    ],
)
def test_an_indicator_built_on_app_activity_is_refused_with_the_citation(demo, title, source_key):
    scheme = draft(demo)
    seq = last_seq()
    with pytest.raises(ServiceValidationError) as caught:
        services.add_indicator(
            organ(demo),
            scheme,
            title=title,
            part="party",
            weight=10,
            source_kind="computed" if source_key else "manual",
            source_key=source_key,
        )
    message = next(iter(caught.value.errors.values()))
    assert "国办函〔2026〕12号" in message
    assert "《政务移动互联网应用程序规范化管理办法》" in message
    assert "《整治形式主义为基层减负若干规定》" in message
    assert not scheme.indicators.exists() and actions_since(seq) == []


def test_weights_that_do_not_sum_block_publishing(demo):
    scheme = draft(demo)
    actor = organ(demo)
    group = services.add_indicator(
        actor, scheme, title="基本组织生活", part="party", weight=60, source_kind="group"
    )
    services.add_indicator(
        actor,
        scheme,
        title="三会一课",
        parent=group,
        part="party",
        weight=70,
        source_kind="computed",
        source_key="meetings_held",
    )
    with pytest.raises(ServiceValidationError) as caught:
        services.add_indicator(
            actor,
            scheme,
            title="学习",
            parent=group,
            part="party",
            weight=40,
            source_kind="computed",
            source_key="study_coverage",
        )
    assert "最多还能设30" in caught.value.errors["weight"]
    with pytest.raises(ServiceValidationError) as caught:
        services.publish(actor, scheme)
    text = caught.value.errors["weights"]
    assert "党建工作的一级指标权重之和应为100，现为60" in text
    assert "“基本组织生活”的下级指标权重之和应为100，现为70" in text
    assert "还没有业务绩效指标" in text
    scheme.refresh_from_db()
    assert scheme.status == "draft"


def test_a_published_or_frozen_scheme_refuses_changes(demo):
    scheme, _ = full_scheme(demo)
    services.publish(organ(demo), scheme)
    with pytest.raises(ServiceValidationError, match="已发布"):
        services.add_indicator(
            organ(demo), scheme, title="新指标", part="party", weight=1, source_kind="manual"
        )
    services.freeze(organ(demo), scheme)
    count = Indicator.objects.filter(scheme=scheme).count()
    with pytest.raises(ServiceValidationError, match="已冻结"):
        services.add_indicator(
            organ(demo), scheme, title="新指标", part="party", weight=1, source_kind="manual"
        )
    with pytest.raises(ServiceValidationError, match="已冻结"):
        services.freeze(organ(demo), scheme)
    assert Indicator.objects.filter(scheme=scheme).count() == count


def test_only_the_assessing_committee_manages_a_scheme(demo):
    with pytest.raises(PermissionDenied):
        services.create_scheme(
            Actor(user=demo.users["secretary"]),
            demo.branch,
            year=2026,
            title="x",
            target_kind="party_group",
            party_weight=100,
            business_weight=0,
            grades=[["好", 90], ["差", 0]],
        )
    scheme = draft(demo)
    with pytest.raises(PermissionDenied):
        services.publish(Actor(user=demo.users["inspector"]), scheme)


def test_a_description_may_say_what_is_not_measured(demo):
    scheme = draft(demo)
    ind = services.add_indicator(
        organ(demo),
        scheme,
        title="学时达标",
        description="只计会议出勤和培训，不计在线时长",
        part="party",
        weight=10,
        source_kind="computed",
        source_key="study_coverage",
    )
    assert ind.description.endswith("不计在线时长")
