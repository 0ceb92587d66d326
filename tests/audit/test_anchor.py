"""The anchored head: deleting the newest events and setting the head row back to an earlier
event leaves a chain that verifies on its own; the heads written outside the database catch it."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from dangjian.audit.anchor import read_anchors
from dangjian.audit.models import AuditEvent, AuditHead
from dangjian.audit.services import verify_chain
from dangjian.core.jobs import tick
from dangjian.regulations.periods import TZ
from tests.audit.test_chain import _raw, _three_events, dba_db, trigger_dropped


def verify(*anchor_files) -> str:
    out = io.StringIO()
    args = [arg for path in anchor_files for arg in ("--anchor", str(path))]
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue().strip()


def anchor(path) -> str:
    out = io.StringIO()
    call_command("audit", "anchor", "--file", str(path), stdout=out)
    return out.getvalue().strip()


def test_anchor_appends_the_head_as_a_json_line_readable_only_by_its_owner(demo, tmp_path):
    path = tmp_path / "anchors.jsonl"
    _three_events()
    head = AuditHead.objects.get(pk=1)

    assert anchor(path).startswith(f"anchored: #{head.seq} {head.last_hash}")
    _three_events()
    anchor(path)

    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["seq"] for line in lines] == [head.seq, head.seq + 3]
    assert lines[0]["hash"] == head.last_hash
    assert (path.stat().st_mode & 0o777) == 0o600
    assert verify(path).endswith("chain intact, matches 2 anchored heads")


@dba_db
def test_truncation_with_a_rewritten_head_passes_verify_but_not_verify_with_the_anchor(tmp_path):
    path = tmp_path / "anchors.jsonl"
    first, _, _ = _three_events()
    anchor(path)
    anchored = AuditHead.objects.get(pk=1).seq
    # The attacker deletes the newest events and sets the head back to the one left last.
    with trigger_dropped():
        _raw("DELETE FROM {table} WHERE seq > %s", [first.seq])
    AuditHead.objects.filter(pk=1).update(seq=first.seq, last_hash=first.hash)

    assert verify_chain().ok  # the chain alone cannot tell
    assert verify().startswith("OK")
    with pytest.raises(CommandError) as excinfo:
        verify(path)

    assert f"链尾为 #{anchored}，数据库中只到 #{first.seq}" in str(excinfo.value)


@dba_db
def test_events_rewritten_to_the_same_length_differ_from_the_anchored_hash(tmp_path):
    path = tmp_path / "anchors.jsonl"
    _, victim, _ = _three_events()
    anchor(path)
    anchored = AuditHead.objects.get(pk=1).seq
    # Delete the newest two and append two new ones: same length, a consistent chain, other hashes.
    with trigger_dropped():
        _raw("DELETE FROM {table} WHERE seq >= %s", [victim.seq])
    AuditHead.objects.filter(pk=1).update(
        seq=victim.seq - 1, last_hash=AuditEvent.objects.get(seq=victim.seq - 1).hash
    )
    _three_events()  # re-appended by the platform itself: valid hashes, different content

    assert verify_chain().ok
    with pytest.raises(CommandError, match=f"事件 #{anchored} 与锚定记录"):
        verify(path)


def test_a_damaged_or_missing_anchor_file_is_refused_in_chinese(demo, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"seq": 1, "hash": "ab"}\nnot json\n')

    with pytest.raises(CommandError, match="第 2 行格式不正确"):
        verify(bad)
    with pytest.raises(CommandError, match="无法读取锚定文件"):
        verify(tmp_path / "missing.jsonl")


def test_anchor_without_a_place_says_where_to_configure_one(demo, settings):
    settings.AUDIT_ANCHOR_FILE = ""
    settings.AUDIT_ANCHOR_SYSLOG = False

    with pytest.raises(CommandError, match="DANGJIAN_AUDIT_ANCHOR_FILE"):
        call_command("audit", "anchor", stdout=io.StringIO())


def test_tick_anchors_once_a_beijing_day_to_the_configured_file(demo, settings, tmp_path):
    path = tmp_path / "anchors.jsonl"
    settings.AUDIT_ANCHOR_FILE = str(path)
    day = dt.datetime(2026, 11, 25, 0, 5, tzinfo=TZ)

    counts = [
        tick(now=day)["audit_anchors"],
        tick(now=day + dt.timedelta(hours=23))["audit_anchors"],
        tick(now=day + dt.timedelta(days=1))["audit_anchors"],
    ]

    assert counts == [1, 0, 1]
    assert len(read_anchors(path)) == 2


def test_tick_without_an_anchor_file_anchors_nothing(demo, settings):
    settings.AUDIT_ANCHOR_FILE = ""

    assert tick()["audit_anchors"] == 0


@dba_db
def test_the_auditors_verify_button_checks_the_configured_anchor(settings, tmp_path):
    from django.test import Client
    from django.urls import reverse

    from tests.conftest import load_demo

    demo = load_demo()
    path = tmp_path / "anchors.jsonl"
    settings.AUDIT_ANCHOR_FILE = str(path)
    first, _, _ = _three_events()
    anchor(path)
    client = Client()
    client.force_login(demo.users["auditor"])

    ok = client.post(reverse("audit:verify"), follow=True).content.decode()
    with trigger_dropped():
        _raw("DELETE FROM {table} WHERE seq > %s", [first.seq])
    AuditHead.objects.filter(pk=1).update(seq=first.seq, last_hash=first.hash)
    broken = client.post(reverse("audit:verify"), follow=True).content.decode()

    assert "与锚定记录一致" in ok
    assert "哈希链与锚定记录不符" in broken
