"""The `dangjian` command: demo, token and audit verify, as a new user runs them.

The demo tests run the installed console script in a subprocess against an embedded SQLite file
in a temporary data folder, exactly like a first run on a fresh machine. They run once, on the
SQLite-by-default run of the suite; the token command runs in-process on every database.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from dangjian.accounts.models import ApiToken
from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.demo import DEFAULT_PASSWORD, DEMO_USERS
from dangjian.members.models import Member

DANGJIAN = str(Path(sys.executable).with_name("dangjian"))
DB_FILE = "dangjian.sqlite3"

# Under pytest-xdist the whole module runs on one worker, so `dangjian demo --prepare-only` (a
# module fixture, minutes of CPU) runs once, not once per worker.
pytestmark = pytest.mark.xdist_group("cli_demo")

on_sqlite_runs_only = pytest.mark.skipif(
    bool(os.environ.get("DANGJIAN_DATABASE_URL")),
    reason="the demo subprocess uses its own SQLite file; it runs once, in the SQLite run",
)


def _env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    # A fresh machine: no database URL, no key in the environment (the key file is generated).
    for name in ("DANGJIAN_DATABASE_URL", "DANGJIAN_SECRET_KEY", "DANGJIAN_FIELD_KEY_FILE"):
        env.pop(name, None)
    env["DANGJIAN_DATA_DIR"] = str(data_dir)
    return env


def dangjian(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our own console script, fixed arguments)
        [DANGJIAN, *args],
        env=_env(data_dir),
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _count(data_dir: Path, sql: str) -> int:
    # sqlite3's own context manager commits but does not close: close it here, or the garbage
    # collector does it later and removes the -wal/-shm files under a copy in progress.
    with contextlib.closing(sqlite3.connect(data_dir / DB_FILE)) as db:
        return db.execute(sql).fetchone()[0]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One `dangjian demo --prepare-only` run on an empty data folder."""
    data_dir = tmp_path_factory.mktemp("demo")
    result = dangjian(data_dir, "demo", "--prepare-only")
    assert result.returncode == 0, result.stderr
    return data_dir, result


@pytest.fixture
def prepared_copy(prepared, tmp_path) -> Path:
    """A private copy of the prepared data folder, for tests that change it."""
    target = tmp_path / "data"
    # Every connection to the database is closed by now; -wal/-shm files are transient.
    shutil.copytree(prepared[0], target, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    return target


# ---- dangjian demo ---------------------------------------------------------------------------


@on_sqlite_runs_only
def test_demo_prepare_only_creates_the_database_and_prints_the_logins(prepared):
    data_dir, result = prepared

    assert (data_dir / DB_FILE).is_file()
    assert (data_dir / "secret.key").is_file()
    assert f"演示账号（密码：{DEFAULT_PASSWORD}）" in result.stdout
    for username, label in DEMO_USERS:
        assert f"{username:<10} {label}" in result.stdout
    assert len(DEMO_USERS) == 7
    assert "打开浏览器访问" not in result.stdout  # --prepare-only does not serve
    assert _count(data_dir, "SELECT COUNT(*) FROM accounts_user") == 7
    assert 150 <= _count(data_dir, "SELECT COUNT(*) FROM members_member") <= 250
    assert _count(data_dir, "SELECT COUNT(*) FROM orgs_organization WHERE kind = 'branch'") >= 9


@on_sqlite_runs_only
def test_running_demo_again_keeps_the_data(prepared_copy):
    members = _count(prepared_copy, "SELECT COUNT(*) FROM members_member")
    last_member = _count(prepared_copy, "SELECT MAX(id) FROM members_member")
    events = _count(prepared_copy, "SELECT COUNT(*) FROM audit_auditevent")
    key = (prepared_copy / "secret.key").read_bytes()

    result = dangjian(prepared_copy, "demo", "--prepare-only")

    assert result.returncode == 0, result.stderr
    assert "演示数据已存在，保留原有数据。" in result.stdout
    assert "已生成演示数据" not in result.stdout
    # The password chosen at the first run is not known any more, so it is not claimed.
    assert DEFAULT_PASSWORD not in result.stdout
    assert "secretary" in result.stdout
    assert _count(prepared_copy, "SELECT COUNT(*) FROM members_member") == members
    assert _count(prepared_copy, "SELECT MAX(id) FROM members_member") == last_member
    assert _count(prepared_copy, "SELECT COUNT(*) FROM audit_auditevent") == events
    assert (prepared_copy / "secret.key").read_bytes() == key


# One check per login (each costs a full PBKDF2 run): a hash that accepts the new password cannot
# also accept the default one.
CHECK_PASSWORDS = """
from dangjian.accounts.models import User
for user in User.objects.order_by("username"):
    print("PW", user.username, user.check_password("Hongqi#2026x"))
"""


@on_sqlite_runs_only
def test_demo_password_option_sets_the_password_of_every_demo_login(tmp_path):
    result = dangjian(tmp_path, "demo", "--prepare-only", "--password", "Hongqi#2026x")

    assert result.returncode == 0, result.stderr
    assert "演示账号（密码：Hongqi#2026x）" in result.stdout
    check = dangjian(tmp_path, "shell", "-c", CHECK_PASSWORDS)
    assert check.returncode == 0, check.stderr
    lines = [line for line in check.stdout.splitlines() if line.startswith("PW ")]
    assert sorted(lines) == sorted(f"PW {username} True" for username, _ in DEMO_USERS)


# ---- dangjian audit verify -------------------------------------------------------------------


@on_sqlite_runs_only
def test_audit_verify_exits_zero_on_the_clean_demo_chain(prepared_copy):
    events = _count(prepared_copy, "SELECT COUNT(*) FROM audit_auditevent")

    result = dangjian(prepared_copy, "audit", "verify")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"OK: {events} events, chain intact"


@on_sqlite_runs_only
def test_audit_verify_exits_non_zero_and_names_an_event_a_dba_rewrote(prepared_copy):
    with sqlite3.connect(prepared_copy / DB_FILE) as db:
        # The trigger stops a plain UPDATE; someone with file access drops it first.
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("UPDATE audit_auditevent SET message = 'x' WHERE seq = 5")
        db.execute("DROP TRIGGER audit_event_no_update")
        db.execute("UPDATE audit_auditevent SET object_repr = '改写' WHERE seq = 5")

    result = dangjian(prepared_copy, "audit", "verify")

    assert result.returncode == 1
    assert "BROKEN at event #5 (4 verified before it)" in result.stderr
    assert "事件 #5 的内容已被篡改" in result.stderr


# ---- dangjian token create -------------------------------------------------------------------


def _create_token(*args: str) -> str:
    out = io.StringIO()
    call_command("token", "create", *args, stdout=out)
    return out.getvalue().strip()


def test_token_create_prints_a_token_that_authenticates_against_the_api(demo):
    token = _create_token("secretary")

    response = Client().get("/api/v1/members", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == Member.objects.filter(organization=demo.branch).count()
    assert {item["organization_code"] for item in body["items"]} == {"FGW-B01"}


def test_token_create_is_audited_and_only_a_digest_is_stored(demo):
    token = _create_token("secretary", "--name", "报表脚本")

    stored = ApiToken.objects.get(prefix=token[:10])
    assert stored.user == demo.users["secretary"]
    assert stored.name == "报表脚本"
    assert token not in stored.digest
    assert not ApiToken.objects.filter(digest=token).exists()
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == AuditAction.TOKEN
    assert event.ip == "cli"
    assert event.object_id == str(stored.pk)
    assert token not in event.message


def test_an_unknown_or_altered_token_is_refused(demo):
    token = _create_token("secretary")
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")

    for header in (f"Bearer {altered}", "Bearer dj_nonsense", ""):
        response = Client().get("/api/v1/members", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header


def test_an_expired_token_is_refused(demo):
    token = _create_token("secretary", "--days", "1")
    ApiToken.objects.filter(prefix=token[:10]).update(
        expires_at=timezone.now() - timezone.timedelta(minutes=1)
    )

    response = Client().get("/api/v1/members", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401


def test_token_create_with_zero_days_never_expires(demo):
    token = _create_token("member", "--days", "0")

    assert ApiToken.objects.get(prefix=token[:10]).expires_at is None


def test_token_create_for_an_unknown_user_fails_with_a_chinese_message(demo):
    with pytest.raises(CommandError, match="用户 nobody 不存在或已停用"):
        _create_token("nobody")
