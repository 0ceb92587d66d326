"""The per-member import digest (roster/digest.py): a re-import skips the rows it has already
written, and answers exactly what the full check would, whatever happened to the record since."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.db import transaction

from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.audit.services import Actor, verify_chain
from dangjian.crypto import KeyRing
from dangjian.members import services, services_lifecycle
from dangjian.members.models import LeaveReason, Member
from dangjian.members.roster import importer
from dangjian.members.roster.importer import ImportReport, Mode
from tests.conftest import TODAY
from tests.helpers import events_since, last_seq

from .fixtures import xlsx_bytes
from .test_importer import FIELDS, LABELS, by_id, counts, new_person, problems, roster, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def secretary(demo) -> Actor:
    return Actor(demo.users["secretary"], "127.0.0.1")


@pytest.fixture
def checked(monkeypatch) -> list[int]:
    """The rows the importer checked in full (validation, keys): the rows it did not skip."""
    rows: list[int] = []
    full = importer.prepare_row

    def counting(raw, targets, today, **kwargs):
        rows.append(raw.row_number)
        return full(raw, targets, today, **kwargs)

    monkeypatch.setattr(importer, "prepare_row", counting)
    return rows


def _summary(report: ImportReport) -> tuple:
    return (
        report.as_json(),
        problems(report),
        [(w.row, w.column, w.message) for w in report.warnings],
        [(m.row, m.member_id, m.from_org, m.to_org) for m in report.moves],
        [(p.row, p.name, p.kind) for p in report.people],
    )


def _same_as_without_digests(actor: Actor, data: bytes, org, **kwargs) -> ImportReport:
    """Run the import twice from the same state, with the stored digests and with none, and
    check both give the same report and write the same; the digest run's effects are kept."""
    with transaction.atomic():
        Member.objects.update(import_digest="")
        without = run(actor, data, org, **kwargs)
        written_without = _records()
        transaction.set_rollback(True)
    report = run(actor, data, org, **kwargs)
    assert _summary(report) == _summary(without)
    assert _records() == written_without
    return report


def _records() -> list[tuple]:
    fields = [f.attname for f in Member._meta.concrete_fields]
    volatile = {"id_number_encrypted", "phone_encrypted", "updated_at", "import_digest"}
    return list(
        Member.objects.order_by("pk").values_list(*[f for f in fields if f not in volatile])
    )


def test_an_import_stores_a_keyed_digest_and_a_reimport_checks_no_row_again(
    demo, secretary, checked
):
    people = [new_person(n) for n in range(300, 305)]
    data = roster(people)
    run(secretary, data, demo.branch)
    digests = {p["id_number"]: by_id(p["id_number"]).import_digest for p in people}
    assert all(len(d) == 64 for d in digests.values())
    assert len(set(digests.values())) == 5
    for p in people:  # no plain hash of the person's data
        for text in (p["id_number"], p["name"], f"{p['name']}{p['id_number']}"):
            for algorithm in ("sha256", "sm3", "md5", "sha1"):
                assert hashlib.new(algorithm, text.encode()).hexdigest() not in digests.values()
    stamps = dict(Member.objects.values_list("pk", "updated_at"))
    before, seq = counts(), last_seq()
    checked.clear()

    report = run(secretary, data, demo.branch)

    assert checked == []
    assert (report.rows, report.unchanged, report.created, report.updated) == (5, 5, 0, 0)
    assert (report.rejected, report.written) == (0, False)
    assert counts() == before and events_since(seq) == []
    assert dict(Member.objects.values_list("pk", "updated_at")) == stamps
    checked.clear()
    assert _summary(_same_as_without_digests(secretary, data, demo.branch)) == _summary(report)
    assert checked == [2, 3, 4, 5, 6]  # the run without digests checked every row


def test_the_digest_depends_on_the_server_key():
    message = b"the same row"
    assert KeyRing(b"one key").import_digest(message) != KeyRing(b"another").import_digest(message)
    assert KeyRing(b"one key").import_digest(message) == KeyRing(b"one key").import_digest(message)
    # Its own subkey: not the blind index of the same text.
    assert KeyRing(b"one key").import_digest(message) != KeyRing(b"one key").blind_index(
        message.decode()
    )


def test_a_changed_row_is_checked_and_updated_and_skipped_again_afterwards(
    demo, secretary, checked
):
    people = [new_person(n) for n in range(310, 314)]
    run(secretary, roster(people), demo.branch)
    people[2] = dict(people[2], job_title="副处长")
    data = roster(people)
    checked.clear()
    seq = last_seq()

    report = _same_as_without_digests(secretary, data, demo.branch)

    assert checked == [2, 3, 4, 5, 4]  # every row without digests; with them, the changed one
    assert (report.updated, report.unchanged) == (1, 3)
    (event,) = [e for e in events_since(seq) if e.object_type == "members.member"]
    assert event.changes == {"job_title": ["科员", "副处长"]}
    assert by_id(people[2]["id_number"]).job_title == "副处长"
    checked.clear()

    again = run(secretary, data, demo.branch)

    assert checked == [] and again.unchanged == 4


def _edit_job_title(demo, member: Member) -> None:
    actor = Actor(demo.users["secretary"], "127.0.0.1")
    cells = {
        "name": member.name,
        "id_number": member.id_number,
        "phone": member.phone,
        "status": member.status,
        "category": member.category,
        "education": member.education,
        "ethnicity": member.ethnicity,
        "admitted_on": member.admitted_on,
        "confirmed_on": member.confirmed_on,
        "job_title": "手工改过",
    }
    services.update_member(actor, member, cells)


def _sql_update(demo, member: Member) -> None:
    # A write that goes round every service (a bulk update, the shell): still seen.
    Member.objects.filter(pk=member.pk).update(name="改名者")


def _move(demo, member: Member) -> None:
    services.move_member(Actor(demo.users["organ"], "127.0.0.1"), member, demo.sibling_branch)


def _leave(demo, member: Member) -> None:
    services_lifecycle.end_membership(
        Actor(demo.users["secretary"], "127.0.0.1"), member, TODAY, LeaveReason.DIED
    )


@pytest.mark.parametrize(
    "write, outcome",
    [
        (_edit_job_title, "update"),
        (_sql_update, "update"),
        (_move, "rejected"),  # now in a branch outside the secretary's scope
        (_leave, "rejected"),  # cannot be restored by an import
    ],
    ids=["form", "sql", "transfer", "leave"],
)
def test_a_member_written_by_another_path_since_the_import_is_checked_in_full(
    demo, secretary, checked, write, outcome
):
    people = [new_person(n) for n in range(320, 323)]
    data = roster(people)
    run(secretary, data, demo.branch)
    member = by_id(people[1]["id_number"])
    digest = member.import_digest
    write(demo, member)
    assert Member.objects.get(pk=member.pk).import_digest == digest  # nobody had to clear it
    checked.clear()

    report = _same_as_without_digests(secretary, data, demo.branch, mode=Mode.PARTIAL)

    assert checked == [2, 3, 4, 3]  # without digests, then with them: the written member's row
    if outcome == "update":
        assert (report.updated, report.unchanged) == (1, 2)
        restored = by_id(people[1]["id_number"])
        assert (restored.name, restored.job_title) == (people[1]["name"], "科员")
        # The same cells on the same record again: the digest it had.
        assert restored.import_digest == digest
    else:
        assert (report.rejected, report.unchanged) == (1, 2)
        ((row, column, _message),) = problems(report)
        assert (row, column) == (3, "身份证号")


def test_a_confirmation_by_hand_is_seen_by_the_next_import(demo, secretary, checked):
    probationary = new_person(
        330, status="预备党员", admitted_on=(TODAY - dt.timedelta(days=400)).isoformat()
    )
    probationary["confirmed_on"] = ""
    data = roster([probationary, new_person(331)])
    run(secretary, data, demo.branch)
    member = by_id(probationary["id_number"])
    services_lifecycle.confirm_member(secretary, member, TODAY - dt.timedelta(days=10))
    checked.clear()

    report = _same_as_without_digests(secretary, data, demo.branch, mode=Mode.PARTIAL)

    assert checked == [2, 3, 2]
    # The file still says 预备党员 without a confirmation date: the full check decides, and the
    # file wins, as it did before digests existed.
    assert (report.updated, report.unchanged) == (1, 1)


def test_strict_mode_with_one_bad_row_writes_nothing_and_reports_as_before(
    demo, secretary, checked
):
    people = [new_person(n) for n in range(340, 344)]
    run(secretary, roster(people), demo.branch)
    changed = dict(people[0], job_title="新岗位")
    bad = new_person(345, admitted_on="明年")
    data = roster([changed, *people[1:], bad, new_person(346)])
    before, seq = counts(), last_seq()
    stored = _records()

    report = _same_as_without_digests(secretary, data, demo.branch, mode=Mode.STRICT)

    assert not report.written and report.rejected == 1
    assert counts() == before and events_since(seq) == [] and _records() == stored
    assert by_id(people[0]["id_number"]).job_title == "科员"


def test_a_row_with_a_warning_gets_no_digest_and_shows_its_warning_each_time(
    demo, secretary, checked
):
    p = new_person(350, birth=dt.date(1968, 4, 12))
    number = p["id_number"]
    p["id_number"] = number[:6] + number[8:17]  # 15 digits: converted, with a warning
    data = roster([p, new_person(351)])
    first = run(secretary, data, demo.branch)
    assert by_id(number).import_digest == ""
    checked.clear()

    report = _same_as_without_digests(secretary, data, demo.branch)

    assert checked == [2, 3, 2]  # the row with a warning is checked every time
    assert report.unchanged == 2
    assert [(w.row, w.message) for w in report.warnings] == [
        (w.row, w.message) for w in first.warnings
    ]


def test_a_status_inferred_from_the_day_is_inferred_again_on_a_later_day(demo, secretary, checked):
    # No status and no confirmation: probationary while the probation (with its longest
    # extension) runs, then a question the row must answer.
    p = new_person(360, status="", admitted_on=(TODAY - dt.timedelta(days=300)).isoformat())
    p["confirmed_on"] = ""
    data = roster([p])
    run(secretary, data, demo.branch)
    assert by_id(p["id_number"]).status == "probationary"
    checked.clear()

    same_day = run(secretary, data, demo.branch)
    assert checked == [] and same_day.unchanged == 1

    later = _same_as_without_digests(
        secretary, data, demo.branch, today=TODAY + dt.timedelta(days=3 * 365)
    )

    assert later.rejected == 1
    ((row, column, message),) = problems(later)
    assert (row, column) == (2, "党员状态") and "无法从日期推定" in message


def test_the_same_unchanged_person_twice_rejects_the_second_row_naming_the_first(
    demo, secretary, checked
):
    a, b = new_person(370), new_person(371)
    run(secretary, roster([a, b]), demo.branch)
    checked.clear()

    report = _same_as_without_digests(secretary, roster([a, b, a]), demo.branch, mode=Mode.PARTIAL)

    assert (report.unchanged, report.rejected) == (2, 1)
    assert problems(report) == [(4, "身份证号", "与第 2 行是同一身份证号（同一人重复出现）")]


def test_a_file_with_fewer_columns_is_checked_in_full(demo, secretary, checked):
    people = [new_person(n) for n in range(380, 383)]
    run(secretary, roster(people), demo.branch)
    fields = [f for f in FIELDS if f != "phone"]
    data = xlsx_bytes([[LABELS[f] for f in fields], *([p[f] for f in fields] for p in people)])
    checked.clear()

    report = _same_as_without_digests(secretary, data, demo.branch)

    assert report.unchanged == 3 and checked == [2, 3, 4, 2, 3, 4]


def test_members_imported_before_digests_get_one_on_the_next_import_without_an_event(
    demo, secretary, checked
):
    people = [new_person(n) for n in range(390, 393)]
    data = roster(people)
    run(secretary, data, demo.branch)
    Member.objects.update(import_digest="")
    stamps = dict(Member.objects.values_list("pk", "updated_at"))
    seq = last_seq()

    preview = run(secretary, data, demo.branch, dry_run=True)
    assert preview.unchanged == 3
    assert not Member.objects.exclude(import_digest="").exists()  # a preview writes nothing

    report = run(secretary, data, demo.branch)

    assert report.unchanged == 3 and not report.written
    assert events_since(seq) == []
    assert dict(Member.objects.values_list("pk", "updated_at")) == stamps
    assert all(by_id(p["id_number"]).import_digest for p in people)
    checked.clear()
    assert run(secretary, data, demo.branch).unchanged == 3 and checked == []


def test_an_update_through_the_file_keeps_the_audit_chain_whole(demo, secretary):
    people = [new_person(n) for n in range(395, 398)]
    run(secretary, roster(people), demo.branch)
    people[0] = dict(people[0], education="研究生")
    seq = last_seq()

    run(secretary, roster(people), demo.branch)

    (event,) = [e for e in events_since(seq) if e.object_type == "members.member"]
    assert event.action == AuditAction.UPDATE
    assert "import_digest" not in event.changes
    assert verify_chain().ok
    assert AuditEvent.objects.filter(object_type="members.roster_import").count() == 2
