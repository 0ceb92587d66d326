"""A member's own meetings on a phone (ux30): the record's dates may break between the year and
the day (a nowrap 2026年11月16日 took 140 px of a 360 px screen and left the meeting's title five
characters a line), and the pages are buttons big enough to tap, not bare small links."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from dangjian.meetings.queries import attendance_history


def test_the_members_record_splits_dates_and_pages_with_buttons(demo, client_for) -> None:
    attended = attendance_history(demo.own_member)
    assert attended.count() > settings.PAGE_SIZE  # more than one page of the demo's history
    html = client_for(demo.users["member"]).get(reverse("meetings:mine")).content.decode()
    latest = attended.first().meeting.held_on
    assert (
        f'<span class="text-nowrap">{latest.year}年</span>'
        f'<span class="text-nowrap">{latest.month}月{latest.day}日</span>'
    ) in html
    pages = html.split('id="history-pages"', 1)[1].split("</nav>", 1)[0]
    assert 'class="btn btn-sm btn-outline-secondary" href="?page=2">下一页</a>' in pages


def test_a_meeting_leads_back_to_where_each_reader_came_from(demo, client_for) -> None:
    """The secretary's meeting page had no way back to the branch's calendar on a phone (the
    menu is folded away there); the member's leads back to their own meetings."""
    from tests.meetings import plan

    meeting = plan(demo.users["secretary"], demo.branch)
    url = reverse("meetings:detail", args=[meeting.pk])
    secretary = client_for(demo.users["secretary"]).get(url).content.decode()
    back = f"{reverse('meetings:calendar')}?org={demo.branch.code}"
    assert f'href="{back}" id="back-to-calendar"' in secretary and "← 组织生活" in secretary
    assert 'id="back-to-mine"' not in secretary
    member = client_for(demo.users["member"]).get(url).content.decode()
    assert 'id="back-to-mine"' in member and 'id="back-to-calendar"' not in member
