"""Starting a transfer (ux30): the kind first, then only that kind's fields; a refused form
comes back with what was typed; every step says what was saved."""

from __future__ import annotations

import re

from django.urls import reverse

from dangjian.transfers.models import Transfer
from tests.transfers.helpers import start


def _fields(html: str) -> set[str]:
    return set(re.findall(r'<input[^>]* name="([a-z_]+)"', html)) - {"csrfmiddlewaretoken"}


def test_starting_a_transfer_asks_the_kind_first(demo, client_for) -> None:
    """The form mixed the fields of both kinds; the first step now only asks where to."""
    member = demo.member_in_branch
    url = reverse("transfers:new") + f"?member={member.pk}"
    page = client_for(demo.users["secretary"]).get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "第一步：转往哪里？" in html
    assert _fields(html) == {"member", "kind"}
    assert "流动党员" in html and f"{reverse('members:detail', args=[member.pk])}" in html


def test_each_kind_shows_only_its_own_fields(demo, client_for) -> None:
    client = client_for(demo.users["secretary"])
    url = reverse("transfers:new") + f"?member={demo.member_in_branch.pk}"
    within = client.get(url + "&kind=within").content.decode()
    assert _fields(within) == {"kind", "to_code", "reason", "applied_on"}
    assert "转入党支部的组织编码" in within and "转入党组织名称" not in within
    out = client.get(url + "&kind=out").content.decode()
    assert _fields(out) == {"kind", "to_name", "to_address", "reason", "applied_on"}
    assert "转入党组织名称" in out and "组织编码" not in out
    assert client.get(url + "&kind=nonsense").status_code == 400


def test_a_refused_transfer_keeps_what_was_typed(demo, client_for) -> None:
    client = client_for(demo.users["secretary"])
    url = reverse("transfers:new") + f"?member={demo.member_in_branch.pk}"
    typed = {"kind": "out", "to_name": "", "to_address": "某省某市人民路1号",
             "reason": "退休回原籍", "applied_on": "2026-11-02"}  # fmt: skip
    response = client.post(url, typed)
    html = response.content.decode()
    assert response.status_code == 400 and not Transfer.objects.exists()
    assert "请填写转入党组织名称" in html and "未提交，请按提示修改" in html
    assert 'value="某省某市人民路1号"' in html and 'value="退休回原籍"' in html
    assert 'value="2026-11-02"' in html and 'name="to_code"' not in html
    typed["to_name"] = "中共某市某局机关支部委员会"
    done = client.post(url, typed, follow=True)
    assert Transfer.objects.get().to_name == "中共某市某局机关支部委员会"
    assert "已提交转出申请" in done.content.decode()


def test_each_step_says_what_was_saved(demo, client_for) -> None:
    transfer = start(demo)
    organ = client_for(demo.users["organ"])
    url = reverse("transfers:approve", args=[transfer.pk])
    page = organ.post(url, {"approved_on": "2026-11-05"}, follow=True)
    assert "已审核通过，介绍信已开具，等待对方接收" in page.content.decode()
    transfer.refresh_from_db()
    assert transfer.letter_number
    secretary = client_for(demo.users["secretary"])
    url = reverse("transfers:cancel", args=[transfer.pk])
    page = secretary.post(url, {"reason": "本人不再调动"}, follow=True)
    assert "已撤销，组织关系未转移" in page.content.decode()
    transfer.refresh_from_db()
    assert transfer.status == "cancelled"


def test_a_transfers_page_leads_back_to_the_list_for_its_branch_not_for_the_member(
    demo, client_for
) -> None:
    from tests.transfers.helpers import approved

    transfer = approved(demo, demo.own_member)
    url = reverse("transfers:detail", args=[transfer.pk])
    secretary = client_for(demo.users["secretary"]).get(url).content.decode()
    assert f'<a href="{reverse("transfers:list")}" id="back-to-transfers"' in secretary
    # The member reads their own transfer but no branch's list: no link to a page they can't open.
    member = client_for(demo.users["member"]).get(url)
    assert member.status_code == 200 and 'id="back-to-transfers"' not in member.content.decode()
