"""The registry the apps plug into: a to-do provider registered by an app appears in the badge,
the inbox page and the API's counts, with no change to the notices app; kind codes are checked."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.urls import reverse

from dangjian.notices import registry
from dangjian.notices.queries import action_counts


@pytest.fixture
def install_probe(monkeypatch):
    """Installs a to-do provider of an app the notices know nothing about: two things wait for
    the secretary persona, nothing for anybody else."""

    def count(user) -> int:
        return 2 if user.username == "secretary" else 0

    def rows(user, limit: int) -> list[registry.TodoRow]:
        return [
            registry.TodoRow(link=f"/probe/{n}/", tag="探针", title=f"待确认事项{n}")
            for n in range(count(user))
        ][:limit]

    def install() -> None:
        registry.todo_providers()  # the real apps' providers first, as in a running server
        provider = registry.TodoProvider("probe", "探针", count, rows)
        monkeypatch.setitem(registry._todos, "probe", provider)

    return install


def badge(client) -> int:
    found = re.search(r">(\d+)</span>", client.get(reverse("notices:inbox_badge")).content.decode())
    return int(found.group(1)) if found else 0


def test_the_apps_providers_are_found_without_the_notices_naming_them():
    assert [p.key for p in registry.todo_providers()] == [
        "items",
        "review",
        "leave",
        "grants",
        "recruitment",
        "transfers",
        "appeals",
        "sittings",
    ]


def test_a_registered_provider_counts_on_the_badge_the_page_and_the_api(
    demo, client_for, install_probe
):
    secretary = client_for(demo.users["secretary"])
    before = action_counts(demo.users["secretary"])
    badge_before = badge(secretary)

    install_probe()

    after = action_counts(demo.users["secretary"])
    assert after["probe"] == 2
    assert (after.actions, after.badge) == (before.actions + 2, before.badge + 2)
    assert badge(secretary) == badge_before + 2
    page = secretary.get(reverse("notices:inbox")).content.decode()
    todo = page.split('id="todo"', 1)[1].split("</div>\n", 1)[0]
    assert '<a class="list-group-item list-group-item-action" href="/probe/1/">' in todo
    assert "待确认事项1" in todo
    counts = secretary.get("/api/v1/inbox").json()["counts"]
    assert counts["probe"] == 2 and counts["badge"] == before.badge + 2
    # Nothing waits for the member in the probe's app: the count is there, and zero.
    assert client_for(demo.users["member"]).get("/api/v1/inbox").json()["counts"]["probe"] == 0


def test_a_provider_may_not_take_a_name_the_counts_use():
    with pytest.raises(ImproperlyConfigured):
        registry.register_todo(registry.TodoProvider("badge", "x", len, lambda u, n: []))


def test_a_kind_code_means_one_thing_and_fits_the_column():
    class Clash(models.TextChoices):
        ESCALATION = "escalation", "升级"

    class TooLong(models.TextChoices):
        LONG = "a_kind_code_too_long", "太长"

    with pytest.raises(ImproperlyConfigured):
        registry.register_kinds(Clash)
    with pytest.raises(ImproperlyConfigured):
        registry.register_kinds(TooLong)
    assert registry.kind_label("escalation") == "督办"
