"""The organization picker (issue 18): suggestions by name or code, only organizations the user
may see, and the script that turns any marked input into a picker."""

from __future__ import annotations

from django.urls import reverse

from dangjian.core.pinyin import pinyin_keys
from dangjian.structure import views

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


def test_by_the_names_pinyin_or_its_initials(demo, client_for):
    """Typing letters finds a name by its pinyin ("fazhan") or initials ("fzhggwyh"), neither of
    which is in the code; still only organizations in scope."""
    organ = client_for(demo.users["organ"])
    committee = demo.organ_committee
    full, initials = pinyin_keys(committee.name)
    assert committee.code not in _codes(organ, "zzzz")
    for typed in (initials[1:6], full[2:9].upper()):
        assert typed.lower() not in committee.code.lower()
        assert committee.code in _codes(organ, typed), typed
    # Another department's branch is not offered by its pinyin either.
    other_full, other_initials = pinyin_keys(demo.other_branch.name)
    assert demo.other_branch.code not in _codes(organ, other_full)
    # Code and name matches come first; pinyin matches are added without repeating them.
    codes = _codes(organ, "fgw")
    assert len(codes) == len(set(codes))


def test_pinyin_matches_stop_at_the_limit(demo, client_for, monkeypatch):
    sysadmin = client_for(demo.users["sysadmin"])
    # Every branch is a 党支部 (dangzhibu): 13 in the test organ, more than a limit of 5.
    everyone = _codes(sysadmin, "dangzhibu")
    assert len(everyone) > 5
    monkeypatch.setattr(views, "PICK_LIMIT", 5)
    assert _codes(sysadmin, "dangzhibu") == everyone[:5]
