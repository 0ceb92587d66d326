"""/api/v1/compliance in pages (issue 19): the pages together are the CLI's whole report, in
the same order with the same figures; subtree=false answers the organization alone; the light
tree (findings=false) has the same roll-ups; the page size is bounded; the query count does not
grow with the page."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from dangjian.accounts.services import create_token
from dangjian.audit.services import Actor
from dangjian.meetings import findings as compliance

URL = "/api/v1/compliance"


@pytest.fixture
def get(demo, client_for):
    token = create_token(Actor.system("test"), demo.users["organ"], "test")

    def call(**params):
        return client_for(None).get(URL, params, HTTP_AUTHORIZATION=f"Bearer {token}")

    return call


def _cli_json(org: str, year: int) -> dict:
    out = io.StringIO()
    as_of = compliance.local_today().isoformat()
    call_command(
        "compliance", "--org", org, "--year", str(year), "--json", "--as-of", as_of, stdout=out
    )
    return json.loads(out.getvalue())


def test_the_pages_together_are_the_whole_report(demo, get):
    whole = _cli_json("FGW-JGDW", 2026)
    pages, page = [], 1
    while True:
        data = get(org="FGW-JGDW", year=2026, page=page, page_size=7).json()
        assert data["count"] == len(whole["organizations"])
        assert data["page"] == page and data["page_size"] == 7
        assert data["summary"] == whole["summary"]
        if not data["organizations"]:
            break
        assert len(data["organizations"]) <= 7
        pages += data["organizations"]
        page += 1
    assert page == -(-len(whole["organizations"]) // 7) + 1
    assert pages == whole["organizations"]
    assert whole["organizations"][0]["parent_code"] is None
    assert all(o["parent_code"] for o in whole["organizations"][1:])


def test_the_default_page_is_100_and_the_light_tree_has_the_same_rollups(demo, get):
    full = get(org="FGW-JGDW", year=2026).json()
    light = get(org="FGW-JGDW", year=2026, findings="false").json()
    assert full["page_size"] == 100 and full["count"] == len(full["organizations"])
    assert all(o["findings"] is not None for o in full["organizations"])
    assert all(o["findings"] is None for o in light["organizations"])
    for key in ("summary", "count", "meetings_counted", "columns"):
        assert light[key] == full[key]
    assert [(o["code"], o["rollup"]) for o in light["organizations"]] == [
        (o["code"], o["rollup"]) for o in full["organizations"]
    ]


def test_subtree_false_answers_the_organization_alone(demo, get):
    whole = get(org="FGW-JGDW", year=2026).json()
    alone = get(org="FGW-JGDW", year=2026, subtree="false").json()
    assert alone["count"] == 1
    assert [o["code"] for o in alone["organizations"]] == ["FGW-JGDW"]
    assert alone["organizations"][0] == whole["organizations"][0]
    assert alone["summary"] == whole["summary"]


@pytest.mark.parametrize("size", [0, 501, -3])
def test_the_page_size_is_bounded(demo, get, size):
    response = get(org="FGW-JGDW", year=2026, page_size=size)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "page_size"


def test_a_page_past_the_end_is_empty_and_page_zero_is_the_first(demo, get):
    past = get(org="FGW-JGDW", year=2026, page=10**12).json()
    assert past["organizations"] == [] and past["count"] > 0
    first = get(org="FGW-JGDW", year=2026, page=0, page_size=3).json()
    assert first["page"] == 1 and first["organizations"][0]["code"] == "FGW-JGDW"


def test_the_query_count_does_not_grow_with_the_page(demo, get, django_assert_max_num_queries):
    get(org="FGW-JGDW", year=2026, page_size=1)  # the rule packs load once per process
    # One query or two per contributed column (the 失去联系与出国出境 column added one).
    with django_assert_max_num_queries(24) as small:
        get(org="FGW-JGDW", year=2026, page_size=1)
    with django_assert_max_num_queries(len(small.captured_queries)):
        get(org="FGW-JGDW", year=2026, page_size=500)
