"""The inbox page folds notices of one kind about one record into one line (issue 18: the 机关党委
got three "收到任务" lines for one work item, one per branch), and 标为已读 on that line marks
every unread notice in it."""

from __future__ import annotations

import re

from django.urls import reverse

from dangjian.notices import services
from dangjian.notices.models import Notice
from dangjian.orgs.models import Organization

INBOX = reverse("notices:inbox")


def _lines(page: str) -> list[str]:
    """The inbox's lines: the text from one top-level item to the next."""
    body = page[page.index('id="notices"') :]
    return body.split('<li class="list-group-item')[1:]


def test_notices_about_one_record_share_a_line_and_are_read_together(demo, client_for):
    organ = demo.users["organ"]
    branches = list(Organization.objects.filter(code__in=["FGW-B01", "FGW-B02", "FGW-B03"]))
    other = Organization.objects.get(code="CZJ-B01")
    for i, branch in enumerate(branches):
        services.notify(
            [organ.pk],
            key=f"got:{i}",
            kind="reminder",
            title=f"收到任务：{branch.name}",
            subject=other,
        )
    # Same record, another kind; and a notice about no record: lines of their own.
    services.notify([organ.pk], key="other-kind", kind="overdue", title="逾期", subject=other)
    services.notify([organ.pk], key="plain", kind="reminder", title="系统通知")

    client = client_for(organ)
    page = client.get(INBOX).content.decode()
    lines = _lines(page)
    assert len(lines) == 3
    grouped = next(line for line in lines if "同一事项另有" in line)
    assert "同一事项另有 2 条" in grouped
    for branch in branches:
        assert branch.name in grouped
    ids = sorted(map(int, re.findall(r'name="notice" value="(\d+)"', grouped)))
    wanted = sorted(
        Notice.objects.filter(recipient=organ, key__startswith="got:").values_list("pk", flat=True)
    )
    assert ids == wanted

    client.post(reverse("notices:inbox_read"), {"notice": ids})
    assert not Notice.objects.filter(recipient=organ, key__startswith="got:", read_at=None).exists()
    assert Notice.objects.filter(recipient=organ, read_at=None).count() == 2
    # A read group offers no 标为已读; the others still do.
    lines = _lines(client.get(INBOX).content.decode())
    grouped = next(line for line in lines if "同一事项另有" in line)
    assert "标为已读" not in grouped
    assert sum("标为已读" in line for line in lines) == 2
