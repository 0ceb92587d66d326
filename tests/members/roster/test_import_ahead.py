"""Rows checked ahead in a helper process (roster/ahead.py): an import with the helper reports
and stores exactly what the same import checked in line does, including rejected rows, repeats
across chunks, warnings, updates, strict mode and a helper that fails."""

from __future__ import annotations

import os
import signal

import pytest
from django.db import transaction

from dangjian.audit.models import AuditEvent
from dangjian.audit.services import Actor, verify_chain
from dangjian.members.models import Member
from dangjian.members.roster import ahead, importer
from dangjian.members.roster.importer import Mode
from dangjian.regulations.identity import parse_id_number
from tests.conftest import TODAY

from .test_import_batched import _stored
from .test_importer import by_id, counts, many_people, member_cells, roster, run

pytestmark = pytest.mark.django_db

CHUNK = 10


class Spy:
    """How many helpers started and how many chunks came back checked by one."""

    def __init__(self) -> None:
        self.started = 0
        self.received = 0


@pytest.fixture
def helper(monkeypatch) -> Spy:
    """Chunks of 10 rows, and a helper whenever the importer would consider one."""
    spy = Spy()
    monkeypatch.setattr(importer, "CHUNK", CHUNK)
    monkeypatch.setattr(ahead, "worth_it", lambda rows_left: ahead.ENABLED)
    start, receive = ahead.Ahead.__init__, ahead.Ahead.receive

    def counted_start(self, *args):
        spy.started += 1
        start(self, *args)

    def counted_receive(self, raws):
        rows = receive(self, raws)
        spy.received += rows is not None
        return rows

    monkeypatch.setattr(ahead.Ahead, "__init__", counted_start)
    monkeypatch.setattr(ahead.Ahead, "receive", counted_receive)
    return spy


def _mixed_file(demo) -> tuple[bytes, list[str], list[str]]:
    """Forty-five rows over five chunks: new people, then a changed and an unchanged member, a
    repeat of an earlier row, an unknown branch, a wrong status, a 15-digit ID number (a
    warning) and a month-only date."""
    people = many_people(40, "ahead-mixed")
    existing = list(Member.objects.filter(organization=demo.branch).order_by("pk")[:2])
    rows: list[dict[str, object]] = people[:25]
    rows.append(member_cells(existing[0], job_title="副处长"))  # an update
    rows.append(member_cells(existing[1]))  # unchanged
    rows.append(dict(people[3], name="重复的人"))  # a repeat of row 5
    rows.append(dict(people[25], organization="NO-SUCH-BRANCH"))
    rows.append(dict(people[26], status="不知道"))
    old_style = str(people[27]["id_number"])[:6] + "700101001"
    rows.append(dict(people[27], id_number=old_style, admitted_on="1995-03-01"))
    rows[-1]["confirmed_on"] = "1996-03-02"
    rows.append(dict(people[28], admitted_on="2016-07", confirmed_on="2017-07"))
    rows.extend(people[29:40])
    new = [str(p["id_number"]) for p in people[:27] + people[28:]]
    new.append(_eighteen(old_style))
    return roster(rows), new, [e.id_number for e in existing]


def _eighteen(fifteen: str) -> str:
    return parse_id_number(fifteen, today=TODAY).value


def _report(report) -> tuple:
    return (
        report.rows,
        report.created,
        report.updated,
        report.unchanged,
        report.rejected,
        report.written,
        [(e.row, e.column, e.message) for e in report.errors],
        [(w.row, w.column, w.message) for w in report.warnings],
        [(p.row, p.name, p.kind) for p in report.people],
    )


def _state(new: list[str], old: list[str]) -> dict:
    out = {}
    for number in new:
        try:
            out[number] = _stored(by_id(number))
        except Member.DoesNotExist:
            continue
    for number in old:
        out[number] = _changed(by_id(number))
    return out


def _changed(member: Member) -> dict:
    """A demo member the file updated: its columns and the import's event about it."""
    events = AuditEvent.objects.filter(object_type="members.member", object_id=str(member.pk))
    return {
        "job_title": member.job_title,
        "events": [(e.action, e.changes, e.message) for e in events.order_by("seq")],
    }


def _in_line(secretary: Actor, data: bytes, branch, numbers: tuple, **kwargs):
    """The same import checked in line, rolled back: its report and what it stored."""
    ahead.ENABLED = False
    try:
        with transaction.atomic():
            report = run(secretary, data, branch, **kwargs)
            state = _state(*numbers)
            transaction.set_rollback(True)
    finally:
        ahead.ENABLED = True
    return _report(report), state


def test_a_helper_checks_the_next_chunks_and_the_import_stores_what_it_would_in_line(demo, helper):
    secretary = Actor(demo.users["secretary"], "127.0.0.1")
    data, *numbers = _mixed_file(demo)
    expected = _in_line(secretary, data, demo.branch, tuple(numbers), mode=Mode.PARTIAL)
    assert helper.started == 0

    report = run(secretary, data, demo.branch, mode=Mode.PARTIAL)

    assert helper.started == 1
    assert helper.received == 4  # every chunk after the first
    assert (_report(report), _state(*numbers)) == expected
    assert report.created == 38 and report.updated == 1 and report.unchanged == 1
    assert report.rejected == 3 and len(report.warnings) == 1
    assert verify_chain().ok


def test_strict_mode_with_a_helper_writes_nothing_when_a_late_row_is_wrong(demo, helper):
    secretary = Actor(demo.users["secretary"], "127.0.0.1")
    people = many_people(35, "ahead-strict")
    people[-1]["status"] = "不知道"
    before = counts()

    report = run(secretary, roster(people), demo.branch, mode=Mode.STRICT)

    assert helper.received == 3
    assert (report.rows, report.rejected, report.written) == (35, 1, False)
    assert report.errors[0].row == 36
    assert counts() == before


def test_a_helper_that_fails_leaves_the_rows_to_be_checked_in_line(demo, monkeypatch, helper):
    secretary = Actor(demo.users["secretary"], "127.0.0.1")
    data, *numbers = _mixed_file(demo)
    expected = _in_line(secretary, data, demo.branch, tuple(numbers), mode=Mode.PARTIAL)

    def broken(*args):
        raise RuntimeError("the helper failed")

    monkeypatch.setattr(ahead, "check_rows", broken)  # the forked helper has it too
    report = run(secretary, data, demo.branch, mode=Mode.PARTIAL)

    assert helper.started == 1 and helper.received == 0
    assert (_report(report), _state(*numbers)) == expected


class _DiesAfterOneChunk:
    """The helper's end of the pipe: the first chunk sent, the helper process is SIGKILLed (as
    the kernel's OOM killer or an operator would), mid-import."""

    def __init__(self, connection) -> None:
        self.connection = connection

    def send(self, message) -> None:
        self.connection.send(message)
        os.kill(os.getpid(), signal.SIGKILL)

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def killed_helper(monkeypatch, helper) -> Spy:
    serve = ahead._serve  # the forked helper runs the patched one
    monkeypatch.setattr(
        ahead, "_serve", lambda connection, *args: serve(_DiesAfterOneChunk(connection), *args)
    )
    return helper


def test_a_helper_killed_mid_import_leaves_strict_mode_all_or_nothing(demo, killed_helper):
    secretary = Actor(demo.users["secretary"], "127.0.0.1")
    people = many_people(35, "ahead-killed")
    people[-1]["status"] = "不知道"
    before = counts()

    report = run(secretary, roster(people), demo.branch, mode=Mode.STRICT)

    assert killed_helper.started == 1 and killed_helper.received == 1
    assert (report.rows, report.rejected, report.written) == (35, 1, False)
    assert report.errors[0].row == 36
    assert counts() == before


def test_a_helper_killed_mid_import_stores_what_the_import_in_line_would(demo, killed_helper):
    secretary = Actor(demo.users["secretary"], "127.0.0.1")
    people = many_people(35, "ahead-killed-clean")
    data, numbers = roster(people), ([str(p["id_number"]) for p in people], [])
    expected = _in_line(secretary, data, demo.branch, numbers, mode=Mode.STRICT)

    report = run(secretary, data, demo.branch, mode=Mode.STRICT)

    assert killed_helper.started == 1 and killed_helper.received == 1
    assert (_report(report), _state(*numbers)) == expected
    assert report.written and report.created == 35
    assert verify_chain().ok


def test_a_reimport_of_the_same_file_starts_no_helper(demo, helper):
    secretary = Actor(demo.users["secretary"], "127.0.0.1")
    data = roster(many_people(35, "ahead-again"))
    run(secretary, data, demo.branch, mode=Mode.PARTIAL)
    assert helper.started == 1
    before = counts()

    report = run(secretary, data, demo.branch, mode=Mode.PARTIAL)

    assert helper.started == 1  # the first chunk was unchanged: the rest is read in line
    assert (report.unchanged, report.written) == (35, False)
    assert counts() == before


def test_a_helper_is_started_only_for_large_files_with_a_core_nobody_uses(monkeypatch):
    cores = 2
    monkeypatch.setattr(ahead.os, "cpu_count", lambda: cores)
    monkeypatch.setattr(ahead, "idle_cores", lambda: 1.9)
    assert ahead.worth_it(2000)
    assert not ahead.worth_it(1999)  # a small file: the fork costs more than it saves
    monkeypatch.setattr(ahead, "idle_cores", lambda: 1.2)  # someone else uses most of a core
    assert not ahead.worth_it(50_000)
    cores = 1
    monkeypatch.setattr(ahead, "idle_cores", lambda: 1.0)
    assert not ahead.worth_it(50_000)


def test_idle_cores_are_measured_from_the_kernels_counters():
    assert 0.0 <= ahead.idle_cores(0.05) <= (ahead.os.cpu_count() or 1) + 0.01


def test_the_import_decides_on_a_helper_once_after_its_first_chunk(demo, monkeypatch):
    secretary = Actor(demo.users["secretary"], "127.0.0.1")
    asked: list[int] = []
    monkeypatch.setattr(importer, "CHUNK", CHUNK)
    monkeypatch.setattr(ahead, "worth_it", lambda rows_left: asked.append(rows_left) or False)

    report = run(secretary, roster(many_people(35, "ahead-once")), demo.branch, mode=Mode.PARTIAL)

    assert report.created == 35
    assert len(asked) == 1  # a busy machine is not measured again at every chunk


def test_dangjian_import_ahead_0_keeps_the_import_in_one_process(settings, monkeypatch):
    """A machine short of memory turns the helper off (DANGJIAN_IMPORT_AHEAD=0)."""
    monkeypatch.setattr(ahead, "idle_cores", lambda window=0.1: 2.0)
    monkeypatch.setattr(ahead.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(ahead.threading, "active_count", lambda: 1)

    settings.IMPORT_AHEAD = True
    assert ahead.worth_it(60_000)
    settings.IMPORT_AHEAD = False
    assert not ahead.worth_it(60_000)
