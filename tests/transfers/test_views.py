"""The transfer pages, the letter and the API, as each side and a stranger see them."""

from __future__ import annotations

import io

from django.urls import reverse
from docx import Document

from dangjian.members.models import Member
from dangjian.transfers.models import Transfer, TransferStatus
from tests.helpers import actions_since, last_seq
from tests.transfers.helpers import D, approved, outsider, receiver, start


def test_the_sending_and_receiving_pages_list_the_member_in_transit(demo, client_for) -> None:
    transfer = approved(demo)
    sender = client_for(demo.users["secretary"]).get(
        reverse("transfers:list"), {"org": demo.branch.pk}
    )
    assert sender.status_code == 200
    assert [t.pk for t, _ in sender.context["outgoing"]] == [transfer.pk]
    page = client_for(receiver(demo)).get(reverse("transfers:list"))
    assert [t.pk for t, _ in page.context["incoming"]] == [transfer.pk]
    assert [t.pk for t in page.context["waiting"]] == [transfer.pk]


def test_a_third_branchs_secretary_cannot_see_the_transfer(demo, client_for) -> None:
    transfer = approved(demo)
    stranger = client_for(outsider(demo))
    assert stranger.get(reverse("transfers:detail", args=[transfer.pk])).status_code == 404
    page = stranger.get(reverse("transfers:list"))
    assert page.context["outgoing"] == [] and page.context["incoming"] == []
    for name in ("receive", "return", "cancel"):
        url = reverse(f"transfers:{name}", args=[transfer.pk])
        assert stranger.post(url, {"received_on": "2026-11-20"}).status_code == 404
    api = stranger.get(f"/api/v1/transfers/{transfer.pk}")
    assert api.status_code == 404
    assert stranger.get("/api/v1/transfers/").json() == []
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.APPROVED


def test_a_member_sees_their_own_transfer_only(demo, client_for) -> None:
    own = approved(demo, demo.own_member)
    other = start(demo)
    client = client_for(demo.users["member"])
    page = client.get(reverse("transfers:detail", args=[own.pk]))
    assert page.status_code == 200 and not any(page.context["can"].values())
    assert client.get(reverse("transfers:detail", args=[other.pk])).status_code == 404
    assert [t["id"] for t in client.get("/api/v1/transfers/").json()] == [own.pk]


def test_sending_and_receiving_through_the_pages(demo, client_for) -> None:
    member = demo.member_in_branch
    sender = client_for(demo.users["secretary"])
    response = sender.post(
        reverse("transfers:new") + f"?member={member.pk}",
        {"kind": "within", "to_code": "fgw-b02", "reason": "工作调动", "applied_on": "2026-11-02"},
    )
    transfer = Transfer.objects.get(member=member)
    assert response.status_code == 302 and transfer.to_organization == demo.sibling_branch
    organ = client_for(demo.users["organ"])
    organ.post(reverse("transfers:approve", args=[transfer.pk]), {"approved_on": "2026-11-05"})
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.APPROVED and transfer.letter_number
    client_for(receiver(demo)).post(
        reverse("transfers:receive", args=[transfer.pk]), {"received_on": "2026-11-20"}
    )
    member.refresh_from_db()
    assert member.organization == demo.sibling_branch
    steps = client_for(receiver(demo)).get(reverse("transfers:detail", args=[transfer.pk]))
    assert [s.action for s in steps.context["steps"]] == ["start", "approve", "receive"]


def test_a_refused_step_shows_the_chinese_message(demo, client_for) -> None:
    sender = client_for(demo.users["secretary"])
    response = sender.post(
        reverse("transfers:new") + f"?member={demo.member_in_branch.pk}",
        {"kind": "within", "to_code": "NOPE", "reason": "调动", "applied_on": "2026-11-02"},
    )
    assert response.status_code == 400
    assert "未找到组织编码为NOPE的党组织" in response.content.decode()
    assert not Transfer.objects.exists()


def test_the_letter_is_a_docx_with_its_three_parts_and_no_id_number(demo, client_for) -> None:
    member = demo.member_in_branch
    transfer = approved(demo, member)
    seq = last_seq()
    response = client_for(demo.users["secretary"]).get(
        reverse("transfers:letter", args=[transfer.pk])
    )
    assert response.status_code == 200 and "export" in actions_since(seq)
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert "存根" in text and "回执" in text and transfer.letter_number in text
    assert member.name in text and "2027年2月5日" in text
    assert Member.objects.get(pk=member.pk).id_number not in text
    # The receiving side does not issue the letter.
    refused = client_for(receiver(demo)).get(reverse("transfers:letter", args=[transfer.pk]))
    assert refused.status_code == 403


def test_registering_a_letter_from_outside_and_receiving_the_member(demo, client_for) -> None:
    from tests.conftest import member_payload

    rec = client_for(receiver(demo))
    response = rec.post(
        reverse("transfers:incoming") + f"?org={demo.sibling_branch.pk}",
        {"person_name": "外来党员", "from_name": "外省某党支部", "letter_number": "外字3号",
         "issued_on": "2026-11-10", "valid_until": "2026-12-10"},
    )  # fmt: skip
    transfer = Transfer.objects.get(letter_number="外字3号")
    assert response.status_code == 302
    data = member_payload(seed=77)
    fields = ("id_number", "phone", "status", "admitted_on", "confirmed_on")
    rec.post(
        reverse("transfers:receive", args=[transfer.pk]),
        {"received_on": "2026-11-20", **{f: data[f] for f in fields}},
    )
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.COMPLETED
    assert transfer.member.name == "外来党员" and transfer.member.org_since == D(2026, 11, 20)


def test_the_list_page_reads_in_constant_queries(demo, client_for) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(demo.users["organ"])
    url = reverse("transfers:list")
    members = list(
        Member.objects.filter(organization=demo.branch, user__isnull=True).order_by("pk")[:6]
    )

    def count() -> int:
        client.get(url, {"org": demo.organ_committee.pk})
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"org": demo.organ_committee.pk}).status_code == 200
        return len(queries)

    approved(demo, members[0])
    one = count()
    for m in members[1:3]:
        approved(demo, m)
    for m in members[3:]:
        start(demo, m)
    assert count() == one


def test_a_refused_receipt_keeps_the_members_data_that_was_typed(demo, client_for) -> None:
    """Receiving a member from outside asks for a whole record; a refusal (here a transposed
    digit in the ID number) shows the form again with everything typed, not an empty one."""
    from tests.conftest import member_payload

    rec = client_for(receiver(demo))
    rec.post(
        reverse("transfers:incoming") + f"?org={demo.sibling_branch.pk}",
        {"person_name": "外来党员", "from_name": "外省某党支部", "letter_number": "外字4号",
         "issued_on": "2026-11-10", "valid_until": "2026-12-10"},
    )  # fmt: skip
    transfer = Transfer.objects.get(letter_number="外字4号")
    data = member_payload(seed=78)
    bad_id = data["id_number"][:-1] + ("0" if data["id_number"][-1] != "0" else "1")

    response = rec.post(
        reverse("transfers:receive", args=[transfer.pk]),
        {"received_on": "2026-11-20", "id_number": bad_id, "phone": data["phone"],
         "status": "probationary", "admitted_on": "2025-07-01", "job_title": "副处长"},
    )  # fmt: skip

    assert response.status_code == 400
    page = response.content.decode()
    assert f'value="{bad_id}"' in page and f'value="{data["phone"]}"' in page
    assert 'value="2025-07-01"' in page and 'value="副处长"' in page
    assert 'value="probationary" selected' in page and 'value="2026-11-20"' in page
    transfer.refresh_from_db()
    assert transfer.status != TransferStatus.COMPLETED and transfer.member is None
