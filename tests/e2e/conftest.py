"""Browser fixtures: Playwright for Python driving Debian's /usr/bin/chromium, never a downloaded
browser, against pytest-django's live server.

Without /usr/bin/chromium the browser tests are skipped, unless DANGJIAN_REQUIRE_BROWSER=1 (as CI
sets it), in which case they fail: a CI run must never pass by skipping them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio event loop in the test thread, and Django then refuses
# ORM calls made from that thread (SynchronousOnlyOperation). The test thread only reads fixtures
# and checks results; the live server serves from its own thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def _browser_unavailable(reason: str) -> None:
    if os.environ.get("DANGJIAN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}, and DANGJIAN_REQUIRE_BROWSER=1 requires the browser tests to run")
    pytest.skip(reason)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items) -> None:
    """Under pytest-xdist the browser tests run on one worker: one chromium and one live server
    for all of them (the browser is a session fixture), not one per worker."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session", autouse=True)
def one_request_at_a_time_on_sqlite():
    """On the in-memory SQLite test database every request thread of the live server shares the
    test's one connection, so two requests at once (the inbox badge and a tree node loading
    together) interleave their savepoints ("no such savepoint"). There the server answers one
    request at a time (Django then closes each browser connection after its response)."""
    from django.core.servers.basehttp import WSGIServer
    from django.db import connection
    from django.test.testcases import LiveServerThread

    if not (connection.vendor == "sqlite" and connection.is_in_memory_db()):
        yield
        return

    class OneAtATime(WSGIServer):
        def __init__(self, *args, connections_override=None, **kwargs):
            # The server's own thread serves every request on the shared connection.
            super().__init__(*args, **kwargs)

    threaded = LiveServerThread.server_class
    LiveServerThread.server_class = OneAtATime
    yield
    LiveServerThread.server_class = threaded


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _browser_unavailable(
            "Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)"
        )
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _browser_unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    # Generous waits for a loaded CI machine; a passing step never waits for them.
    expect.set_options(timeout=15_000)
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
    except Exception as exc:
        playwright.stop()
        _browser_unavailable(f"/usr/bin/chromium did not start under Playwright: {exc}")
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def results_dir(request) -> Path:
    """test-results/ at the repository root (gitignored): screenshots for humans."""
    path = Path(request.config.rootpath) / "test-results"
    path.mkdir(exist_ok=True)
    return path


def _new_page(browser, live_server, viewport):
    context = browser.new_context(
        base_url=live_server.url, viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    return context, context.new_page()


@pytest.fixture
def page(browser, live_server, transactional_db, demo):
    """A desktop-sized page in a fresh browser context (no cookies) on the live server."""
    context, page = _new_page(browser, live_server, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server, transactional_db, demo):
    """A phone-sized page (390x844) in a fresh browser context on the live server."""
    context, page = _new_page(browser, live_server, PHONE)
    yield page
    context.close()


@pytest.fixture
def login():
    """Log in through the real login form and land on the home page."""

    def do_login(page, username: str, password: str) -> None:
        page.goto("/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(lambda url: "/login/" not in url)

    return do_login
