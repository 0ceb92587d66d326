"""Shared fixtures: the demo organ loaded once per test database, and named personas.

Personas (as in healthchecks' alice/bob/charlie): `secretary` runs branch FGW-B01, `member` is an
ordinary member there, `organ` is the 机关党委 officer of department FGW, `inspector` its 纪检
reader, and the three administrators; sibling branch FGW-B02 and department CZJ are out of reach
for the branch roles.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import cached_property

import pytest
from django.conf import settings
from django.test import Client

PASSWORD = "Dangjian@2026"
TODAY = dt.date(2026, 11, 25)
# One clock for the whole run: the demo is built for TODAY, and every service's "today"
# (core.clock.today, timezone.now) starts at 10:00 Beijing time on that day and then runs on, so
# a run started after midnight Beijing time (16:00 UTC) sees the same dates as any other.
# Where the pinned clock holds:
# - every thread of this process, so also the live server the browser tests drive (it serves
#   from a thread): what a page records and what the test then expects share one date;
# - not Chromium's JavaScript clock, which is the machine's: no page script reads the date
#   (date defaults come from the server), and session cookies carry no expiry date;
# - not subprocesses (tests/test_cli.py's `dangjian demo`, `dangjian audit verify`, the chain
#   race in tests/audit/test_chain.py): they run on the machine's clock in a data folder of
#   their own, and check counts and the hash chain, never a date against this process's. A
#   subprocess test that must agree on a date with this process has to pass the date along.
CLOCK_START = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


# Fails the run if any audit event of the suite carries a full ID or phone number.
pytest_plugins = ["tests.pii_scan"]


def pytest_configure(config) -> None:
    import time_machine

    time_machine.travel(CLOCK_START, tick=True).start()
    _hypothesis_on_a_loaded_machine()
    # WhiteNoise warns on every handler when STATIC_ROOT is missing (collectstatic never runs in
    # tests; assets are served through the finders).
    from pathlib import Path

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    # The administrators' second factor is tested in tests/accounts/test_two_factor.py; the
    # other tests log them in with a password (or a session) alone.
    settings.TOTP_REQUIRED = False
    _folders_of_this_process()
    _let_flush_empty_the_audit_log()


def _hypothesis_on_a_loaded_machine() -> None:
    """Property tests check behaviour, not speed: on a CI machine running two workers (or other
    work) Hypothesis's timing checks failed a correct test ("Input generation is slow", a
    filtered date strategy). Timing belongs to bench/; the examples and shrinking stay."""
    from hypothesis import HealthCheck
    from hypothesis import settings as hypothesis_settings

    hypothesis_settings.register_profile(
        "dangjian", deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    hypothesis_settings.load_profile("dangjian")


@pytest.hookimpl(trylast=True)  # after pytest-xdist's own tagging, which may have worked
def pytest_collection_modifyitems(config, items) -> None:
    _tag_xdist_groups(config, items)


def _tag_xdist_groups(config, items) -> None:
    """Under `--dist loadgroup`, a worker tells the controller a test's group by the suffix
    "@group" on its node id. pytest 9.2 builds node ids from a structured `_id`, and
    pytest-xdist 3.8 still writes the old `_nodeid`, so the groups are silently lost
    (pytest-dev/pytest-xdist#1386): tag the ids here. A no-op wherever xdist tagged them."""
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        names = sorted(
            {
                str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                for m in item.iter_markers("xdist_group")
            }
        )
        suffix = "@" + "_".join(names)
        if not names or item.nodeid.endswith(suffix) or not hasattr(item, "_id"):
            continue
        from _pytest.nodeid import NodeId

        item._id = NodeId.parse(item.nodeid + suffix)


def _folders_of_this_process() -> None:
    """The data, media and import folders of this test process, removed at its end.

    Uploaded files (attachments, evidence), import files and anything written to the data
    folder (local rule packs, a generated key) stay out of the folder a developer's demo uses,
    and out of the other xdist workers' way: each worker (and a serial run) has its own.
    """
    import atexit
    import os
    import shutil
    import tempfile
    from pathlib import Path

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    root = Path(tempfile.mkdtemp(prefix=f"dangjian-test-{worker}-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    settings.DATA_DIR = root / "data"
    settings.MEDIA_ROOT = str(root / "media")
    settings.IMPORT_DIR = root / "imports"
    for folder in (settings.DATA_DIR, settings.MEDIA_ROOT, settings.IMPORT_DIR):
        Path(folder).mkdir(mode=0o700)


def _let_flush_empty_the_audit_log() -> None:
    """The append-only triggers refuse DELETE on audit events (audit/0003); emptying the test
    database between transactional tests is the one delete they let through."""
    from django.db.backends.base.operations import BaseDatabaseOperations

    from dangjian.audit.purge import purge_allowed

    original = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with purge_allowed(self.connection):
            return original(self, sql_list)

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]


def _load_demo() -> None:
    from dangjian.demo import ensure_demo

    ensure_demo(password=PASSWORD, today=TODAY)


AUDIT_PARTITIONED = os.environ.get("DANGJIAN_TEST_AUDIT_PARTITIONED") == "1"


def _partition_audit_if_asked() -> None:
    """`DANGJIAN_TEST_AUDIT_PARTITIONED=1` on PostgreSQL: run the suite against audit events
    partitioned by year, converted with the SQL `dangjian audit partition-sql` prints."""
    from django.db import connection, transaction

    if not AUDIT_PARTITIONED or connection.vendor != "postgresql":
        return
    from dangjian.audit import partitioning

    with transaction.atomic(), connection.cursor() as cursor:
        for statement in partitioning.conversion(2000, 2040):
            cursor.execute(statement)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # Tests need no slow password hashing; the policy validators still run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock():
        _partition_audit_if_asked()
        _load_demo()
        from django.db import connections

        from tests import fk_check

        # SQLite: after each test, check the foreign keys of the tables it wrote (fk_check).
        fk_check.install(connections["default"])
    yield
    with django_db_blocker.unblock():
        from tests import demo_snapshot

        demo_snapshot.drop()


class Demo:
    """The demo organ's users and organizations by name, and a few members found on first use.

    Users and organizations are read in two queries; the members, which most tests never touch,
    only when asked for.
    """

    def __init__(self, users: dict, org: dict) -> None:
        self.users = users
        self.org = org
        self.branch = org["FGW-B01"]
        self.sibling_branch = org["FGW-B02"]
        self.other_branch = org["CZJ-B01"]
        self.organ_committee = org["FGW-JGDW"]

    @cached_property
    def member_in_branch(self):
        from dangjian.members.models import Member

        return Member.objects.filter(organization=self.branch).exclude(user__isnull=False).first()

    @cached_property
    def member_in_sibling(self):
        from dangjian.members.models import Member

        return Member.objects.filter(organization=self.sibling_branch).first()

    @cached_property
    def member_in_other_dept(self):
        from dangjian.members.models import Member

        return Member.objects.filter(organization=self.other_branch).first()

    @cached_property
    def own_member(self):
        return self.users["member"].member


def load_demo() -> Demo:
    """The demo organ as it is in the database now (loaded again if a transactional test
    flushed it)."""
    from dangjian.accounts.models import User
    from dangjian.orgs.models import Organization

    org = {o.code: o for o in Organization.objects.all()}
    if "GW" not in org:
        from tests import demo_snapshot

        demo_snapshot.build_or_restore(_load_demo)
        org = {o.code: o for o in Organization.objects.all()}
    return Demo({u.username: u for u in User.objects.all()}, org)


@pytest.fixture
def demo(db) -> Demo:
    """The demo organ (reloaded if a transactional test flushed the database).

    The rule packs in force are read here too: their first read in a process (or after a test
    reset them) records 启用规则包 in the audit log, and a test counting the events of a write
    that reads the packs (recording a meeting reads the 补录 threshold) must not see it."""
    from dangjian.meetings.packs import rules_in_force

    found = load_demo()
    rules_in_force()
    return found


@pytest.fixture(autouse=True)
def _fresh_tree_counts():
    """Each test starts without the tree counts an earlier one kept in this process: tests
    roll back, and a test that writes members without the services (a factory) leaves no audit
    event for the cache to see (structure/counts.py)."""
    from dangjian.structure.counts import clear_cache

    clear_cache()
    yield


@pytest.fixture
def client_for():
    def make(user) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


def member_payload(**overrides) -> dict:
    """Valid data for a new member, with a synthetic checksum-correct ID number."""
    import random

    from dangjian.regulations.synth import make_id_number, make_phone

    rng = random.Random(overrides.pop("seed", 7))
    data = {
        "name": "测试党员",
        "id_number": make_id_number(rng, dt.date(1990, 5, 3), "female"),
        "phone": make_phone(rng),
        "status": "full",
        "category": "employed",
        "admitted_on": "2015-07-01",
        "confirmed_on": "2016-07-01",
        "ethnicity": "汉族",
        "education": "university",
        "job_title": "科员",
    }
    data.update(overrides)
    return data
