"""The organization picker in a real browser: typing part of a name offers the organizations
(issue 18)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from dangjian.accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_typing_a_name_offers_the_organizations(page, demo, login):
    login(page, "sysadmin", PASSWORD)
    account = User.objects.get(username="secretary")
    page.goto(reverse("accounts:user_detail", args=[account.pk]))
    field = page.locator("#id_organization")
    field.fill(demo.branch.name[:3])
    offered = page.locator(f"#{field.get_attribute('list')} option[value='{demo.branch.code}']")
    expect(offered).to_have_count(1)
    assert demo.branch.name in (offered.get_attribute("label") or "")
    # Only matches are offered, not the whole tree.
    labels = page.locator(f"#{field.get_attribute('list')} option").evaluate_all(
        "options => options.map(o => o.label)"
    )
    assert all(demo.branch.name[:3] in label for label in labels)
