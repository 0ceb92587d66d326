"""The API of the bulk move (/api/v1/transfers/bulk) and of the extension of probation
(/api/v1/recruitment/files/{id}/extension[/approve]): the same services as the pages, so the
same refusals in Chinese with nothing written, and the same audit."""

from __future__ import annotations

from dangjian.members.models import Member
from dangjian.recruitment.models import ProbationExtension
from tests.helpers import actions_since, last_seq
from tests.recruitment.helpers import D, march, open_file, vote

JSON = "application/json"


def _bulk(client, demo, **kw):
    from dangjian.core.clock import today

    body = {"source": demo.branch.code, "target": demo.sibling_branch.code,
            "on": today().isoformat(), "reason": "机构调整", **kw}  # fmt: skip
    return client.post("/api/v1/transfers/bulk", body, content_type=JSON)


def test_the_bulk_move_previews_then_moves(demo, client_for) -> None:
    client = client_for(demo.users["organ"])
    everyone = set(
        Member.objects.filter(organization=demo.branch, left_on__isnull=True).values_list(
            "pk", flat=True
        )
    )
    seq = last_seq()
    preview = _bulk(client, demo).json()
    assert preview["preview"] is True and preview["count"] == len(everyone)
    assert {m["id"] for m in preview["members"]} == everyone
    assert actions_since(seq) == []  # a preview writes nothing
    chosen = sorted(everyone)[:2]
    moved = _bulk(client, demo, members=chosen, preview=False)
    assert moved.status_code == 200 and moved.json()["count"] == 2
    assert set(Member.objects.filter(pk__in=chosen).values_list("organization_id", flat=True)) == {
        demo.sibling_branch.pk
    }
    assert "move" in actions_since(seq)


def test_the_bulk_move_refuses_in_chinese_and_writes_nothing(demo, client_for) -> None:
    organ = client_for(demo.users["organ"])
    seq = last_seq()
    same = _bulk(organ, demo, target=demo.branch.code, preview=False)
    assert same.status_code == 422 and "转入党支部与原党支部相同" in str(same.json())
    assert actions_since(seq) == []
    assert _bulk(client_for(demo.users["secretary"]), demo, preview=False).status_code == 403
    assert _bulk(organ, demo, source=demo.other_branch.code).status_code == 404


def test_the_extension_is_proposed_and_approved_through_the_api(demo, client_for) -> None:
    applicant = march(demo, open_file(demo), 22)
    day = D(2025, 6, 20)
    body = {"months": 6, "decided_on": day.isoformat(), "reason": "需进一步考察",
            "vote_id": vote(demo.branch, day).pk}  # fmt: skip
    url = f"/api/v1/recruitment/files/{applicant.pk}/extension"
    secretary = client_for(demo.users["secretary"])
    bad = secretary.post(url, {**body, "months": 13}, content_type=JSON)
    assert bad.status_code == 422 and "最长不超过一年" in str(bad.json())
    assert not ProbationExtension.objects.exists()
    made = secretary.post(url, body, content_type=JSON)
    assert made.status_code == 201
    assert made.json()["probation_ends_on"] == "2025-07-01" and made.json()["approved_on"] is None
    approve = f"{url}/approve"
    refused = secretary.post(approve, {"approved_on": "2025-06-25"}, content_type=JSON)
    assert refused.status_code == 403
    done = client_for(demo.users["organ"]).post(
        approve, {"approved_on": "2025-06-25"}, content_type=JSON
    )
    assert done.status_code == 200
    assert done.json()["probation_ends_on"] == "2026-01-01"
    assert done.json()["approved_on"] == "2025-06-25"
