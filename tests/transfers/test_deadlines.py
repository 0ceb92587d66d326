"""Letters seen from outside the transfer: compliance findings on the validity's boundaries,
tick reminders, inbox to-dos (today is 25 November 2026 in the tests)."""

from __future__ import annotations

from django.db.models import Q

from dangjian.core.clock import today
from dangjian.meetings.findings.contributors import Scope
from dangjian.meetings.packs import rules_in_force
from dangjian.members.models import Member
from dangjian.notices.models import Notice
from dangjian.regulations.meetings import FindingStatus
from dangjian.transfers import findings, inbox, jobs, services
from tests.transfers.helpers import D, approved, as_, receiver, start


def _scope(org) -> Scope:
    return Scope(
        where=lambda field: Q(**{f"{field}path__startswith": org.path}),
        orgs=[],
        year=2026,
        as_of=today(),
        today=today(),
        rules=rules_in_force(),
    )


def _members(demo, n: int) -> list[Member]:
    return list(
        Member.objects.filter(
            organization=demo.branch, user__isnull=True, left_on__isnull=True
        ).order_by("pk")[:n]
    )


def test_letters_past_or_near_their_last_day_are_findings_of_the_sending_branch(demo) -> None:
    m = _members(demo, 5)
    # Issued on these days, three months' validity: last valid day 24, 25 Nov, 1, 2 Dec.
    expired = approved(demo, m[0], on=D(2026, 8, 24), applied_on=D(2026, 8, 20))
    last_day = approved(demo, m[1], on=D(2026, 8, 25), applied_on=D(2026, 8, 20))
    six_days = approved(demo, m[2], on=D(2026, 9, 1), applied_on=D(2026, 8, 20))
    approved(demo, m[3], on=D(2026, 9, 2), applied_on=D(2026, 8, 20))  # 7 days: nothing yet
    start(demo, m[4], applied_on=D(2026, 1, 5))  # not issued: no time limit in the digest
    results = findings.evaluate(_scope(demo.branch))
    by_transfer = {r.facts["transfer"]: r for r in results[demo.branch.pk]}
    assert set(by_transfer) == {expired.pk, last_day.pk, six_days.pk}
    assert by_transfer[expired.pk].status == FindingStatus.VIOLATED
    assert by_transfer[last_day.pk].status == FindingStatus.AT_RISK
    assert by_transfer[six_days.pk].status == FindingStatus.AT_RISK
    assert by_transfer[expired.pk].rule_id == "transfer_letter_validity"
    assert by_transfer[expired.pk].citation.startswith("平台做法")
    # The receiving branch has none: the sending branch answers for the member until received.
    assert demo.sibling_branch.pk not in findings.evaluate(_scope(demo.sibling_branch))
    # Received: no longer a finding.
    services.receive(as_(receiver(demo)), expired, D(2026, 11, 25), late_note="支部证明")
    results = findings.evaluate(_scope(demo.branch))
    assert expired.pk not in {r.facts["transfer"] for r in results[demo.branch.pk]}


def test_the_tick_reminds_both_sides_once_without_the_name(demo) -> None:
    member = _members(demo, 1)[0]
    transfer = approved(demo, member, on=D(2026, 8, 24), applied_on=D(2026, 8, 20))
    assert jobs.run(today())["transfer_reminders"] >= 2
    assert jobs.run(today()) == {"transfer_reminders": 0}
    notices = Notice.objects.filter(key=f"transfer:{transfer.pk}:late")
    recipients = {n.recipient for n in notices}
    assert demo.users["secretary"] in recipients and receiver(demo) in recipients
    assert demo.users["organ"] in recipients  # escalated to the 机关党委 that issued the letter
    assert all(member.name not in n.title for n in notices)


def test_each_step_is_the_to_do_of_the_side_whose_step_it_is(demo) -> None:
    secretary, organ, rec = demo.users["secretary"], demo.users["organ"], receiver(demo)
    transfer = start(demo)
    assert inbox._count(organ) == 1 and inbox._count(secretary) == 0
    assert inbox._count(rec) == 0
    services.approve(as_(organ), transfer, D(2026, 11, 5))
    # The organ committee covers the receiving branch FGW-B02 too: it may receive as well.
    assert inbox._count(rec) == 1 and inbox._count(secretary) == 0
    assert inbox._rows(rec, 5)[0].record == transfer
    services.receive(as_(rec), transfer, D(2026, 11, 20))
    assert inbox._count(rec) == 0 and inbox._count(organ) == 0


def test_the_dossier_registers_the_periods_transfers_without_names(demo) -> None:
    from dangjian.transfers.dossier import transfer_tables

    member = _members(demo, 1)[0]
    transfer = approved(demo, member)
    table = transfer_tables(demo.branch, D(2026, 1, 1), D(2026, 12, 31))[0]
    assert [row[0] for row in table.rows] == [str(transfer)]
    assert member.name not in str(table.rows)
    assert transfer_tables(demo.other_branch, D(2026, 1, 1), D(2026, 12, 31))[0].rows == []
    assert transfer_tables(demo.branch, D(2025, 1, 1), D(2025, 12, 31))[0].rows == []
