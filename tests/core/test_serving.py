"""`dangjian serve` as an operator runs it: compressed static files cached for a year, Chinese
error pages, no Server header, and gunicorn's control socket inside the data folder."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [
    pytest.mark.skipif(
        "connection.vendor != 'sqlite'", reason="serves its own SQLite data folder; once is enough"
    ),
    # A free port is picked, then bound by another process: one worker runs all that do this.
    pytest.mark.xdist_group("ports"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, **headers) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.body = response.read()
    conn.close()
    return response


@pytest.fixture
def served(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DANGJIAN_")}
    env.update(
        DANGJIAN_DATA_DIR=str(tmp_path / "data"),
        DANGJIAN_SECRET_KEY=bytes(settings.DANGJIAN_MASTER_SECRET).decode(),
    )
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "dangjian.cli", "serve", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", "1", "--no-task-worker", "--no-tick"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300  # migrations and collectstatic on a loaded machine
        while True:
            try:
                if _get(port, "/healthz").status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail((tmp_path / "serve.log").read_text(errors="replace")[-3000:])
            time.sleep(0.5)
        yield port, tmp_path / "data"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        log.close()


def test_serve_answers_like_a_production_server(served, db):
    port, data_dir = served

    login = _get(port, "/login/")
    assert login.status == 200
    assert login.getheader("Server") is None
    assert "default-src 'self'" in login.getheader("Content-Security-Policy")

    css = re.search(
        rb'href="(/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]{12}\.css)"', login.body
    )
    assert css, "the page links the hashed stylesheet"
    static = _get(port, css.group(1).decode(), **{"Accept-Encoding": "gzip, br"})
    assert static.status == 200
    assert static.getheader("Content-Encoding") == "br"
    assert "immutable" in static.getheader("Cache-Control")
    assert "max-age=315360000" in static.getheader("Cache-Control")
    assert len(static.body) < 40_000  # 232 KB uncompressed
    assert static.getheader("Server") is None

    missing = _get(port, "/no-such-page/")
    assert missing.status == 404 and "页面不存在".encode() in missing.body
    assert b"Not Found" not in missing.body
    api = _get(port, "/api/v1/nothing")
    assert api.status == 404 and api.getheader("Content-Type").startswith("application/json")

    control = data_dir / "gunicorn.ctl"
    assert stat.S_ISSOCK(control.stat().st_mode)
    assert connection.vendor == "sqlite"


def test_the_workers_do_not_inherit_the_servers_database_connection(monkeypatch):
    """Workers keep their connections between requests (CONN_MAX_AGE), so the connections the
    server process opened for its checks and migrations are closed before gunicorn forks."""
    from django.db import connections

    from dangjian import cli

    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    events = []
    close_all = connections.close_all
    monkeypatch.setattr(connections, "close_all", lambda: (events.append("close"), close_all()))
    monkeypatch.setattr(cli, "_control_socket_args", lambda: [])
    monkeypatch.setattr(sys, "argv", list(sys.argv))  # _run_gunicorn sets gunicorn's argv
    cli._run_gunicorn(lambda: events.append("fork workers"), "127.0.0.1:1", 1, [])

    assert events == ["close", "fork workers"]
