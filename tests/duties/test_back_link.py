"""A work item's page leads back to the list of work items (ux30): on a phone the menu is folded
away, and a secretary following up an item had only the browser's back button."""

from __future__ import annotations

from django.urls import reverse

from dangjian.audit.services import Actor
from dangjian.duties import services
from tests.duties import workday


def test_a_work_item_leads_back_to_the_list(demo, client_for) -> None:
    sent = services.send_down(
        Actor(user=demo.users["organ"]),
        demo.organ_committee,
        {"title": "学习贯彻全会精神", "deadline": workday(15)},
        targets=[demo.branch.code],
        all_branches=False,
    )
    (item,) = sent.children
    page = client_for(demo.users["secretary"]).get(reverse("duties:detail", args=[item.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert f'<a href="{reverse("duties:items")}" id="back-to-items"' in html
    assert "← 工作任务" in html
