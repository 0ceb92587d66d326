"""The organization tree links a name only where its page may be opened (issue 18)."""

from __future__ import annotations

from django.urls import reverse


def test_the_system_administrator_sees_names_without_dead_links(demo, client_for):
    page = client_for(demo.users["sysadmin"]).get(reverse("orgs:tree")).content.decode()
    assert demo.org["GW"].name in page
    assert reverse("orgs:detail", args=[demo.org["GW"].pk]) not in page
    assert "点击组织名称查看详情" not in page
    assert client_for(demo.users["sysadmin"]).get(
        reverse("orgs:detail", args=[demo.org["GW"].pk])
    ).status_code in (403, 404)


def test_a_reader_gets_links_to_the_pages_it_may_open(demo, client_for):
    client = client_for(demo.users["organ"])
    page = client.get(reverse("orgs:tree")).content.decode()
    link = reverse("orgs:detail", args=[demo.organ_committee.pk])
    assert link in page and "点击组织名称查看详情" in page
    assert client.get(link).status_code == 200
    children = client.get(reverse("orgs:children", args=[demo.organ_committee.pk])).content
    assert reverse("orgs:detail", args=[demo.branch.pk]) in children.decode()
