"""The organization picker (issue 18): suggestions by name or code, only organizations the user
may see, and the script that turns any marked input into a picker."""

from __future__ import annotations

from django.urls import reverse

from dangjian.orgs import views

PICK = reverse("orgs:pick")


def _codes(client, q: str = "") -> list[str]:
    response = client.get(PICK, {"q": q})
    assert response.status_code == 200
    return [r["code"] for r in response.json()["results"]]


def test_by_name_or_code_within_scope(demo, client_for):
    organ = client_for(demo.users["organ"])
    branch = demo.branch
    assert branch.code in _codes(organ, branch.name[:4])
    assert branch.code in _codes(organ, branch.code.lower())
    # Another department's branch is not offered, even by its exact code.
    assert _codes(organ, demo.other_branch.code) == []
    result = organ.get(PICK, {"q": branch.code}).json()["results"][0]
    assert result == {"code": branch.code, "name": branch.name, "kind": branch.get_kind_display()}


def test_the_secretary_is_offered_the_own_branch_only(demo, client_for):
    codes = _codes(client_for(demo.users["secretary"]))
    assert demo.branch.code in codes
    assert demo.sibling_branch.code not in codes


def test_the_system_administrator_picks_anywhere_for_role_grants(demo, client_for):
    sysadmin = client_for(demo.users["sysadmin"])
    assert demo.other_branch.code in _codes(sysadmin, demo.other_branch.code)
    assert len(_codes(sysadmin)) == views.PICK_LIMIT  # never the whole tree at once
