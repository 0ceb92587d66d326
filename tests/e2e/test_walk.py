"""Every role's way through the product, as a new user walks it, on a phone and on a desktop
(issue 18): from the landing page through every entry of the menu, no page scrolls sideways,
no button's text breaks mid-word, buttons and badges are readable (WCAG AA), and every link a
page shows leads somewhere the user may go (no 403 or 404 behind a visible link).

Run on SQLite only: it checks what the browser is shown, which is the same on every engine;
the SQL behind each page is exercised on every engine by the view and permission tests.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.db import connection

from tests.conftest import PASSWORD
from tests.e2e.checks import problems_on, sideways
from tests.e2e.conftest import DESKTOP, PHONE, _new_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="what the browser shows; once is enough"
    ),
]

ROLES = ("member", "secretary", "organ", "inspector", "sysadmin", "secadmin", "auditor")
# Links that act or download rather than show a page the user reads.
NOT_PAGES = (".xlsx", ".docx", ".zip", ".pdf", "/logout/", "/static/", "/media/")
# At most this many links are followed per role (the list pages repeat the same shapes).
MAX_LINKS = 60

_LINKS = """
() => [...document.querySelectorAll('nav a[href], main a[href]')]
  .filter((a) => a.offsetParent !== null || a.closest('#nav'))
  .map((a) => a.getAttribute('href'))
"""


def _shape(path: str) -> str:
    """/meetings/123/ and /meetings/456/ are one shape: follow one of them."""
    return "/".join("#" if part.isdigit() else part for part in path.split("/"))


def _menu(page) -> list[str]:
    return page.evaluate(
        "() => [...document.querySelectorAll('#nav a.nav-link')].map(a => a.getAttribute('href'))"
    )


@pytest.mark.parametrize("device", ["phone", "desktop"])
@pytest.mark.parametrize("role", ROLES)
def test_a_role_walks_the_menu(browser, live_server, transactional_db, demo, login, role, device):
    viewport = PHONE if device == "phone" else DESKTOP
    context, page = _new_page(browser, live_server, viewport)
    try:
        login(page, role, PASSWORD)
        problems: list[str] = []
        pages = ["/", *[h for h in _menu(page) if h and h.startswith("/")]]
        seen_shapes: set[str] = set()
        to_follow: list[str] = []
        for path in dict.fromkeys(pages):
            response = page.goto(path)
            assert response is not None
            if response.status >= 400:
                problems.append(f"menu {path}: {response.status}")
                continue
            if device == "phone" and sideways(page, viewport["width"]):
                problems.append(f"{path}: scrolls sideways on a phone")
            problems += problems_on(page, path)
            for href in page.evaluate(_LINKS):
                if not href or href.startswith(("#", "javascript:", "mailto:")):
                    continue
                target = urlsplit(href)
                if target.netloc and target.netloc != urlsplit(live_server.url).netloc:
                    problems.append(f"{path}: link leaves the site: {href}")
                    continue
                full = target.path + (f"?{target.query}" if target.query else "")
                if not target.path.startswith("/") or any(n in target.path for n in NOT_PAGES):
                    continue
                shape = _shape(target.path)
                if shape not in seen_shapes:
                    seen_shapes.add(shape)
                    to_follow.append(full)
        for href in to_follow[:MAX_LINKS]:
            status = page.request.get(href, max_redirects=0).status
            if status in (403, 404) or status >= 500:
                problems.append(f"link {href}: {status}")
        assert not problems, f"{role} on a {device}:\n" + "\n".join(problems)
    finally:
        context.close()
