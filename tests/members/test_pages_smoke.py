"""The main pages render for the roles that use them."""

from django.urls import reverse


def test_secretary_sees_own_branch_member_list(demo, client_for):
    client = client_for(demo.users["secretary"])
    response = client.get(reverse("members:list"))
    assert response.status_code == 200
    names = {m.name for m in response.context["page"].object_list}
    assert demo.member_in_branch.name in names
    assert all(m.organization_id == demo.branch.pk for m in response.context["page"].object_list)


def test_organ_tree_shows_counts(demo, client_for):
    response = client_for(demo.users["organ"]).get(reverse("orgs:tree"))
    assert response.status_code == 200
    assert "FGW-B01" in response.content.decode()
