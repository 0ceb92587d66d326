"""The database connection's settings as the platform makes them (settings.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import connection


@pytest.mark.django_db
def test_postgresql_connections_do_not_jit_compile():
    """PostgreSQL's JIT spent 50 ms compiling a refresh's 10 ms read (bench/README.md, branch
    load20): the platform's connections turn it off."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_the_settings_turn_jit_off_for_postgresql_and_keep_a_urls_own_options():
    """Read from DANGJIAN_DATABASE_URL in a fresh interpreter (settings are read once)."""
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'dangjian.settings';"
        "from django.conf import settings;"
        "print(settings.DATABASES['default']['OPTIONS'].get('options'))"
    )
    found = {}
    for url in (
        "postgres://u@127.0.0.1:5432/x",
        "postgres://u@127.0.0.1:5432/x?options=-c%20statement_timeout%3D5000",
        "postgres://u@127.0.0.1:5432/x?options=-c%20jit%3Don",
        "sqlite:////tmp/never-opened.sqlite3",
    ):
        env = {**os.environ, "DANGJIAN_DATABASE_URL": url}
        run = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
            [sys.executable, "-c", code], env=env, capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr
        found[url.split("/x")[-1] or url] = run.stdout.strip()
    assert list(found.values()) == [
        "-c jit=off",
        "-c statement_timeout=5000 -c jit=off",
        "-c jit=on",
        "None",
    ]
