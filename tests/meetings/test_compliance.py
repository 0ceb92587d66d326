"""Compliance findings from the records: stability, local packs, period boundaries through the
database, constant query counts, roll-ups, scope, explanations, the CLI and the API."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.accounts.services import create_token
from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.audit.services import Actor
from dangjian.demo.meetings import generate_meetings
from dangjian.demo.people import PeopleBuilder as _Builder
from dangjian.meetings import findings as compliance
from dangjian.meetings import services
from dangjian.meetings.models import FindingExplanation, Meeting, MeetingStatus
from dangjian.members import services as member_services
from dangjian.members.models import Member
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Organization, OrgKind, PostKind
from dangjian.orgs.services import create_organization
from dangjian.regulations.periods import TZ
from tests.conftest import TODAY
from tests.helpers import last_seq

OK, AT_RISK, VIOLATED, PENDING = "ok", "at_risk", "violated", "pending"
GENERAL = "general_meeting_freq"
THEME = "theme_party_day"
LOCAL_LECTURE = "party_lecture_branch_quarterly"
# Meetings of earlier months recorded now are 补录 (more than 7 days late): they need a reason.
BACKFILL = {"backfill_reason": "纸质记录整理后补录"}


@pytest.fixture(autouse=True)
def rules(settings):
    """The demo's packs (national + the bundled sample), and no page cache between requests."""
    settings.DANGJIAN_RULE_PACKS = ["bundled:sample_local"]
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 0
    compliance.clear_cache()
    yield
    compliance.clear_cache()


def status_of(report, org, rule_id: str, period: str) -> str:
    found = report.finding(org.pk, rule_id, period)
    assert found is not None, (org.code, rule_id, period)
    return found.status


def new_branch(code: str, parent_code: str = "FGW-JGDW") -> Organization:
    parent = Organization.objects.get(code=parent_code)
    return create_organization(
        Actor.system("test"),
        parent,
        name=f"测试{code}党支部",
        kind=OrgKind.BRANCH,
        code=code,
        founded_on=dt.date(2020, 1, 1),
    )


def held(org: Organization, kind: str, *days: dt.date) -> list[Meeting]:
    return [
        Meeting.objects.create(
            organization=org,
            kind=kind,
            topic="测试会议",
            starts_at=dt.datetime.combine(day, dt.time(15, 0), tzinfo=TZ),
            status=MeetingStatus.HELD,
            held_on=day,
        )
        for day in days
    ]


# ---- stability and local packs ---------------------------------------------------------------


def test_findings_for_a_past_year_are_identical_when_recomputed_later(demo):
    root = demo.organ_committee

    first = compliance.report_json(compliance.compute(root, 2025, today=TODAY))
    again = compliance.report_json(compliance.compute(root, 2025, today=TODAY))
    next_spring = compliance.report_json(compliance.compute(root, 2025, today=dt.date(2027, 3, 1)))

    assert first == again == next_spring
    statuses = {
        f["status"]
        for org in first["organizations"]
        for f in org["findings"]
        if f["column"] == GENERAL
    }
    assert PENDING not in statuses and AT_RISK not in statuses  # a past year is all decided
    assert first["summary"]["findings"]["ok"] > 0


def test_a_local_pack_overriding_a_national_rule_changes_the_finding(demo, settings, tmp_path):
    national = compliance.compute(demo.branch, 2026, today=TODAY)
    q1 = national.finding(demo.branch.pk, GENERAL, "2026-Q1")
    assert (q1.status, q1.facts["held"], q1.facts["source"]) == (OK, 1, "national")
    assert q1.explainable is False

    pack = tmp_path / "twice.toml"
    pack.write_text(
        '[pack]\nid = "twice"\ntitle = "测试：党员大会每季度两次"\n\n'
        '[[rules]]\nid = "general_meeting_freq"\nminimum = 2\nseverity = "error"\n'
        'reason = "本地要求每季度召开两次"\n',
        encoding="utf-8",
    )
    settings.DANGJIAN_RULE_PACKS = ["bundled:sample_local", str(pack)]

    local = compliance.compute(demo.branch, 2026, today=TODAY)
    q1 = local.finding(demo.branch.pk, GENERAL, "2026-Q1")

    assert q1.status == VIOLATED
    assert q1.severity == "error"
    assert q1.facts["source"] == "twice"
    assert q1.message == "2026年第1季度支部党员大会应不少于2次，实际1次"
    assert q1.explainable is False  # an error-level rule takes no explanation
    assert local.rules.pack_ids == ("national", "sample_local", "twice")


def test_the_sample_local_pack_adds_a_quarterly_party_lecture_for_branches(demo, settings):
    with_sample = compliance.compute(demo.branch, 2026, today=TODAY)
    settings.DANGJIAN_RULE_PACKS = []
    national_only = compliance.compute(demo.branch, 2026, today=TODAY)

    lecture = with_sample.finding(demo.branch.pk, LOCAL_LECTURE, "2026-Q1")
    assert lecture.citation == "《示范市直属机关党建工作实施细则（示例）》"
    assert national_only.finding(demo.branch.pk, LOCAL_LECTURE, "2026-Q1") is None
    assert LOCAL_LECTURE not in {c.key for c in national_only.columns}


# ---- period boundaries through the database ----------------------------------------------------

QUARTER_TABLE = [
    # (meetings held on, computed on, Q1 status, Q2 status)
    ([dt.date(2026, 3, 31)], dt.date(2026, 4, 1), OK, PENDING),
    ([dt.date(2026, 4, 1)], dt.date(2026, 4, 2), VIOLATED, OK),
    ([dt.date(2026, 1, 1)], dt.date(2026, 1, 1), OK, PENDING),
    ([], dt.date(2026, 2, 28), PENDING, PENDING),  # 31 days left: not yet at risk
    ([], dt.date(2026, 3, 1), AT_RISK, PENDING),  # 30 days left
    ([], dt.date(2026, 3, 31), AT_RISK, PENDING),  # the last day still counts
    ([], dt.date(2026, 4, 1), VIOLATED, PENDING),
    # A meeting recorded for a day after `today` cannot have been held yet.
    ([dt.date(2026, 3, 31)], dt.date(2026, 3, 30), AT_RISK, PENDING),
]


@pytest.mark.parametrize(("days", "today", "q1", "q2"), QUARTER_TABLE)
def test_the_quarterly_general_meeting_at_the_quarter_boundary(demo, days, today, q1, q2):
    branch = new_branch("TB-Q")
    held(branch, "general_meeting", *days)

    report = compliance.compute(branch, 2026, today=today)

    assert status_of(report, branch, GENERAL, "2026-Q1") == q1
    assert status_of(report, branch, GENERAL, "2026-Q2") == q2


LEAP_TABLE = [
    ([dt.date(2024, 2, 29)], dt.date(2024, 3, 1), OK),
    ([], dt.date(2024, 2, 29), AT_RISK),
    ([], dt.date(2024, 3, 1), VIOLATED),
    ([dt.date(2024, 3, 1)], dt.date(2024, 3, 2), VIOLATED),
]


@pytest.mark.parametrize(("days", "today", "february"), LEAP_TABLE)
def test_the_monthly_theme_day_in_a_leap_february(demo, days, today, february):
    branch = new_branch("TB-LEAP")
    held(branch, "theme_day", *days)

    report = compliance.compute(branch, 2024, today=today)

    assert status_of(report, branch, THEME, "2024-02") == february


@pytest.mark.parametrize(
    ("starts_at", "q1", "q2"),
    [
        ("2026-03-31T23:59:00+08:00", OK, PENDING),  # 15:59 UTC on 31 March
        ("2026-03-31T16:00:00+00:00", VIOLATED, OK),  # 00:00 on 1 April in Beijing
        ("2026-03-31 23:59", OK, PENDING),  # wall-clock time as typed on the page
    ],
)
def test_a_meeting_recorded_near_midnight_counts_in_the_beijing_quarter(demo, starts_at, q1, q2):
    branch = new_branch("TB-MID")
    actor = Actor(user=demo.users["organ"])
    meeting = services.plan_meeting(
        actor, branch, {"kind": "general_meeting", "starts_at": starts_at, "topic": "季度党员大会"}
    )
    services.record_meeting(actor, meeting, attendance={}, minutes=BACKFILL)

    report = compliance.compute(branch, 2026, today=dt.date(2026, 5, 1))

    assert status_of(report, branch, GENERAL, "2026-Q1") == q1
    assert status_of(report, branch, GENERAL, "2026-Q2") == q2


def test_the_facts_name_the_meetings_behind_each_figure(demo):
    branch = new_branch("TB-FACTS")
    march = held(branch, "general_meeting", dt.date(2026, 3, 2), dt.date(2026, 3, 30))
    held(branch, "theme_day", dt.date(2026, 3, 5))  # another kind: not behind this figure
    Meeting.objects.create(
        organization=branch,
        kind="general_meeting",
        topic="计划中",
        starts_at=dt.datetime(2026, 3, 20, 9, tzinfo=TZ),
    )  # planned, never held

    finding = compliance.compute(branch, 2026, today=TODAY).finding(branch.pk, GENERAL, "2026-Q1")

    assert finding.facts["held"] == 2
    assert finding.meeting_ids == [m.pk for m in march]
    assert finding.facts["dates"] == ["2026-03-02", "2026-03-30"]
    assert finding.facts["meeting_ids"] == [m.pk for m in march]


# ---- query counts ------------------------------------------------------------------------------


def _subtree(code: str, branches: int, seed: int) -> Organization:
    """A general branch with `branches` branches, members and three years of meetings."""
    actor = Actor.system("test")
    committee = Organization.objects.get(code="FGW-JGDW")
    general = create_organization(
        actor,
        committee,
        name=f"测试{code}党总支",
        kind=OrgKind.GENERAL_BRANCH,
        code=code,
        founded_on=dt.date(2020, 1, 1),
    )
    builder = _Builder(__import__("random").Random(seed), TODAY)
    builder.used_ids.update(m.id_number for m in Member.objects.all())
    for n in range(branches):
        branch = create_organization(
            actor,
            general,
            name=f"测试{n}党支部",
            kind=OrgKind.BRANCH,
            code=f"{code}-B{n:02d}",
            founded_on=dt.date(2020, 1, 1),
        )
        Member.objects.bulk_create(
            [builder.person(branch, retired=False, probationary=False) for _ in range(8)]
        )
    generate_meetings([general], today=TODAY, seed=seed)
    return Organization.objects.get(pk=general.pk)


@pytest.fixture
def small_and_large(demo):
    return _subtree("TQ3", 3, 1), _subtree("TQ30", 30, 2)


def _queries(work) -> int:
    with CaptureQueriesContext(connection) as captured:
        work()
    return len(captured)


def test_the_computation_makes_as_many_queries_for_30_branches_as_for_3(small_and_large):
    small, large = small_and_large
    compliance.compute(small, 2026, today=TODAY)  # the packs are read and synced once

    n_small = _queries(lambda: compliance.compute(small, 2026, today=TODAY).rollups)
    n_large = _queries(lambda: compliance.compute(large, 2026, today=TODAY).rollups)

    assert n_small == n_large
    report = compliance.compute(large, 2026, today=TODAY)
    assert len([o for o in report.orgs if o.kind == OrgKind.BRANCH]) == 30
    assert report.meetings_counted > 30 * 20


def test_the_findings_page_makes_as_many_queries_for_30_branches_as_for_3(
    small_and_large, demo, client_for
):
    small, large = small_and_large
    client = client_for(demo.users["organ"])
    url = reverse("compliance:findings")
    client.get(url, {"org": small.code, "year": 2026})  # warm: session, packs

    with CaptureQueriesContext(connection) as few:
        first = client.get(url, {"org": small.code, "year": 2026})
    with CaptureQueriesContext(connection) as many:
        second = client.get(url, {"org": large.code, "year": 2026})

    assert first.status_code == second.status_code == 200
    branches = [
        [r for r in page.context["rows"] if r["org"].kind == OrgKind.BRANCH]
        for page in (first, second)
    ]
    assert (len(branches[0]), len(branches[1])) == (3, 30)
    assert len(few) == len(many)


def test_the_cached_findings_page_makes_as_many_queries_for_30_branches_as_for_3(
    small_and_large, demo, client_for, settings
):
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 600
    small, large = small_and_large
    client = client_for(demo.users["organ"])
    url = reverse("compliance:findings")
    for org in (small, large):
        client.get(url, {"org": org.code, "year": 2026})  # fill the cache

    with CaptureQueriesContext(connection) as few:
        client.get(url, {"org": small.code, "year": 2026})
    with CaptureQueriesContext(connection) as many:
        client.get(url, {"org": large.code, "year": 2026})

    assert len(few) == len(many)


def test_the_branch_page_makes_as_many_queries_with_party_groups_as_without(demo, client_for):
    client = client_for(demo.users["organ"])
    with_groups = Organization.objects.get(code="FGW-B01")  # two party groups
    without = Organization.objects.get(code="FGW-B03")  # none
    assert Organization.objects.filter(path__startswith=with_groups.path).count() == 3
    client.get(reverse("compliance:org", kwargs={"pk": without.pk}), {"year": 2026})

    n_groups = _queries(
        lambda: client.get(reverse("compliance:org", kwargs={"pk": with_groups.pk}), {"year": 2026})
    )
    n_plain = _queries(
        lambda: client.get(reverse("compliance:org", kwargs={"pk": without.pk}), {"year": 2026})
    )

    assert n_groups == n_plain


# ---- roll-ups ----------------------------------------------------------------------------------


def test_counts_roll_up_the_tree(demo):
    actor = Actor.system("test")
    general = create_organization(
        actor,
        Organization.objects.get(code="FGW-JGDW"),
        name="测试党总支",
        kind=OrgKind.GENERAL_BRANCH,
        code="TR-ZZ",
        founded_on=dt.date(2020, 1, 1),
    )
    every, never, once_short = (new_branch(f"TR-B{n}", "TR-ZZ") for n in (1, 2, 3))
    months = [dt.date(2025, m, 10) for m in range(1, 13)]
    held(every, "theme_day", *months)
    held(once_short, "theme_day", *months[:4], *months[5:])  # May missed

    report = compliance.compute(general, 2025, today=TODAY)
    rollups = report.rollups

    column = dict(rollups[general.pk].column(THEME))
    assert column == {VIOLATED: 2, OK: 1}
    own = {b.code: report.cell(b.pk, THEME) for b in (every, never, once_short)}
    assert own["TR-B1"].counts[OK] == 12
    assert own["TR-B2"].counts[VIOLATED] == 12
    assert (own["TR-B3"].counts[OK], own["TR-B3"].counts[VIOLATED]) == (11, 1)
    # Each organization's tally is its own findings plus everything below it.
    for org in (general, every, never, once_short):
        below = [o for o in report.orgs if o.path.startswith(org.path)]
        expected = [0, 0, 0, 0]
        for o in below:
            for key in (c.key for c in report.columns):
                cell = report.cell(o.id, key)
                if cell:
                    expected = [a + b for a, b in zip(expected, cell.tally, strict=True)]
        assert rollups[org.pk].tally == expected
    assert rollups[general.pk].organizations == 4
    # The page's one-pass totals agree with the full roll-up.
    fresh = compliance.compute(general, 2025, today=TODAY)
    tops = fresh.top_rollups
    assert set(tops) == {general.pk, every.pk, never.pk, once_short.pk}
    for org_id, top in tops.items():
        assert (top.tally, top.columns, top.organizations) == (
            rollups[org_id].tally,
            rollups[org_id].columns,
            rollups[org_id].organizations,
        )
    # The general branch's parent sees the new subtree in its own counts.
    organ = compliance.compute(demo.organ_committee, 2025, today=TODAY)
    organ_theme = dict(organ.rollups[demo.organ_committee.pk].column(THEME))
    assert organ_theme[VIOLATED] >= 2


def test_the_pages_one_pass_totals_match_the_full_roll_up_in_a_deep_tree(demo):
    root = Organization.objects.get(code="GW")  # 机关工委 → 党组 → 机关党委 → 党总支 → 支部 → 小组
    tops = compliance.compute(root, 2026, today=TODAY).top_rollups
    full = compliance.compute(root, 2026, today=TODAY).rollups

    assert len(tops) == 4
    for org_id, top in tops.items():
        assert (top.tally, top.columns, top.organizations, top.explained) == (
            full[org_id].tally,
            full[org_id].columns,
            full[org_id].organizations,
            full[org_id].explained,
        )
    assert tops[root.pk].organizations == Organization.objects.count()


def test_the_findings_page_shows_the_subtree_counts_and_the_citations(demo, client_for):
    response = client_for(demo.users["organ"]).get(
        reverse("compliance:findings"), {"org": "FGW-JGDW", "year": 2026}
    )

    assert response.status_code == 200
    html = response.content.decode()
    rows = {row["org"].code: row for row in response.context["rows"]}
    assert {"FGW-B01", "FGW-B02", "FGW-ZZ"} <= set(rows)
    assert rows["FGW-ZZ"]["has_children"] is True
    keys = [c.key for c in response.context["report"].columns]
    general = rows["FGW-B01"]["cells"][keys.index(GENERAL)]
    assert (general["status"], general["label"]) == (VIOLATED, "未达标")
    # Not by colour alone: the icon and the word are in the cell.
    assert "✖" in html and "未达标" in html and "符合要求" in html
    assert "《中国共产党支部工作条例（试行）》第十一条" in html
    # The packs by their titles, not their internal ids (issue 18).
    assert "适用规则包：全国通用规则" in html and "national" not in html


# ---- scope -------------------------------------------------------------------------------------


def test_a_secretary_cannot_see_the_sibling_branchs_findings(demo, client_for):
    client = client_for(demo.users["secretary"])
    sibling = demo.sibling_branch

    assert client.get(reverse("compliance:org", kwargs={"pk": sibling.pk})).status_code == 404
    page = client.get(reverse("compliance:findings"), {"org": sibling.code})
    assert page.status_code == 404
    own = client.get(reverse("compliance:findings"), {"year": 2026})
    assert own.status_code == 200
    assert own.context["org"] == demo.branch
    assert sibling.name not in own.content.decode()


def test_the_inspector_reads_findings_but_cannot_explain_them(demo, client_for):
    client = client_for(demo.users["inspector"])
    url = reverse("compliance:org", kwargs={"pk": demo.branch.pk})
    assert client.get(url, {"year": 2026}).status_code == 200
    last = last_seq()

    response = client.post(
        reverse("compliance:explain", kwargs={"pk": demo.branch.pk}),
        {"rule_id": GENERAL, "period": "2026-Q3", "reason": "纪检代为说明"},
    )

    assert response.status_code == 403
    assert not FindingExplanation.objects.exists()
    assert (
        not AuditEvent.objects.filter(seq__gt=last).exclude(action__in=["login", "denied"]).exists()
    )


def _streak_and_lapse_members(demo) -> tuple[Member, Member]:
    members = list(Member.objects.filter(organization=demo.branch).order_by("pk"))
    return members[-2], members[-1]


def test_member_signals_name_people_only_for_the_roles_the_issue_names(demo, client_for):
    streak, lapse = _streak_and_lapse_members(demo)
    url = reverse("compliance:org", kwargs={"pk": demo.branch.pk})

    secretary = client_for(demo.users["secretary"]).get(url).content.decode()
    organ = client_for(demo.users["organ"]).get(url).content.decode()
    inspector = client_for(demo.users["inspector"]).get(url).content.decode()

    assert f"{streak.name}自" in secretary and "无故缺席" in secretary
    assert f"{lapse.name}已连续" in secretary and "党章第九条" in secretary
    # The organ committee is warned of the lapse, but not shown the absence streak.
    assert f"{lapse.name}已连续" in organ
    assert f"{streak.name}自" not in organ and "无故缺席组织生活" not in organ
    # Discipline inspection reads the branch's findings, never the members' signals.
    assert lapse.name not in inspector and streak.name not in inspector


def test_no_member_is_named_in_the_matrix_or_the_api(demo, client_for):
    names = set(Member.objects.filter(organization=demo.branch).values_list("name", flat=True))
    page = client_for(demo.users["secretary"]).get(reverse("compliance:findings"), {"year": 2026})
    token = create_token(Actor.system("test"), demo.users["secretary"], "test")
    api = client_for(None).get(
        "/api/v1/compliance",
        {"org": "FGW-B01", "year": 2026},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert page.status_code == api.status_code == 200
    body = page.content.decode().replace(demo.users["secretary"].display_name, "")
    assert not [n for n in names if n in body]
    assert not [n for n in names if n in api.content.decode()]


def test_member_signals_follow_the_demo_story(demo):
    streak, lapse = _streak_and_lapse_members(demo)

    signals = compliance.member_signals(demo.branch, today=TODAY)

    assert [s.member_id for s in signals.streaks] == [streak.pk]
    assert signals.streaks[0].facts["count"] >= 3
    assert [s.member_id for s in signals.lapses] == [lapse.pk]
    assert signals.lapses[0].severity == "warning"
    assert signals.lapses[0].citation == "《中国共产党章程》第九条"
    # Leave is not attendance: the member on leave for five months is near the six-month line.
    assert signals.lapses[0].facts["months_without"] in (4, 5)


# ---- explanations ------------------------------------------------------------------------------


def test_a_secretary_explains_a_warning_and_it_is_audited(demo, client_for):
    client = client_for(demo.users["secretary"])
    last = last_seq()

    response = client.post(
        reverse("compliance:explain", kwargs={"pk": demo.branch.pk}),
        {"rule_id": GENERAL, "period": "2026-Q3", "reason": "书记参加集中培训，党员大会顺延至10月"},
    )

    assert response.status_code == 302
    saved = FindingExplanation.objects.get()
    assert (saved.organization, saved.rule_id, saved.period_key) == (
        demo.branch,
        GENERAL,
        "2026-Q3",
    )
    assert saved.explained_by == demo.users["secretary"]
    event = AuditEvent.objects.get(seq__gt=last, object_type="meetings.findingexplanation")
    assert event.action == AuditAction.CREATE
    assert event.actor == demo.users["secretary"]
    assert event.changes["reason"] == [None, "书记参加集中培训，党员大会顺延至10月"]

    page = client.get(reverse("compliance:org", kwargs={"pk": demo.branch.pk}), {"year": 2026})
    assert "情况说明：书记参加集中培训，党员大会顺延至10月" in page.content.decode()
    report = compliance.compute(demo.branch, 2026, today=TODAY)
    finding = report.finding(demo.branch.pk, GENERAL, "2026-Q3")
    assert finding.status == VIOLATED  # explained, still a finding
    assert finding.explanation.reason == "书记参加集中培训，党员大会顺延至10月"
    assert report.rollups[demo.branch.pk].explained == 1


def test_changing_an_explanation_records_before_and_after(demo):
    actor = Actor(user=demo.users["secretary"])
    compliance.explain_finding(
        actor, demo.branch, rule_id=GENERAL, period_key="2026-Q3", reason="初稿"
    )
    last = last_seq()

    compliance.explain_finding(
        actor, demo.branch, rule_id=GENERAL, period_key="2026-Q3", reason="定稿"
    )

    event = AuditEvent.objects.get(seq__gt=last)
    assert event.action == AuditAction.UPDATE
    assert event.changes == {"reason": ["初稿", "定稿"]}
    assert FindingExplanation.objects.get().reason == "定稿"


@pytest.mark.parametrize(
    ("code", "rule_id", "period", "message"),
    [
        # An error-level rule (主题党日 "每月", no "一般") takes no explanation.
        ("FGW-B02", THEME, "2026-04", "只有“一般”性规定的提示（警告级）可以填写情况说明"),
        # Nothing to explain where the rule was met.
        ("FGW-B01", GENERAL, "2026-Q1", "只有“一般”性规定的提示（警告级）可以填写情况说明"),
        ("FGW-B01", "no_such_rule", "2026-Q1", "没有找到该检查结果"),
    ],
)
def test_only_warnings_can_be_explained(demo, client_for, code, rule_id, period, message):
    org = Organization.objects.get(code=code)
    client = client_for(demo.users["organ"])

    response = client.post(
        reverse("compliance:explain", kwargs={"pk": org.pk}),
        {"rule_id": rule_id, "period": period, "reason": "理由"},
        follow=True,
    )

    assert response.status_code == 200
    assert message in [str(m) for m in response.context["messages"]]
    assert not FindingExplanation.objects.exists()


def test_an_empty_reason_is_refused(demo):
    from dangjian.core.errors import ServiceValidationError

    with pytest.raises(ServiceValidationError) as refused:
        compliance.explain_finding(
            Actor(user=demo.users["secretary"]),
            demo.branch,
            rule_id=GENERAL,
            period_key="2026-Q3",
            reason="  ",
        )
    assert refused.value.errors == {"reason": "请填写情况说明"}


# ---- the cache ---------------------------------------------------------------------------------


def test_the_cached_page_follows_an_audited_change(demo, client_for, settings):
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 600
    client = client_for(demo.users["secretary"])
    url = reverse("compliance:findings")

    before = client.get(url, {"year": 2026}).context["summary"].explained
    compliance.explain_finding(
        Actor(user=demo.users["secretary"]),
        demo.branch,
        rule_id=GENERAL,
        period_key="2026-Q3",
        reason="已补开",
    )
    after = client.get(url, {"year": 2026}).context["summary"].explained

    assert (before, after) == (0, 1)


def _page_figures(report) -> tuple:
    """Everything the findings page shows of a report, comparable across computations."""
    return (
        [(o.id, o.code, o.members, o.full_members, o.committee_size) for o in report.orgs],
        {
            org_id: {key: (tuple(c.tally), c.worst, c.explained) for key, c in cells.items()}
            for org_id, cells in report._cells_by_org.items()
        },
        {
            org_id: (r.tally, r.explained, r.organizations, r.columns)
            for org_id, r in report.top_rollups.items()
        },
        [c.key for c in report.columns],
        report.meetings_counted,
    )


def _full(root: Organization):
    return compliance.compute(root, 2026, today=TODAY).summary_only()


def _record_theme_day(branch: Organization, day: str = "2026-03-05 15:00") -> Meeting:
    actor = Actor.system("test")
    meeting = services.plan_meeting(
        actor, branch, {"kind": "theme_day", "starts_at": day, "topic": "主题党日"}
    )
    services.record_meeting(actor, meeting, attendance={}, minutes=BACKFILL)
    return meeting


@pytest.fixture
def two_branches(demo, settings):
    """Branches A and B (no meetings yet) under the 机关党委, and the page cache on."""
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 600
    return new_branch("TB-CA"), new_branch("TB-CB")


def test_a_recorded_meeting_updates_its_branch_as_a_full_computation_would(demo, two_branches):
    a, _ = two_branches
    root = demo.organ_committee
    before = compliance.cached_report(root, 2026, today=TODAY)
    march_violated = before.cell(a.pk, THEME).counts[VIOLATED]

    _record_theme_day(a)
    after = compliance.cached_report(root, 2026, today=TODAY)

    assert after is not before
    assert after.cell(a.pk, THEME).counts[VIOLATED] == march_violated - 1
    assert after.meetings_counted == before.meetings_counted + 1
    assert _page_figures(after) == _page_figures(_full(root))


def test_only_the_branch_written_to_is_read_again(demo, two_branches):
    a, b = two_branches
    root = demo.organ_committee
    before = compliance.cached_report(root, 2026, today=TODAY)

    _record_theme_day(a)
    with CaptureQueriesContext(connection) as captured:
        after = compliance.cached_report(root, 2026, today=TODAY)

    # Every other organization keeps the very cells and record it had: not read, not evaluated.
    others = [o.id for o in before.orgs if o.id != a.pk]
    assert all(after._cells_by_org[i] is before._cells_by_org[i] for i in others)
    assert all(after.by_id[i] is before.by_id[i] for i in others)
    assert after._cells_by_org[a.pk] is not before._cells_by_org[a.pk]
    # The organizations re-read are named by id (A only), not found by the subtree's path.
    # (Other contributors may join an organization to name it, e.g. a transfer's destination.)
    # (Quoted "…" on SQLite and PostgreSQL, `…` on MariaDB.)
    reads_orgs = re.compile(r"""FROM [`"]?orgs_organization[`"]?(\s|$)""")
    read = [q["sql"] for q in captured if reads_orgs.search(q["sql"].split("WHERE")[0])]
    assert len(read) == 1
    assert str(a.pk) in read[0].split("WHERE")[1] and str(b.pk) not in read[0].split("WHERE")[1]
    assert root.path not in read[0]


def test_a_write_elsewhere_keeps_the_cached_report(demo, two_branches):
    root = demo.organ_committee
    before = compliance.cached_report(root, 2026, today=TODAY)

    _record_theme_day(demo.other_branch)  # another department: outside this subtree
    secretary = Actor(user=demo.users["secretary"])
    member_services.reveal(secretary, demo.member_in_branch, "phone")  # audited, but a read

    assert AuditEvent.objects.filter(action=AuditAction.REVEAL).exists()
    assert compliance.cached_report(root, 2026, today=TODAY) is before


def test_member_post_explanation_and_meeting_writes_are_each_traced(demo, two_branches):
    a, b = two_branches
    root = demo.organ_committee
    actor = Actor.system("test")
    before = compliance.cached_report(root, 2026, today=TODAY)
    moved = Member.objects.filter(organization=demo.sibling_branch, status="full").first()

    moved = member_services.move_member(actor, moved, b, reason="调动")  # B gains, sibling loses
    org_services.add_post(actor, b, moved, PostKind.SECRETARY, dt.date(2026, 1, 1))
    compliance.explain_finding(
        Actor(user=demo.users["secretary"]),
        demo.branch,
        rule_id=GENERAL,
        period_key="2026-Q3",
        reason="已补开",
    )
    _record_theme_day(a)
    after = compliance.cached_report(root, 2026, today=TODAY)

    changed = {a.pk, b.pk, demo.sibling_branch.pk, demo.branch.pk}
    # A member moved: the 机关党委 and 总支 above count their subtree's members (the 机关
    # thresholds), so they are read again too.
    written = (a, b, demo.sibling_branch, demo.branch)
    changed |= {
        o.id
        for o in before.orgs
        if o.kind in ("organ_committee", "general_branch")
        and any(w.path.startswith(o.path) for w in written)
    }
    assert root.pk in changed
    assert all(
        after._cells_by_org[i] is before._cells_by_org[i]
        for i in before._cells_by_org
        if i not in changed
    )
    assert (after.by_id[b.pk].members, after.by_id[b.pk].committee_size) == (1, 1)
    assert after.top_rollups[root.pk].explained == before.top_rollups[root.pk].explained + 1
    assert _page_figures(after) == _page_figures(_full(root))


def _rollups_as_served(report) -> str:
    """Every roll-up as the API serves it (key order included) and the page's top roll-ups."""
    top = {i: r.as_dict() for i, r in report.top_rollups.items()}
    return json.dumps([compliance.report_json(report, findings=False), top], ensure_ascii=False)


def test_a_refresh_carries_the_rollups_and_changes_only_the_written_branchs_ancestors(
    demo, two_branches
):
    a, _ = two_branches
    root = demo.organ_committee
    before = compliance.cached_report(root, 2026, today=TODAY)
    compliance.report_json(before, findings=False)  # the API's per-organization roll-ups

    _record_theme_day(a)
    after = compliance.cached_report(root, 2026, today=TODAY)

    assert _rollups_as_served(after) == _rollups_as_served(_full(root))
    # Carried, not summed again: the roll-ups of organizations the write did not reach are the
    # very objects of the report before; the branch's and its ancestors' are new.
    ancestors = {o.id for o in before.orgs if a.path.startswith(o.path)}
    assert ancestors >= {a.pk, root.pk}
    assert {i for i in before.rollups if after.rollups[i] is not before.rollups[i]} == ancestors
    assert {i for i in before.top_rollups if after.top_rollups[i] is not before.top_rollups[i]} == {
        o.id for o in before.orgs if o.id in ancestors and o.depth <= root.depth + 1
    }
    # The report before is left as it was (another thread may be serving it).
    assert before.rollups[a.pk].tally != after.rollups[a.pk].tally


def test_rollups_carried_over_several_writes_match_a_full_computation(demo, two_branches):
    a, b = two_branches
    root = demo.organ_committee
    actor = Actor.system("test")
    compliance.report_json(compliance.cached_report(root, 2026, today=TODAY), findings=False)
    moved = Member.objects.filter(organization=demo.sibling_branch, status="full").first()

    _record_theme_day(a)
    compliance.report_json(compliance.cached_report(root, 2026, today=TODAY), findings=False)
    moved = member_services.move_member(actor, moved, b, reason="调动")
    org_services.add_post(actor, b, moved, PostKind.SECRETARY, dt.date(2026, 1, 1))
    compliance.explain_finding(
        Actor(user=demo.users["secretary"]),
        demo.branch,
        rule_id=GENERAL,
        period_key="2026-Q3",
        reason="已补开",
    )
    after = compliance.cached_report(root, 2026, today=TODAY)
    assert _rollups_as_served(after) == _rollups_as_served(_full(root))
    assert after.top_rollups[root.pk].explained == 1

    _record_theme_day(b, "2026-04-09 15:00")
    latest = compliance.cached_report(root, 2026, today=TODAY)
    assert latest is not after
    assert _rollups_as_served(latest) == _rollups_as_served(_full(root))


def test_a_second_report_holding_the_written_branch_takes_the_first_ones_reading(
    demo, two_branches
):
    """The 机关工委's report and a department's both hold the branch written to: the process
    reads and judges it once for both."""
    a, _ = two_branches
    department, whole = demo.organ_committee, Organization.objects.get(code="GW")
    compliance.cached_report(department, 2026, today=TODAY)
    compliance.cached_report(whole, 2026, today=TODAY)

    _record_theme_day(a)
    first = compliance.cached_report(department, 2026, today=TODAY)
    with CaptureQueriesContext(connection) as captured:
        second = compliance.cached_report(whole, 2026, today=TODAY)

    # The head of the log, the events since and what they name: nothing of the branch's.
    assert len(captured) == 3
    assert not any("meetings_attendance" in q["sql"] for q in captured)
    assert second.by_id[a.pk] is first.by_id[a.pk]
    assert second._cells_by_org[a.pk] is first._cells_by_org[a.pk]
    assert _page_figures(second) == _page_figures(_full(whole))
    assert _page_figures(first) == _page_figures(_full(department))


def test_a_reading_is_shared_only_at_the_same_head_of_the_log(demo, two_branches):
    a, _ = two_branches
    department, whole = demo.organ_committee, Organization.objects.get(code="GW")
    compliance.cached_report(department, 2026, today=TODAY)
    compliance.cached_report(whole, 2026, today=TODAY)

    _record_theme_day(a)
    first = compliance.cached_report(department, 2026, today=TODAY)
    _record_theme_day(a, "2026-04-09 15:00")  # after the department's reading
    second = compliance.cached_report(whole, 2026, today=TODAY)

    assert second.by_id[a.pk] is not first.by_id[a.pk]
    assert _page_figures(second) == _page_figures(_full(whole))
    assert second.cell(a.pk, THEME).counts != first.cell(a.pk, THEME).counts


def test_a_new_organization_recomputes_the_subtree(demo, two_branches):
    root = demo.organ_committee
    before = compliance.cached_report(root, 2026, today=TODAY)

    added = new_branch("TB-CNEW")
    after = compliance.cached_report(root, 2026, today=TODAY)

    assert added.pk in after.by_id and added.pk not in before.by_id
    assert _page_figures(after) == _page_figures(_full(root))


def test_a_write_by_another_process_is_seen(demo, two_branches):
    """Gunicorn's workers each keep their own cache; what they share is the audit log. A write
    made elsewhere reaches this process only through the database."""
    a, _ = two_branches
    root = demo.organ_committee
    before = compliance.cached_report(root, 2026, today=TODAY)
    ours = dict(compliance.cache._reports)

    # Another worker records a meeting: nothing in this process is told.
    _record_theme_day(a)
    assert dict(compliance.cache._reports) == ours

    seen = compliance.cached_report(root, 2026, today=TODAY)
    assert seen.cell(a.pk, THEME).counts != before.cell(a.pk, THEME).counts
    assert _page_figures(seen) == _page_figures(_full(root))

    # A process that starts now (an empty cache, the same database) computes the same.
    compliance.clear_cache()
    assert _page_figures(compliance.cached_report(root, 2026, today=TODAY)) == _page_figures(seen)


def test_a_cache_whose_audit_head_is_not_in_the_database_is_not_trusted(demo, two_branches):
    """The head a report was computed at must be in the log still (not a restored or replaced
    database that reached the same sequence number)."""
    a, _ = two_branches
    root = demo.organ_committee
    before = compliance.cached_report(root, 2026, today=TODAY)
    key, (head, started, report) = next(iter(compliance.cache._reports.items()))
    compliance.cache._reports[key] = ((head[0], "0" * 64), started, report)

    again = compliance.cached_report(root, 2026, today=TODAY)

    assert again is not before
    # Computed afresh, not brought up to date: a refresh keeps the records of the
    # organizations it did not read again (the verdicts' memo is shared either way).
    assert not any(a is b for a, b in zip(again.orgs, before.orgs, strict=True))
    assert _page_figures(again) == _page_figures(before)


def test_bringing_the_cache_up_to_date_takes_as_many_queries_for_30_branches_as_for_3(
    small_and_large, settings
):
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 600
    counts = []
    for general in small_and_large:
        compliance.cached_report(general, 2026, today=TODAY)
        branch = Organization.objects.filter(path__startswith=general.path, kind=OrgKind.BRANCH)
        _record_theme_day(branch.order_by("path").last(), "2026-11-20 15:00")
        counts.append(_queries(lambda g=general: compliance.cached_report(g, 2026, today=TODAY)))
        assert _page_figures(compliance.cached_report(general, 2026, today=TODAY)) == (
            _page_figures(_full(general))
        )

    assert counts[0] == counts[1]


# ---- the CLI and the API -----------------------------------------------------------------------


def _cli(*args: str) -> str:
    out = io.StringIO()
    call_command("compliance", *args, stdout=out)
    return out.getvalue()


def test_the_cli_prints_json_with_the_meetings_behind_each_figure(demo):
    data = json.loads(_cli("--org", "FGW-B01", "--year", "2026", "--json", "--as-of", "2026-11-25"))

    assert data["organization"]["code"] == "FGW-B01"
    assert data["as_of"] == "2026-11-25"
    assert data["rule_packs"] == ["national", "sample_local"]
    assert [o["code"] for o in data["organizations"]] == ["FGW-B01", "FGW-B01-G1", "FGW-B01-G2"]
    findings = {(f["rule_id"], f["period"]): f for f in data["organizations"][0]["findings"]}
    q3 = findings[(GENERAL, "2026-Q3")]
    assert (q3["status"], q3["severity"]) == (VIOLATED, "warning")
    assert q3["citation"] == "《中国共产党支部工作条例（试行）》第十一条"
    q1 = findings[(GENERAL, "2026-Q1")]
    behind = Meeting.objects.filter(pk__in=q1["facts"]["meeting_ids"])
    assert behind.count() == q1["facts"]["held"] == 1
    assert {(m.organization_id, m.kind) for m in behind} == {(demo.branch.pk, "general_meeting")}
    assert all("2026-01-01" <= m.held_on.isoformat() <= "2026-03-31" for m in behind)
    assert data["summary"]["findings"]["violated"] >= 1
    assert data["summary"]["organizations"] == 3


def test_the_cli_text_lists_the_problems_with_their_citations(demo):
    out = _cli("--org", "FGW-JGDW", "--year", "2026", "--as-of", "2026-11-25")

    assert out.startswith(
        "组织生活检查：市发展和改革委员会机关党委（FGW-JGDW），2026年，截至2026年11月25日"
    )
    assert "规则包：全国通用规则、示范市直属机关地方规则（示例）" in out
    assert (
        "✖ FGW-B01 办公室党支部 2026年第3季度：2026年第3季度支部党员大会应不少于1次，实际0次；"
        "如有正当理由，请注明理由〔《中国共产党支部工作条例（试行）》第十一条〕"
    ) in out


def test_the_cli_refuses_an_unknown_organization(demo):
    with pytest.raises(CommandError, match="组织 NOPE 不存在"):
        _cli("--org", "NOPE")


def test_the_api_answers_the_findings_of_a_visible_subtree(demo, client_for):
    token = create_token(Actor.system("test"), demo.users["organ"], "test")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    client = client_for(None)

    response = client.get("/api/v1/compliance", {"org": "FGW-B02", "year": 2026}, **headers)

    assert response.status_code == 200
    data = response.json()
    assert data["organization"]["code"] == "FGW-B02"
    codes = [o["code"] for o in data["organizations"]]
    assert codes[0] == "FGW-B02" and all(c.startswith("FGW-B02") for c in codes)
    findings = {(f["rule_id"], f["period"]): f for f in data["organizations"][0]["findings"]}
    assert findings[(THEME, "2026-04")]["status"] == VIOLATED
    assert findings[(THEME, "2026-04")]["severity"] == "error"
    term = findings[("committee_term", "2026")]
    assert term["status"] == VIOLATED and term["citation"] == "《关于党的基层组织任期的意见》"
    # Without ?org the caller's own subtree; findings=false keeps the roll-ups only.
    default = client.get("/api/v1/compliance", {"year": 2026}, **headers).json()
    assert default["organization"]["code"] == "FGW-JGDW"
    light = client.get("/api/v1/compliance", {"year": 2026, "findings": "false"}, **headers).json()
    assert all(o["findings"] is None for o in light["organizations"])
    assert light["summary"] == default["summary"]
    assert [o["rollup"] for o in light["organizations"]] == [
        o["rollup"] for o in default["organizations"]
    ]


def test_the_api_refuses_outside_the_scope_and_bad_years(demo, client_for):
    def get(user, **params):
        token = create_token(Actor.system("test"), demo.users[user], "test")
        return client_for(None).get(
            "/api/v1/compliance", params, HTTP_AUTHORIZATION=f"Bearer {token}"
        )

    assert get("secretary", org="FGW-B02").status_code == 404
    assert get("secretary", org="CZJ-B01").status_code == 404
    assert get("member").status_code == 403
    assert get("auditor").status_code == 403
    bad = get("secretary", year=1999)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "year"
    assert client_for(None).get("/api/v1/compliance").status_code == 401


# ---- 党章第九条 counts from when this organization keeps the record ----------------------------


def test_a_member_entered_today_is_not_lapsed_for_the_years_before(demo):
    from tests.conftest import member_payload

    # Admitted in 2015, entered in the platform (a roster import, a new record) today.
    member, _ = member_services.create_member(Actor.system("test"), demo.branch, member_payload())
    today = member.org_since

    assert member.org_since == compliance.local_today()
    for when in (today, today + dt.timedelta(days=95)):
        signals = compliance.member_signals(demo.branch, today=when)
        assert member.pk not in [s.member_id for s in signals.lapses]
    # Four whole months later with no meeting attended, the warning names the member.
    later = compliance.member_signals(demo.branch, today=today + dt.timedelta(days=130))
    (warning,) = [s for s in later.lapses if s.member_id == member.pk]
    assert warning.facts["counted_from"] == today.isoformat()


def test_a_member_moved_in_is_counted_from_the_move(demo):
    _, lapse = _streak_and_lapse_members(demo)
    assert lapse.pk in [s.member_id for s in compliance.member_signals(demo.branch).lapses]

    moved = member_services.move_member(Actor.system("test"), lapse, demo.sibling_branch)

    assert moved.org_since == compliance.local_today()
    signals = compliance.member_signals(demo.sibling_branch)
    assert lapse.pk not in [s.member_id for s in signals.lapses]


def test_the_evidence_names_its_meetings_not_their_numbers(demo, client_for):
    # Issue 18: evidence read "#1546"; it now says the day, the kind and the topic.
    response = client_for(demo.users["organ"]).get(
        reverse("compliance:org", args=[demo.branch.pk]), {"year": 2026}
    )
    html = response.content.decode()
    links = re.findall(r'<a href="/meetings/(\d+)/"[^>]*>([^<]+)</a>', html)
    assert links
    assert not [text for _, text in links if text.startswith("#")]
    held = Meeting.objects.get(pk=int(links[0][0]))
    assert f"{held.held_on.month}月{held.held_on.day}日" in links[0][1]


def test_cells_open_their_findings_and_the_summary_filters_the_matrix(demo, client_for):
    # Issue 18: cells were not clickable and "临期提醒 1 项" could not be found in the matrix.
    client = client_for(demo.users["organ"])
    page = client.get(reverse("compliance:findings"), {"org": "FGW-JGDW", "year": 2026})
    html = page.content.decode()
    keys = [c.key for c in page.context["report"].columns]
    org_url = reverse("compliance:org", args=[demo.branch.pk])
    general = f"{org_url}?year=2026#{demo.branch.code}-{GENERAL}"
    assert general in html
    target = client.get(org_url, {"year": 2026}).content.decode()
    assert f'id="{demo.branch.code}-{GENERAL}"' in target

    found = {s for row in page.context["rows"] for c in row["cells"] for s in _statuses(c)}
    assert VIOLATED in found
    assert f"status={VIOLATED}" in html
    only = client.get(
        reverse("compliance:findings"), {"org": "FGW-JGDW", "year": 2026, "status": VIOLATED}
    )
    rows = only.context["rows"]
    assert rows and all(any(VIOLATED in _statuses(c) for c in r["cells"]) for r in rows)
    for row in rows:
        for cell in row["cells"]:
            assert cell.get("dim", False) == (VIOLATED not in _statuses(cell))
    assert 'id="show-all"' in only.content.decode()
    assert len(keys) == len(rows[0]["cells"])


def _statuses(cell: dict) -> set[str]:
    if cell.get("empty"):
        return set()
    if cell.get("single"):
        return {cell["status"]}
    return {c["status"] for c in cell["counts"]}


def test_member_signals_leave_out_members_who_have_left(demo):
    """A member who died (or was expelled, or transferred out) keeps their last branch on the
    record: they are not warned about any more, for absences or for 党章 第九条."""
    from dangjian.members import services_lifecycle
    from dangjian.members.models import LeaveReason

    streak, lapse = _streak_and_lapse_members(demo)
    before = compliance.member_signals(demo.branch, today=TODAY)
    assert streak.pk in {s.member_id for s in before.streaks}
    assert lapse.pk in {s.member_id for s in before.lapses}

    for person in (streak, lapse):
        services_lifecycle.end_membership(
            Actor.system("test"), person, TODAY - dt.timedelta(days=1), LeaveReason.DIED
        )
    after = compliance.member_signals(demo.branch, today=TODAY)
    named = {s.member_id for s in after.streaks} | {s.member_id for s in after.lapses}
    assert not named & {streak.pk, lapse.pk}
