"""`dangjian tick`: reminders 7/3/1 days before a deadline on working days, overdue marks,
escalation (督办) to the level above and 纪检, email of unsent notices; twice sends nothing twice.

The services refuse a deadline in the past, so an item is created with a valid deadline and its
row then moved to the calendar date under test; `tick(now=...)` runs at explicit Beijing times.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import socket

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.accounts.models import Role, RoleAssignment, User
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor
from dangjian.core import clock
from dangjian.core.jobs import tick
from dangjian.duties import services
from dangjian.duties.inbox import NoticeKind
from dangjian.duties.models import EventKind, WorkEvent, WorkItem, WorkStatus
from dangjian.notices import services as notice_services
from dangjian.notices.models import Notice
from dangjian.orgs.models import Organization
from dangjian.regulations.periods import TZ
from tests.helpers import assert_audited, last_seq

D = dt.date


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def make_writer(username: str, code: str, role: str = Role.BRANCH_SECRETARY) -> User:
    user = User.objects.create_user(username=username)
    RoleAssignment.objects.create(
        user=user, role=role, organization=Organization.objects.get(code=code)
    )
    return user


def received(demo, deadline: dt.date, code: str = "FGW-B01", **data) -> WorkItem:
    """An item the 机关党委 sent to `code`, its deadline then moved to `deadline`."""
    sent = services.send_down(
        Actor(user=demo.users["organ"]),
        demo.organ_committee,
        {"title": "报送学习情况", "deadline": clock.today(), **data},
        targets=[code],
    )
    (item,) = sent.children
    WorkItem.objects.filter(pk=item.pk).update(deadline=deadline, plan_year=deadline.year)
    item.refresh_from_db()
    return item


def moved(item: WorkItem, deadline: dt.date) -> WorkItem:
    WorkItem.objects.filter(pk=item.pk).update(deadline=deadline)
    item.refresh_from_db()
    return item


def sent_by_tick(kinds=(NoticeKind.REMINDER, NoticeKind.OVERDUE, NoticeKind.ESCALATION)):
    return Notice.objects.filter(kind__in=kinds)


def tick_days(first: dt.date, last: dt.date, hour: int = 9) -> dict[dt.date, list[tuple]]:
    """Tick twice a day from `first` to `last`; what each day sent: (kind, key tail, username).

    The second tick of each day must send and mark nothing.
    """
    out: dict[dt.date, list[tuple]] = {}
    day = first
    while day <= last:
        seen = set(Notice.objects.values_list("pk", flat=True))
        tick(now=at(day, hour))
        seq, rows = last_seq(), Notice.objects.count()
        again = tick(now=at(day, hour + 5))
        assert (again["reminders"], again["overdue_marked"], again["escalations"]) == (0, 0, 0)
        assert (last_seq(), Notice.objects.count()) == (seq, rows)
        fresh = sent_by_tick().exclude(pk__in=seen).select_related("recipient")
        got = sorted((n.kind, n.key.rsplit(":", 1)[-1], n.recipient.username) for n in fresh)
        if got:
            out[day] = got
        day += dt.timedelta(days=1)
    return out


# ---- reminders -----------------------------------------------------------------------------


def test_reminders_at_a_month_end_go_out_once_each_on_working_days(demo):
    item = received(demo, D(2026, 3, 31))
    pk = str(item.pk)

    sent = tick_days(D(2026, 3, 20), D(2026, 4, 3))

    assert sent == {
        D(2026, 3, 24): [("reminder", "7", "secretary")],
        D(2026, 3, 27): [("reminder", "3", "secretary")],  # 28 March is a Saturday
        D(2026, 3, 30): [("reminder", "1", "secretary")],
        D(2026, 4, 1): [
            ("escalation", pk, "inspector"),
            ("escalation", pk, "organ"),
            ("overdue", pk, "secretary"),
        ],
    }
    bodies = dict(
        Notice.objects.about(item).filter(kind=NoticeKind.REMINDER).values_list("key", "body")
    )
    assert bodies == {
        f"reminder:{pk}:7": "截止 2026-03-31，还有 7 天",
        f"reminder:{pk}:3": "截止 2026-03-31，还有 4 天",
        f"reminder:{pk}:1": "截止 2026-03-31，还有 1 天",
    }


def test_reminder_due_moves_off_holidays_and_weekends():
    assert [services.reminder_due(D(2026, 3, 31), d) for d in (7, 3, 1)] == [
        D(2026, 3, 24),
        D(2026, 3, 27),
        D(2026, 3, 30),
    ]
    # 国庆: 1–7 October off, the 8th a working day.
    assert services.reminder_due(D(2026, 10, 8), 7) == D(2026, 9, 30)
    assert services.reminder_due(D(2026, 10, 8), 1) == D(2026, 9, 30)
    # 12 October: 7 days before is in 国庆, 1 day before a Sunday after the make-up Saturday.
    assert [services.reminder_due(D(2026, 10, 12), d) for d in (7, 3, 1)] == [
        D(2026, 9, 30),
        D(2026, 10, 9),
        D(2026, 10, 10),
    ]
    # 春节 2026: 15–23 February off, 14 February a make-up Saturday.
    assert services.reminder_due(D(2026, 2, 24), 1) == D(2026, 2, 14)


def test_reminders_over_national_day_are_not_sent_on_the_holiday(demo):
    received(demo, D(2026, 10, 12))

    sent = tick_days(D(2026, 9, 25), D(2026, 10, 12))

    assert sent == {
        D(2026, 9, 30): [("reminder", "7", "secretary")],
        D(2026, 10, 9): [("reminder", "3", "secretary")],
        D(2026, 10, 10): [("reminder", "1", "secretary")],  # the make-up working Saturday
    }


def test_when_all_reminders_fall_on_one_day_only_the_nearest_is_sent(demo):
    item = received(demo, D(2026, 10, 8))

    sent = tick_days(D(2026, 9, 25), D(2026, 10, 8))

    assert sent == {D(2026, 9, 30): [("reminder", "1", "secretary")]}
    (notice,) = Notice.objects.about(item).filter(kind=NoticeKind.REMINDER)
    assert notice.body == "截止 2026-10-08，还有 8 天"


def test_reminders_reach_back_over_the_spring_festival(demo):
    received(demo, D(2026, 2, 24))

    sent = tick_days(D(2026, 2, 9), D(2026, 2, 24))

    assert sent == {D(2026, 2, 14): [("reminder", "1", "secretary")]}


def test_an_item_created_late_gets_the_nearest_reminder_not_a_burst(demo):
    late = received(demo, D(2026, 3, 31))

    first = tick(now=at(D(2026, 3, 28)))  # a Saturday: the 7- and 3-day ones are due

    assert first["reminders"] == 1
    assert list(Notice.objects.filter(kind=NoticeKind.REMINDER).values_list("key", flat=True)) == [
        f"reminder:{late.pk}:3"
    ]

    later = received(demo, D(2026, 3, 31))  # created on its deadline day: one reminder
    second = tick(now=at(D(2026, 3, 31)))

    assert second["reminders"] == 2
    assert sorted(
        Notice.objects.filter(kind=NoticeKind.REMINDER).values_list("key", flat=True)
    ) == sorted([f"reminder:{late.pk}:3", f"reminder:{late.pk}:1", f"reminder:{later.pk}:1"])
    assert Notice.objects.get(key=f"reminder:{later.pk}:1").body == "截止 2026-03-31，今天到期"


def test_the_day_is_the_beijing_date_of_the_moment(demo):
    received(demo, D(2026, 3, 31))

    assert tick(now=dt.datetime(2026, 3, 23, 15, 59, tzinfo=dt.UTC))["reminders"] == 0
    # 16:30 UTC on the 23rd is 00:30 on the 24th in Beijing: the 7-day reminder is due.
    assert tick(now=dt.datetime(2026, 3, 23, 16, 30, tzinfo=dt.UTC))["reminders"] == 1


def test_reminders_go_to_the_responsible_post_holder_as_well(demo):
    # The demo's 机关党委 officer holds FGW-B01's 宣传委员 post.
    received(demo, D(2026, 3, 31), responsible_post="publicity_officer")

    result = tick(now=at(D(2026, 3, 24)))

    assert result["reminders"] == 2
    assert sorted(sent_by_tick().values_list("recipient__username", flat=True)) == [
        "organ",
        "secretary",
    ]


def test_submitted_and_accepted_items_are_neither_reminded_nor_marked(demo):
    secretary, organ = Actor(user=demo.users["secretary"]), Actor(user=demo.users["organ"])
    submitted = received(demo, D(2026, 3, 31))
    services.submit(secretary, submitted)
    accepted = received(demo, D(2026, 3, 31))
    services.submit(secretary, accepted)
    services.accept(organ, accepted)
    returned = received(demo, D(2026, 3, 31))
    services.submit(secretary, returned)
    services.return_item(organ, returned, "材料不全")
    for item in (submitted, accepted, returned):
        moved(item, D(2026, 3, 31))

    reminded = tick(now=at(D(2026, 3, 24)))
    marked = tick(now=at(D(2026, 4, 1)))

    assert (reminded["reminders"], marked["overdue_marked"]) == (1, 1)
    assert set(sent_by_tick().values_list("subject_id", flat=True)) == {returned.pk}
    assert WorkItem.objects.get(pk=submitted.pk).overdue_since is None
    assert WorkItem.objects.get(pk=accepted.pk).overdue_since is None
    assert WorkItem.objects.get(pk=returned.pk).overdue_since == D(2026, 4, 1)


def test_reminder_days_come_from_the_settings(demo, settings):
    settings.DUTY_REMINDER_DAYS = [5]
    received(demo, D(2026, 3, 31))

    assert tick_days(D(2026, 3, 20), D(2026, 3, 31)) == {
        D(2026, 3, 26): [("reminder", "5", "secretary")]
    }


# ---- overdue and escalation ----------------------------------------------------------------


def test_overdue_is_marked_once_audited_and_escalated(demo):
    item = received(demo, D(2026, 3, 31))
    seq = last_seq()

    first = tick(now=at(D(2026, 4, 3)))

    assert (first["overdue_marked"], first["escalations"]) == (1, 2)
    item.refresh_from_db()
    assert item.overdue_since == D(2026, 4, 1)  # the day after the deadline, not the tick's day
    assert item.status == WorkStatus.OPEN
    event = assert_audited(seq, AuditAction.UPDATE, item, actor="", message="任务逾期")
    assert event.ip == "tick"
    assert event.changes == {"overdue_since": [None, "2026-04-01"]}
    timeline = WorkEvent.objects.filter(item=item, kind=EventKind.OVERDUE)
    assert [e.note for e in timeline] == ["截止 2026-03-31 未完成"]

    rows, seq = Notice.objects.count(), last_seq()
    for day in (D(2026, 4, 3), D(2026, 4, 4), D(2026, 5, 1)):
        again = tick(now=at(day))
        assert (again["reminders"], again["overdue_marked"], again["escalations"]) == (0, 0, 0)
    assert (Notice.objects.count(), last_seq()) == (rows, seq)
    assert WorkEvent.objects.filter(item=item, kind=EventKind.OVERDUE).count() == 1
    escalation = Notice.objects.get(kind=NoticeKind.ESCALATION, recipient=demo.users["organ"])
    assert escalation.title == "督办：办公室党支部“报送学习情况”已逾期"
    assert escalation.body == "截止 2026-03-31，市发展和改革委员会机关党委下发"


def test_escalation_reaches_the_level_above_and_discipline_never_a_sibling_branch(demo):
    zz_secretary = make_writer("zz-secretary", "FGW-ZZ")
    b02_secretary = make_writer("b02-secretary", "FGW-B02")
    make_writer("b03-secretary", "FGW-B03")  # told as the receiver, never as supervisor
    b04_secretary = make_writer("b04-secretary", "FGW-B04")
    czj_inspector = make_writer("czj-inspector", "CZJ-JGDW", Role.DISCIPLINE)
    b01 = received(demo, D(2026, 4, 10))
    zz = services.send_down(
        Actor(user=demo.users["organ"]),
        demo.organ_committee,
        {"title": "专题调研", "deadline": clock.today()},
        targets=["FGW-ZZ"],
    ).children[0]
    (b03,) = services.split(Actor(user=zz_secretary), zz, {}, targets=["FGW-B03"]).children
    moved(b03, D(2026, 4, 10))

    result = tick(now=at(D(2026, 4, 13)))

    assert (result["overdue_marked"], result["escalations"]) == (2, 4)
    got = {
        (n.subject_id, n.kind, n.recipient.username)
        for n in sent_by_tick().select_related("recipient")
    }
    assert got == {
        (b01.pk, "overdue", "secretary"),
        (b01.pk, "escalation", "organ"),
        (b01.pk, "escalation", "inspector"),
        (b03.pk, "overdue", "b03-secretary"),
        (b03.pk, "escalation", "zz-secretary"),
        (b03.pk, "escalation", "inspector"),
    }
    for outsider in (b02_secretary, b04_secretary, czj_inspector, demo.users["member"]):
        assert not Notice.objects.filter(recipient=outsider).exists()


def test_nobody_is_told_twice_when_the_receiver_is_also_the_level_above(demo):
    # FGW-B02 has no account: the 机关党委 acts for it, so it is told once (as the receiver).
    item = received(demo, D(2026, 3, 31), code="FGW-B02")

    result = tick(now=at(D(2026, 4, 1)))

    assert (result["overdue_marked"], result["escalations"]) == (1, 1)
    assert sorted(sent_by_tick().about(item).values_list("kind", "recipient__username")) == [
        ("escalation", "inspector"),
        ("overdue", "organ"),
    ]


# ---- the command ---------------------------------------------------------------------------


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command("tick", *args, stdout=out, **options)
    return out.getvalue()


def test_the_command_prints_json_and_runs_again_without_sending_twice(demo):
    received(demo, D(2026, 3, 31))

    first = json.loads(run("--json", now="2026-04-01T09:00"))
    second = json.loads(run("--json", now="2026-04-01T09:00"))

    assert first == {
        "reminders": 0,
        "overdue_marked": 1,
        "escalations": 2,
        "emails": 0,
        "import_files_removed": 0,
        "dossiers_removed": 0,
        "series_meetings": 0,
        "audit_anchors": 0,
        "denial_summaries": 0,
        "recruitment_reminders": 0,
        "transfer_reminders": 0,
        "dues_warnings": 0,
        "dues_lapses": 0,
        "library_ocr": 0,
    }
    assert second == {**first, "overdue_marked": 0, "escalations": 0}


def test_the_command_reads_a_naive_time_as_beijing_time(demo):
    received(demo, D(2026, 3, 31))

    assert json.loads(run("--json", "--now", "2026-03-23T23:30"))["reminders"] == 0
    assert json.loads(run("--json", "--now", "2026-03-24"))["reminders"] == 1


def test_the_command_says_what_it_did_in_chinese(demo):
    received(demo, D(2026, 3, 31))

    text = run(now="2026-04-01")

    assert text.strip() == (
        "到期提醒 0 条，新标记逾期 1 项，督办通知 2 条，发展党员时限提醒 0 条，组织关系介绍信提醒 0 条，"
        "党费欠交预警 0 条，连续6个月未交党费通知 0 条，邮件 0 封，"
        "续排固定会议 0 次，拒绝访问汇总 0 条，审计链锚定 0 次，"
        "清理台账文件 0 个，清理导入文件 0 个，扫描件文字识别 0 份。"
    )


def test_the_command_refuses_a_bad_time(demo):
    with pytest.raises(CommandError, match="--now 格式不正确"):
        run(now="四月一日")


# ---- email ---------------------------------------------------------------------------------


@pytest.fixture
def email_on(settings):
    settings.EMAIL_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


def with_email(user, address: str) -> User:
    user.email = address
    user.save(update_fields=["email"])
    return user


def test_notices_are_emailed_once_to_users_with_an_address(demo, email_on, mailoutbox):
    secretary = with_email(demo.users["secretary"], "secretary@example.org")
    inspector = with_email(demo.users["inspector"], "inspector@example.org")
    received(demo, D(2026, 3, 31))  # the secretary is told of it (收到任务)

    first = tick(now=at(D(2026, 4, 1)))

    assert first["emails"] == 3
    assert sorted((m.to[0], m.subject) for m in mailoutbox) == [
        ("inspector@example.org", "【机关党建】督办：办公室党支部“报送学习情况”已逾期"),
        ("secretary@example.org", "【机关党建】任务已逾期：报送学习情况"),
        ("secretary@example.org", f"【机关党建】收到任务：报送学习情况（{demo.branch.name}）"),
    ]
    assert all("请登录机关党建工作管理平台查看" in m.body for m in mailoutbox)
    # The 机关党委 officer has no address: told in the inbox only.
    assert not Notice.objects.filter(recipient=demo.users["organ"], emailed_at__isnull=False)
    assert Notice.objects.filter(recipient__in=[secretary, inspector], emailed_at=None).count() == 0

    second = tick(now=at(D(2026, 4, 1)))
    third = tick(now=at(D(2026, 4, 2)))
    assert (second["emails"], third["emails"]) == (0, 0)
    assert len(mailoutbox) == 3


def test_a_notice_read_before_the_tick_is_not_emailed(demo, email_on, mailoutbox):
    with_email(demo.users["secretary"], "secretary@example.org")
    received(demo, D(2026, 3, 31))
    notice_services.mark_read(demo.users["secretary"])

    assert tick(now=at(D(2026, 3, 1)))["emails"] == 0
    assert mailoutbox == []


def test_nothing_is_emailed_when_email_is_off(demo, settings, mailoutbox):
    settings.EMAIL_ENABLED = False
    with_email(demo.users["secretary"], "secretary@example.org")
    received(demo, D(2026, 3, 31))

    assert tick(now=at(D(2026, 4, 1)))["emails"] == 0
    assert mailoutbox == []
    assert not Notice.objects.filter(emailed_at__isnull=False).exists()


@pytest.mark.xdist_group("ports")  # the free port must stay free: no other worker binds it
def test_a_mail_server_that_is_down_leaves_the_notice_for_the_next_tick(demo, email_on, mailoutbox):
    with_email(demo.users["secretary"], "secretary@example.org")
    received(demo, D(2026, 3, 31))
    with socket.socket() as probe:  # a local port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    email_on.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    email_on.EMAIL_HOST, email_on.EMAIL_PORT, email_on.EMAIL_TIMEOUT = "127.0.0.1", port, 2

    assert tick(now=at(D(2026, 3, 1)))["emails"] == 0
    assert Notice.objects.filter(emailed_at__isnull=False).count() == 0

    email_on.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert tick(now=at(D(2026, 3, 1)))["emails"] == 1
    assert [m.to for m in mailoutbox] == [["secretary@example.org"]]


def test_the_resident_ticker_runs_again_and_again(demo):
    received(demo, D(2026, 3, 31))
    out = io.StringIO()
    call_command("tick", "--json", every=0, times=3, stdout=out)
    runs = [json.loads(line) for line in out.getvalue().splitlines()]
    # The first run did today's work (the series top-up); the others found nothing left to do.
    assert len(runs) == 3
    assert runs[1] == runs[2] == {key: 0 for key in runs[0]}


def test_the_resident_ticker_refuses_a_fixed_time(demo):
    with pytest.raises(CommandError, match="--every 与 --now 不能同时使用"):
        call_command("tick", every=300, now="2026-04-01")


def test_two_items_of_one_branch_reach_the_holders_of_their_own_posts(demo):
    from dangjian.orgs.models import Post

    organ = demo.users["organ"]
    # The 机关党委 officer also holds the branch's 组织委员 post; the branch has its own secretary.
    Post.objects.create(
        organization=demo.branch,
        member=organ.member,
        kind="organization_officer",
        started_on=D(2026, 1, 1),
    )
    officer_item = received(demo, D(2026, 3, 31), responsible_post="organization_officer")
    secretary_item = received(demo, D(2026, 3, 31), responsible_post="secretary")

    tick(now=at(D(2026, 3, 24)))

    def reminded(user):
        return set(
            Notice.objects.filter(recipient=user, kind=NoticeKind.REMINDER).values_list(
                "subject_id", flat=True
            )
        )

    assert reminded(organ) == {officer_item.pk}
    assert reminded(demo.users["secretary"]) == {officer_item.pk, secretary_item.pk}
