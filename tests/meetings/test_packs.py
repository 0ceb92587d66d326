"""The rule set in force: where the local packs come from, validation at startup, and every
change of a pack recorded in the audit log."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.meetings import packs
from dangjian.meetings.models import LoadedRulePack
from dangjian.regulations.engine import PackError
from tests.helpers import last_seq

LOCAL = """[pack]
id = "test_local"
title = "测试地方规则"

[[rules]]
id = "general_meeting_freq"
minimum = {minimum}
reason = "本地要求每季度多开党员大会"
"""


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.delenv(packs.PACKS_ENV, raising=False)
    packs.reset_cache()
    yield
    packs.reset_cache()


def write_pack(path, minimum: int) -> str:
    path.write_text(LOCAL.format(minimum=minimum), encoding="utf-8")
    return str(path)


# ---- where the packs come from -------------------------------------------------------------


def test_the_settings_name_the_packs_first(settings, monkeypatch):
    settings.DANGJIAN_RULE_PACKS = ["bundled:sample_local"]
    monkeypatch.setenv(packs.PACKS_ENV, "")

    assert packs.configured_sources() == ["bundled:sample_local"]
    rules, loaded = packs.load_rules()
    assert rules.pack_ids == ("national", "sample_local")
    assert [item.source for item in loaded] == ["bundled:national", "bundled:sample_local"]


def test_the_environment_names_the_packs_when_the_settings_do_not(settings, monkeypatch, tmp_path):
    assert not hasattr(settings, "DANGJIAN_RULE_PACKS")
    settings.DATA_DIR = tmp_path
    (tmp_path / packs.PACKS_FILE).write_text("bundled:sample_local\n", encoding="utf-8")
    monkeypatch.setenv(packs.PACKS_ENV, "")

    assert packs.configured_sources() == []  # set but empty: the national pack alone

    monkeypatch.setenv(packs.PACKS_ENV, " bundled:sample_local , twice.toml ")
    assert packs.configured_sources() == ["bundled:sample_local", "twice.toml"]


def test_the_data_folder_file_names_the_packs_otherwise(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    assert packs.configured_sources() == []
    write_pack(tmp_path / "local.toml", 2)
    (tmp_path / packs.PACKS_FILE).write_text(
        "# 注释行\nbundled:sample_local  # 示例\n\nlocal.toml\n", encoding="utf-8"
    )

    assert packs.configured_sources() == ["bundled:sample_local", "local.toml"]
    rules, loaded = packs.load_rules()
    # A relative path is read from the data folder.
    assert loaded[-1].pack.name == str(tmp_path / "local.toml")
    assert rules.rule("general_meeting_freq").minimum == 2
    assert rules.rule("general_meeting_freq").source == "test_local"


def test_the_demo_remembers_the_sample_pack_once(settings, monkeypatch, tmp_path):
    settings.DATA_DIR = tmp_path

    written = packs.remember_demo_packs()

    assert written == str(tmp_path / packs.PACKS_FILE)
    assert packs.configured_sources() == ["bundled:sample_local"]
    (tmp_path / packs.PACKS_FILE).write_text("", encoding="utf-8")  # the admin cleared it
    assert packs.remember_demo_packs() is None
    assert packs.configured_sources() == []


def test_the_demo_leaves_the_choice_to_the_environment(settings, monkeypatch, tmp_path):
    settings.DATA_DIR = tmp_path
    monkeypatch.setenv(packs.PACKS_ENV, "")

    assert packs.remember_demo_packs() is None
    assert not (tmp_path / packs.PACKS_FILE).exists()


# ---- validation at startup -----------------------------------------------------------------


def test_an_invalid_pack_is_a_startup_error_naming_the_rule_and_field(settings, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(LOCAL.format(minimum=0), encoding="utf-8")
    settings.DANGJIAN_RULE_PACKS = [str(bad)]

    errors = packs.check_rule_packs()

    assert [e.id for e in errors] == ["dangjian.E101"]
    assert errors[0].msg == (
        f"地方规则包无效，系统未启动：规则包 {bad} 规则 general_meeting_freq 字段 minimum："
        "应为不小于1的整数，实际为 0"
    )
    with pytest.raises(SystemCheckError, match="dangjian.E101"):
        call_command("check")


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        (["bundled:no_such_pack"], "规则包 bundled:no_such_pack：没有这个内置规则包"),
        (["missing.toml"], "无法读取文件"),
        (["bundled:sample_local", "bundled:sample_local"], "规则包编号 sample_local 重复"),
    ],
)
def test_packs_that_cannot_be_used_are_refused(settings, tmp_path, sources, message):
    settings.DATA_DIR = tmp_path
    settings.DANGJIAN_RULE_PACKS = sources

    with pytest.raises(PackError, match=message):
        packs.load_rules()
    assert packs.check_rule_packs()[0].id == "dangjian.E101"


def test_valid_packs_pass_the_check(settings):
    settings.DANGJIAN_RULE_PACKS = ["bundled:sample_local"]

    assert packs.check_rule_packs() == []


# ---- changes audited -----------------------------------------------------------------------


def test_every_change_of_a_pack_is_audited(db, tmp_path):
    path = tmp_path / "local.toml"
    write_pack(path, 2)
    before = last_seq()

    rules, loaded = packs.load_rules([str(path)])
    assert sorted(packs.sync_loaded_packs(rules, loaded)) == ["national", "test_local"]
    created = AuditEvent.objects.get(seq__gt=before, object_id="test_local")
    assert created.action == AuditAction.CREATE
    assert created.actor is None and created.ip == "rule_packs"
    assert created.object_type == "meetings.loadedrulepack"
    assert created.changes["overrides"] == [
        {
            "rule_id": "general_meeting_freq",
            "before": {
                "period": "quarter",
                "minimum": 1,
                "at_risk_days": 30,
                "severity": "warning",
                "enabled": True,
                "default_quarter": None,
            },
            "after": {
                "period": "quarter",
                "minimum": 2,
                "at_risk_days": 30,
                "severity": "warning",
                "enabled": True,
                "default_quarter": None,
            },
            "reason": "本地要求每季度多开党员大会",
        }
    ]
    first_sha = LoadedRulePack.objects.get(pack_id="test_local").sha256

    # The same packs again: nothing to record.
    same = last_seq()
    assert packs.sync_loaded_packs(*packs.load_rules([str(path)])) == []
    assert last_seq() == same

    # The file is edited: one update event, with the checksums and the new numbers.
    write_pack(path, 3)
    assert packs.sync_loaded_packs(*packs.load_rules([str(path)])) == ["test_local"]
    updated = AuditEvent.objects.get(seq__gt=same)
    assert updated.action == AuditAction.UPDATE
    new_sha = LoadedRulePack.objects.get(pack_id="test_local").sha256
    assert updated.changes["sha256"] == [first_sha, new_sha] and new_sha != first_sha
    assert updated.changes["overrides"][0]["after"]["minimum"] == 3

    # The pack is taken out of service.
    gone = last_seq()
    assert packs.sync_loaded_packs(*packs.load_rules([])) == ["test_local"]
    removed = AuditEvent.objects.get(seq__gt=gone)
    assert removed.action == AuditAction.DELETE
    assert not LoadedRulePack.objects.filter(pack_id="test_local").exists()
    assert LoadedRulePack.objects.filter(pack_id="national").exists()


def test_the_rules_in_force_notice_an_edited_pack_file(db, settings, tmp_path):
    path = tmp_path / "local.toml"
    settings.DANGJIAN_RULE_PACKS = [write_pack(path, 2)]
    assert packs.rules_in_force().rule("general_meeting_freq").minimum == 2
    before = last_seq()

    write_pack(path, 12)  # a different size, so a different file signature

    assert packs.rules_in_force().rule("general_meeting_freq").minimum == 12
    event = AuditEvent.objects.get(seq__gt=before)
    assert (event.action, event.object_id) == (AuditAction.UPDATE, "test_local")
    # Read once: asking again costs no query and records nothing.
    assert packs.rules_in_force() is packs.rules_in_force()
    assert last_seq() == event.seq
