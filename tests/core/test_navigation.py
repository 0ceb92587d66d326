"""The navigation bar as each user sees it (issue 18): the role said once, a member's own page
instead of a one-person list, and an icon instead of a 404 on every page."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.urls import reverse


def _nav(client) -> str:
    html = client.get(reverse("password_change")).content.decode()
    return html[html.index("<nav") : html.index("</nav>")]


def test_an_administrator_named_after_the_role_sees_it_once(demo, client_for):
    nav = _nav(client_for(demo.users["sysadmin"]))
    assert "系统管理员" in nav
    assert "系统管理员（系统管理员）" not in nav


def test_a_secretary_sees_the_name_and_the_role(demo, client_for):
    secretary = demo.users["secretary"]
    nav = _nav(client_for(secretary))
    assert f"{secretary.display_name}（" in nav


def test_a_member_gets_the_own_page_not_a_list_of_one(demo, client_for):
    member = demo.users["member"]
    nav = _nav(client_for(member))
    assert reverse("members:detail", args=[member.member_id]) in nav
    assert f'href="{reverse("members:list")}"' not in nav


def test_the_secretary_keeps_the_member_list(demo, client_for):
    nav = _nav(client_for(demo.users["secretary"]))
    assert f'href="{reverse("members:list")}"' in nav


def test_favicon_is_shipped_and_linked(client, demo, client_for):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert "favicon" in response["Location"] and response["Location"].endswith(".svg")
    assert finders.find("dangjian/favicon.svg")
    assert (
        'rel="icon"'
        in client_for(demo.users["member"]).get(reverse("password_change")).content.decode()
    )
