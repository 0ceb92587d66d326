"""流动党员: the branch records a member away and their return; one open record per member; the
page shows the branch its members away, and a level above sees counts; six months at a fixed
place asks for a transfer (the day six months on counts)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from dangjian.core.errors import ServiceValidationError
from dangjian.regulations.transfers import should_transfer
from dangjian.transfers import mobile, queries
from dangjian.transfers.models import MobileRecord
from tests.helpers import assert_audited, events_since, last_seq
from tests.transfers.helpers import D, as_, outsider


@pytest.mark.parametrize(
    ("since", "fixed", "today", "expected"),
    [
        (D(2026, 5, 25), True, D(2026, 11, 24), False),  # the day before six months
        (D(2026, 5, 25), True, D(2026, 11, 25), True),  # six months on the day
        (D(2026, 5, 25), False, D(2026, 12, 25), False),  # no fixed place: a record is right
        (D(2025, 8, 31), True, D(2026, 2, 27), False),  # month end: 28 Feb is the day
        (D(2025, 8, 31), True, D(2026, 2, 28), True),
        (D(2023, 8, 29), True, D(2024, 2, 29), True),  # 29 February of a leap year
    ],
)
def test_six_months_at_a_fixed_place_asks_for_a_transfer(since, fixed, today, expected) -> None:
    assert should_transfer(since, fixed, today) is expected


def test_record_and_return_once_per_member(demo) -> None:
    member, secretary = demo.member_in_branch, as_(demo.users["secretary"])
    seq = last_seq()
    row = mobile.record_mobile(
        secretary, member, place="深圳某公司", since=D(2026, 5, 25), contact_org="某街道党工委",
        certificate="LD001", fixed_place=True,
    )  # fmt: skip
    assert_audited(seq, "create", row)
    for event in events_since(seq):  # no place or contact in the audit log
        assert "深圳" not in str(event.changes) + event.message
    with pytest.raises(ServiceValidationError, match="已有未结束的流动党员记录"):
        mobile.record_mobile(secretary, member, place="广州", since=D(2026, 6, 1))
    with pytest.raises(PermissionDenied):
        mobile.record_mobile(as_(outsider(demo)), demo.member_in_sibling, place="某地",
                               since=D(2026, 6, 1))  # fmt: skip
    counts = queries.mobile_counts(demo.branch, D(2026, 11, 25))
    assert (counts.away, counts.should_transfer) == (1, 1)
    above = queries.mobile_counts(demo.org["FGW-JGDW"], D(2026, 11, 24))
    assert (above.away, above.should_transfer) == (1, 0)
    with pytest.raises(ServiceValidationError, match="返回日期不能早于外出日期"):
        mobile.end_mobile(secretary, row, D(2026, 5, 24))
    mobile.end_mobile(secretary, row, D(2026, 11, 20))
    assert queries.mobile_counts(demo.branch, D(2026, 11, 25)).away == 0
    again = mobile.record_mobile(secretary, member, place="广州", since=D(2026, 11, 21))
    assert MobileRecord.objects.filter(member=member).count() == 2 and again.ended_on is None
    for bad, message in [
        ({"place": " "}, "请填写外出地点"),
        ({"since": D(2099, 1, 1)}, "不能晚于今天"),
    ]:
        with pytest.raises(ServiceValidationError, match=message):
            mobile.record_mobile(
                secretary, demo.own_member, **({"place": "某地", "since": D(2026, 6, 1)} | bad)
            )
    assert not MobileRecord.objects.filter(member=demo.own_member).exists()


def test_the_page_shows_the_branch_its_members_away(demo, client_for) -> None:
    secretary = client_for(demo.users["secretary"])
    url = reverse("transfers:mobile") + f"?org={demo.branch.pk}"
    member = demo.member_in_branch
    bad = secretary.post(url, {"action": "add", "member": member.pk, "place": "", "since": ""})
    assert bad.status_code == 200 and bad.context["errors"]
    assert not MobileRecord.objects.exists()
    done = secretary.post(url, {"action": "add", "member": member.pk, "place": "深圳某公司",
                                "since": "2026-05-25", "fixed_place": "1"})  # fmt: skip
    assert done.status_code == 302
    page = secretary.get(url)
    assert [r.member_id for r, _ in page.context["rows"]] == [member.pk]
    assert "应办理组织关系转接" in page.content.decode()
    assert member.pk not in {m.pk for m in page.context["candidates"]}
    # Another branch's member cannot be recorded from this page; a stranger sees nothing.
    other = secretary.post(url, {"action": "add", "member": demo.member_in_sibling.pk,
                                 "place": "某地", "since": "2026-06-01"})  # fmt: skip
    assert "请选择本支部的在册党员" in other.context["errors"]["member"]
    assert client_for(outsider(demo)).get(url).status_code == 404
    row = MobileRecord.objects.get()
    secretary.post(url, {"action": "end", "record": row.pk, "ended_on": "2026-11-20"})
    row.refresh_from_db()
    assert row.ended_on == D(2026, 11, 20) and row.open_key is None
