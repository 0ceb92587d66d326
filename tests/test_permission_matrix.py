"""The permission matrix: every persona against every page and API endpoint, in every scope.

The routes come from the URL configuration, so a new view without an entry in MATRIX fails
`test_every_route_has_a_matrix_entry`. Each cell of the matrix is one test case, with an id
like `members:detail-secretary-sibling`; a refused request must leave no trace.
"""

from __future__ import annotations

import json
from functools import cache
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import resolve, reverse

from tests.accounts.matrix_accounts import ACCOUNTS_MATRIX
from tests.assessment.matrix_assessment import ASSESSMENT_MATRIX
from tests.desk.matrix_desk import DESK_MATRIX
from tests.discipline.matrix_discipline import DISCIPLINE_MATRIX
from tests.dues.matrix_dues import DUES_MATRIX
from tests.duties.matrix_duties import DUTIES_MATRIX
from tests.duties.matrix_duties_api import DUTIES_API_MATRIX
from tests.helpers import actions_since, last_seq
from tests.matrix_helpers import (
    DENIED,
    JOB_SCOPES,
    LOGIN,
    MEMBER_SCOPES,
    NO_SCOPE,
    OK,
    ORG_SCOPES,
    PERSONAS,
    TRACE_ACTIONS,
    Entry,
    Objects,
    client_as,
    collect_routes,
    expected_status,
    id_search_body,
    import_job_kwarg,
    is_refusal,
    member_create_form,
    member_create_json,
    member_edit_form,
    member_kwarg,
    member_move_form,
    member_move_json,
    member_patch_json,
    new_audit_actions,
    only,
    openapi_operations,
    org_code_query,
    org_kwarg,
    org_pk_query,
    persona_user,
    rows,
    snapshot,
    unlock_form,
    user_create_form,
    world_in_transaction,
)
from tests.meetings.matrix_compliance import COMPLIANCE_MATRIX
from tests.meetings.matrix_meetings import MEETING_MATRIX
from tests.recruitment.matrix_recruitment import RECRUITMENT_MATRIX
from tests.study.matrix_hours import HOURS_MATRIX
from tests.study.matrix_study import STUDY_MATRIX
from tests.transfers.matrix_transfers import TRANSFERS_MATRIX

# ---- the policy ----------------------------------------------------------------------------
# Rows name each persona; a tuple gives one expectation per scope, in the order of the scopes.
# OK: the route's success status. LOGIN: anonymous is sent to the login page (API: 401).
# DENIED: 403 or 404, for the three administrators asking for personal data.

ADMINS_DENIED = {"sysadmin": DENIED, "secadmin": DENIED, "auditor": DENIED}

# fmt: off
# Member records; scopes: own_branch, sibling, other_dept, own (the member persona's record).
MEMBER_READ = rows(MEMBER_SCOPES,
    member=   (404, 404, 404, OK),
    secretary=(OK,  404, 404, OK),
    committee=(OK,  404, 404, OK),
    inspector=(OK,  OK,  404, OK),
    organ=    (OK,  OK,  404, OK),
    **ADMINS_DENIED,
)
MEMBER_WRITE = rows(MEMBER_SCOPES,
    member=   (404, 404, 404, 403),
    secretary=(OK,  404, 404, OK),
    committee=(OK,  404, 404, OK),
    inspector=(403, 403, 404, 403),
    organ=    (OK,  OK,  404, OK),
    **ADMINS_DENIED,
)
MEMBER_REVEAL = rows(MEMBER_SCOPES,
    member=   (404, 404, 404, OK),
    secretary=(OK,  404, 404, OK),
    committee=(403, 404, 404, 403),
    inspector=(403, 403, 404, 403),
    organ=    (OK,  OK,  404, OK),
    **ADMINS_DENIED,
)

# Organizations; scopes: own_branch, own_group, sibling, nested, dept, other_dept.
ORG_DETAIL = rows(ORG_SCOPES,
    member=404,
    secretary=(OK, OK, 404, 404, 404, 404),
    committee=(OK, OK, 404, 404, 404, 404),
    inspector=(OK, OK, OK,  OK,  OK,  404),
    organ=    (OK, OK, OK,  OK,  OK,  404),
    **ADMINS_DENIED,
)
# 调整组织类型 and 撤销组织 (the form pages): the 机关党委 above the organization only, not on
# its own organization; whoever reads the organization otherwise is refused (403).
ORG_ADMINISTER = rows(ORG_SCOPES,
    member=404,
    secretary=(403, 403, 404, 404, 404, 404),
    committee=(403, 403, 404, 404, 404, 404),
    inspector=(403, 403, 403, 403, 403, 404),
    organ=    (OK,  OK,  OK,  OK,  403, 404),
    **ADMINS_DENIED,
)
# 新建下级党组织: the 机关党委 of the organization or above it (its own organization included);
# under a party group the page only says that nothing is founded there.
ORG_FOUND = rows(ORG_SCOPES,
    member=404,
    secretary=(403, 403, 404, 404, 404, 404),
    committee=(403, 403, 404, 404, 404, 404),
    inspector=(403, 403, 403, 403, 403, 404),
    organ=    (OK,  OK,  OK,  OK,  OK,  404),
    **ADMINS_DENIED,
)
# The tree is structure without personal data: the system administrator sees all of it.
TREE_SCOPES = ("root", *ORG_SCOPES)
ORG_TREE = rows(TREE_SCOPES,
    member=403,
    secretary=(OK, OK, OK, 404, 404, 404, 404),
    committee=(OK, OK, OK, 404, 404, 404, 404),
    inspector=(OK, OK, OK, OK,  OK,  OK,  404),
    organ=    (OK, OK, OK, OK,  OK,  OK,  404),
    sysadmin=OK, secadmin=403, auditor=403,
)
ORG_CHILDREN = {key: value for key, value in ORG_TREE.items() if key[1] != "root"}
TREE_ROOT = {(persona, NO_SCOPE): ORG_TREE[(persona, "root")] for persona in PERSONAS}

# Member lists filtered by ?org=<code>; `all` filters nothing.
LIST_SCOPES = ("all", "own_branch", "sibling", "other_dept")
MEMBER_LIST = rows(LIST_SCOPES,
    member=   (OK, 404, 404, 404),
    secretary=(OK, OK,  404, 404),
    committee=(OK, OK,  404, 404),
    inspector=(OK, OK,  OK,  404),
    organ=    (OK, OK,  OK,  404),
    **ADMINS_DENIED,
)
# `unmasked` exports ID numbers and phones in clear: a reveal, not a read.
MEMBER_EXPORT = rows(LIST_SCOPES,
    member=   (403, 404, 404, 404),
    secretary=(OK,  OK,  404, 404),
    committee=(OK,  OK,  404, 404),
    inspector=(OK,  OK,  OK,  404),
    organ=    (OK,  OK,  OK,  404),
    **ADMINS_DENIED,
)
MEMBER_EXPORT_UNMASKED = rows(("unmasked",),
    member=403, secretary=OK, committee=403, inspector=403, organ=OK, **ADMINS_DENIED,
)
# New members, by the branch they are added to.
CREATE_SCOPES = ("own_branch", "sibling", "other_dept")
MEMBER_CREATE = rows(CREATE_SCOPES,
    member=   (404, 404, 404),
    secretary=(OK,  404, 404),
    committee=(OK,  404, 404),
    inspector=(403, 403, 404),
    organ=    (OK,  OK,  404),
    **ADMINS_DENIED,
)
# Roster import: writers only; a job is visible where its branch is writable.
IMPORTERS = rows((NO_SCOPE,),
    member=403, secretary=OK, committee=OK, inspector=403, organ=OK,
    sysadmin=403, secadmin=403, auditor=403,
)
# A search by a whole ID number is a reveal: revealers only.
ID_SEARCHERS = rows((NO_SCOPE,),
    member=403, secretary=OK, committee=403, inspector=403, organ=OK,
    sysadmin=403, secadmin=403, auditor=403,
)
IMPORT_JOB = rows(JOB_SCOPES,
    member=404,
    secretary=(OK, 404, 404),
    committee=(OK, 404, 404),
    inspector=404,
    organ=(OK, OK, 404),
    **ADMINS_DENIED,
)
# fmt: on

EVERYONE_200 = rows((NO_SCOPE,), **dict.fromkeys(PERSONAS, 200))
EVERYONE_302 = rows((NO_SCOPE,), **dict.fromkeys(PERSONAS, 302))
EVERYONE_404 = rows((NO_SCOPE,), **dict.fromkeys(PERSONAS, 404))
HOME = rows((NO_SCOPE,), **dict.fromkeys(PERSONAS[1:], 200))  # each role its own work desk
LOGIN_PAGE = rows((NO_SCOPE,), anonymous=200, **dict.fromkeys(PERSONAS[1:], 302))
# The idle warning's 继续使用: any logged-in user, nothing to see (204); no session: the login.
STILL_HERE = rows((NO_SCOPE,), anonymous=302, **dict.fromkeys(PERSONAS[1:], 204))


def _bugs(table, reason: str, cells) -> dict:
    return {cell: reason for cell in cells if cell in table}


MATRIX: dict[str, tuple[Entry, ...]] = {
    # Public and session pages.
    "home": (Entry("GET", HOME),),
    "login": (Entry("GET", LOGIN_PAGE),),
    "logout": (Entry("POST", EVERYONE_302),),
    "still_here": (Entry("POST", STILL_HERE),),
    "health": (Entry("GET", EVERYONE_200),),
    "favicon": (Entry("GET", EVERYONE_302),),
    # The organization tree and an organization's page.
    "orgs:tree": (Entry("GET", TREE_ROOT),),
    # The organization picker offers what the tree shows: the same people may ask it.
    "orgs:pick": (Entry("GET", TREE_ROOT),),
    "orgs:children": (Entry("GET", ORG_CHILDREN, ORG_SCOPES, url=org_kwarg("pk")),),
    "orgs:detail": (Entry("GET", ORG_DETAIL, ORG_SCOPES, url=org_kwarg("pk")),),
    "orgs:found_child": (Entry("GET", ORG_FOUND, ORG_SCOPES, url=org_kwarg("pk")),),
    "orgs:change_kind": (Entry("GET", ORG_ADMINISTER, ORG_SCOPES, url=org_kwarg("pk")),),
    "orgs:dissolve": (Entry("GET", ORG_ADMINISTER, ORG_SCOPES, url=org_kwarg("pk")),),
    # Member pages.
    "members:list": (Entry("GET", MEMBER_LIST, LIST_SCOPES, url=org_code_query),),
    "members:export": (
        Entry("GET", MEMBER_EXPORT, LIST_SCOPES, url=org_code_query, audits="export"),
        # Unmasked: GET says how many people and asks for a reason; POST with it exports.
        Entry("GET", MEMBER_EXPORT_UNMASKED, ("unmasked",), url=org_code_query),
        Entry(
            "POST",
            MEMBER_EXPORT_UNMASKED,
            ("unmasked",),
            url=org_code_query,
            body=lambda objs, scope: {"reason": "矩阵测试：核对花名册"},
            audits="export",
        ),
    ),
    "members:create": (
        Entry("GET", MEMBER_CREATE, CREATE_SCOPES, url=org_code_query),
        Entry(
            "POST",
            MEMBER_CREATE,
            CREATE_SCOPES,
            ok=302,
            url=org_code_query,
            body=member_create_form,
            audits="create",
        ),
    ),
    "members:detail": (Entry("GET", MEMBER_READ, MEMBER_SCOPES, url=member_kwarg("pk")),),
    "members:edit": (
        Entry("GET", MEMBER_WRITE, MEMBER_SCOPES, url=member_kwarg("pk")),
        Entry(
            "POST",
            MEMBER_WRITE,
            MEMBER_SCOPES,
            ok=302,
            url=member_kwarg("pk"),
            body=member_edit_form,
            audits="update",
        ),
    ),
    "members:move": (
        Entry("GET", MEMBER_WRITE, MEMBER_SCOPES, url=member_kwarg("pk")),
        Entry(
            "POST",
            MEMBER_WRITE,
            MEMBER_SCOPES,
            ok=302,
            url=member_kwarg("pk"),
            body=member_move_form,
            audits="move",
        ),
    ),
    "members:reveal": (
        Entry(
            "POST",
            MEMBER_REVEAL,
            MEMBER_SCOPES,
            url=member_kwarg("pk", field="id_number"),
            audits="reveal",
        ),
    ),
    "members:find_by_id": (
        Entry("GET", ID_SEARCHERS),
        Entry("POST", ID_SEARCHERS, body=id_search_body, audits="reveal"),
    ),
    # Roster import.
    "members:import": (Entry("GET", IMPORTERS),),
    "members:import_template": (Entry("GET", IMPORTERS),),
    "members:import_job": (Entry("GET", IMPORT_JOB, JOB_SCOPES, url=import_job_kwarg("pk")),),
    "members:import_confirm": (
        Entry("POST", IMPORT_JOB, JOB_SCOPES, ok=302, url=import_job_kwarg("pk"), audits="update"),
    ),
    "members:import_cancel": (
        Entry("POST", IMPORT_JOB, JOB_SCOPES, ok=302, url=import_job_kwarg("pk"), audits="update"),
    ),
    "members:import_errors": (
        Entry(
            "GET",
            IMPORT_JOB,
            JOB_SCOPES,
            url=import_job_kwarg("pk", with_errors_file=True),
            audits="export",
        ),
    ),
    # The auditor's pages.
    "audit:list": (Entry("GET", only("auditor")),),
    "audit:export": (Entry("GET", only("auditor"), audits="export"),),
    "audit:verify": (Entry("POST", only("auditor"), ok=302),),
    # The system administrator's and the security administrator's pages.
    "accounts:users": (Entry("GET", only("sysadmin")),),
    "accounts:user_create": (
        Entry("GET", only("sysadmin")),
        Entry("POST", only("sysadmin"), ok=302, body=user_create_form, audits="create"),
    ),
    "accounts:lockouts": (Entry("GET", only("secadmin")),),
    "accounts:unlock": (
        Entry("POST", only("secadmin"), ok=302, body=unlock_form, audits="unlock"),
    ),
    # The API: OpenAPI schema and docs for every logged-in user (DANGJIAN_API_DOCS_PUBLIC opens
    # them); the schema answers 401 to strangers, the docs page sends them to the login page.
    "api:openapi-json": (Entry("GET", rows((NO_SCOPE,), **dict.fromkeys(PERSONAS[1:], 200))),),
    "api:openapi-view": (
        Entry("GET", rows((NO_SCOPE,), anonymous=302, **dict.fromkeys(PERSONAS[1:], 200))),
    ),
    # django-ninja's root view only exists to compute paths; it answers 404 to everyone.
    "api:api-root": (Entry("GET", EVERYONE_404),),
    "api:org_tree": (
        Entry(
            "GET",
            ORG_TREE,
            TREE_SCOPES,
            url=org_pk_query("parent"),
        ),
    ),
    "api:org_detail": (Entry("GET", ORG_DETAIL, ORG_SCOPES, url=org_kwarg("org_id")),),
    "api:list_members": (
        Entry(
            "GET",
            MEMBER_LIST,
            LIST_SCOPES,
            url=org_code_query,
        ),
    ),
    "api:create_member": (
        Entry(
            "POST",
            MEMBER_CREATE,
            CREATE_SCOPES,
            ok=201,
            body=member_create_json,
            audits="create",
        ),
    ),
    "api:find_by_id": (Entry("POST", ID_SEARCHERS, body=id_search_body, audits="reveal"),),
    "api:get_member": (Entry("GET", MEMBER_READ, MEMBER_SCOPES, url=member_kwarg("member_id")),),
    "api:update_member": (
        Entry(
            "PATCH",
            MEMBER_WRITE,
            MEMBER_SCOPES,
            url=member_kwarg("member_id"),
            body=member_patch_json,
            audits="update",
        ),
    ),
    "api:move_member": (
        Entry(
            "POST",
            MEMBER_WRITE,
            MEMBER_SCOPES,
            url=member_kwarg("member_id"),
            body=member_move_json,
            audits="move",
        ),
    ),
}

MATRIX.update(MEETING_MATRIX)
MATRIX.update(COMPLIANCE_MATRIX)
MATRIX.update(DUTIES_MATRIX)
MATRIX.update(DUTIES_API_MATRIX)
MATRIX.update(STUDY_MATRIX)
MATRIX.update(ACCOUNTS_MATRIX)
MATRIX.update(HOURS_MATRIX)
MATRIX.update(DESK_MATRIX)
MATRIX.update(RECRUITMENT_MATRIX)
MATRIX.update(DUES_MATRIX)
MATRIX.update(TRANSFERS_MATRIX)
MATRIX.update(DISCIPLINE_MATRIX)
MATRIX.update(ASSESSMENT_MATRIX)

# Routes that need no permission check, each with the reason. Static files are served by
# WhiteNoise outside the URLconf, so nothing is exempt today.
EXEMPT: dict[str, str] = {}


# ---- the meta-tests: the matrix covers the URL configuration -------------------------------


@cache
def routes():
    return collect_routes()


def test_every_route_has_a_matrix_entry():
    missing = sorted(set(routes()) - set(MATRIX) - set(EXEMPT))
    assert not missing, f"routes without a permission-matrix entry (add them to MATRIX): {missing}"


def test_the_matrix_names_no_route_that_does_not_exist():
    stale = sorted((set(MATRIX) | set(EXEMPT)) - set(routes()))
    assert not stale, f"MATRIX or EXEMPT names routes the URLconf does not have: {stale}"
    assert not set(MATRIX) & set(EXEMPT)


# django-ninja's own routes: the schema, the docs page and the root; not API operations.
NINJA_ROUTES = {"api:openapi-json", "api:openapi-view", "api:api-root"}


def test_every_api_operation_is_in_the_matrix():
    published = openapi_operations()
    covered = {
        (routes()[name].openapi_path, entry.method)
        for name, entries in MATRIX.items()
        if routes()[name].is_api and name not in NINJA_ROUTES
        for entry in entries
    }
    assert published, "the OpenAPI schema lists no operations"
    assert published == covered, (
        f"not in the matrix: {sorted(published - covered)}; "
        f"in the matrix but not published: {sorted(covered - published)}"
    )


def test_every_cell_names_a_persona_and_a_scope_of_its_entry():
    for name, entries in MATRIX.items():
        for entry in entries:
            assert set(entry.table) == {(p, s) for p in PERSONAS for s in entry.scopes}, name
            assert set(entry.bugs) <= set(entry.table), name


def test_matrix_urls_reach_the_route_they_are_listed_under(demo):
    objs = Objects(demo)
    for name, entries in MATRIX.items():
        route = routes()[name]
        for entry in entries:
            for scope in entry.scopes:
                kwargs, _ = entry.url(objs, scope)
                assert set(kwargs) == set(route.params), (name, scope)
                match = resolve(reverse(name, kwargs=kwargs))
                assert match.route == route.pattern, (name, scope, match.route)


# ---- the matrix ----------------------------------------------------------------------------


def _case_id(name: str, entry: Entry, persona: str, scope: str) -> str:
    label = name if len(MATRIX[name]) == 1 else f"{name}:{entry.method}"
    return f"{label}-{persona}" if scope == NO_SCOPE else f"{label}-{persona}-{scope}"


def _cases():
    for name, entries in MATRIX.items():
        for entry in entries:
            for persona in PERSONAS:
                for scope in entry.scopes:
                    marks = []
                    if (persona, scope) in entry.bugs:
                        marks.append(
                            pytest.mark.xfail(strict=True, reason=entry.bugs[(persona, scope)])
                        )
                    yield pytest.param(
                        name,
                        entry,
                        persona,
                        scope,
                        id=_case_id(name, entry, persona, scope),
                        marks=marks,
                    )


def _send(client: Client, method: str, url: str, body: dict | None, *, api: bool):
    if method == "GET":
        return client.get(url)
    if api and body and any(hasattr(value, "read") for value in body.values()):
        return client.post(url, body)  # an upload: multipart, like an API client sends files
    if api:
        return client.generic(method, url, json.dumps(body or {}), content_type="application/json")
    return client.post(url, body or {})


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The personas with their sessions and tokens, made once for all the cases (see World)."""
    with world_in_transaction(django_db_blocker, MATRIX) as world:
        yield world


@pytest.mark.parametrize(("name", "entry", "persona", "scope"), list(_cases()))
def test_permission_matrix(name, entry, persona, scope, world, db):
    route = routes()[name]
    objs = world.objects()
    client = world.client(persona, api=route.is_api)
    kwargs, query = entry.url(objs, scope)
    url = reverse(name, kwargs=kwargs) + (f"?{urlencode(query)}" if query else "")
    body = entry.body(objs, scope) if entry.body else None
    # A refusal must leave the records as they were; an allowed write, its audit event.
    refused = is_refusal(entry, persona, scope)
    member_ids = [m.pk for m in objs.members.values()]
    before = snapshot(member_ids) if refused else None
    seq = before.last_seq if before else last_seq() if entry.audits else 0

    response = _send(client, entry.method, url, body, api=route.is_api)

    expected = expected_status(entry, route, persona, scope)
    assert response.status_code in expected, (
        f"{entry.method} {url} as {persona}: {response.status_code}, expected {sorted(expected)}"
    )
    if entry.expected(persona, scope) == LOGIN and not route.is_api:
        assert response["Location"].startswith(reverse("login"))
    if refused:
        after = snapshot(member_ids)
        assert (after.members, after.users) == (before.members, before.users)
        assert after.rows == before.rows, "a refused request changed a member"
        actions = actions_since(seq)
        assert not [a for a in actions if a in TRACE_ACTIONS], f"refused, yet audited: {actions}"
    elif entry.audits:
        actions = actions_since(seq)
        assert entry.audits in actions, f"allowed, but no {entry.audits} event: {actions}"


# ---- the cases the issue names -------------------------------------------------------------

NOT_FOUND_DETAIL = {"detail": "对象不存在或不在您的权限范围内"}


def _member_names() -> set[str]:
    from dangjian.members.models import Member

    return set(Member.objects.values_list("name", flat=True))


def test_secretary_cannot_read_sibling_branch_member_by_id(demo):
    secretary = demo.users["secretary"]
    sibling = demo.member_in_sibling
    page = client_as(secretary, api=False)

    # The same request for a member of the secretary's own branch succeeds.
    own = page.get(reverse("members:detail", kwargs={"pk": demo.member_in_branch.pk}))
    assert own.status_code == 200
    assert demo.member_in_branch.name in own.content.decode()

    response = page.get(reverse("members:detail", kwargs={"pk": sibling.pk}))
    assert response.status_code == 404
    assert sibling.name not in response.content.decode()
    assert (
        page.get(reverse("orgs:detail", kwargs={"pk": demo.sibling_branch.pk})).status_code == 404
    )

    api_url = reverse("api:get_member", kwargs={"member_id": sibling.pk})
    for client in (client_as(secretary, api=True), page):  # bearer token, then session
        response = client.get(api_url)
        assert response.status_code == 404
        assert response.json() == NOT_FOUND_DETAIL
        assert sibling.name not in response.content.decode()

    # Searching for the sibling by name finds nobody, on the page and through the API.
    listed = page.get(reverse("members:list"), {"q": sibling.name})
    assert listed.status_code == 200
    assert sibling.pk not in {m.pk for m in listed.context["page"].object_list}
    found = page.get(reverse("api:list_members"), {"q": sibling.name}).json()
    assert sibling.pk not in {item["id"] for item in found["items"]}


def test_secretary_cannot_move_member_into_sibling_branch(demo):
    secretary = demo.users["secretary"]
    member = demo.member_in_branch
    sibling_group = demo.org["FGW-B02-G1"]
    page = client_as(secretary, api=False)
    api = client_as(secretary, api=True)
    before = snapshot([member.pk])

    url = reverse("members:move", kwargs={"pk": member.pk})
    form = page.get(url).context["form"]
    offered = {int(value) for value, _ in form.fields["organization"].choices}
    assert demo.branch.pk in offered
    assert demo.sibling_branch.pk not in offered

    attempts = [
        {"organization": demo.sibling_branch.pk, "party_group": "", "reason": "越权调动"},
        {"organization": demo.branch.pk, "party_group": sibling_group.pk, "reason": "越权调动"},
    ]
    for data in attempts:
        response = page.post(url, data)
        assert response.status_code in (200, 403, 404)
        if response.status_code == 200:  # the form is shown again with the refusal
            assert response.context["form"].errors

    api_url = reverse("api:move_member", kwargs={"member_id": member.pk})
    for body in (
        {"organization": "FGW-B02", "reason": "越权调动"},
        {"organization": "FGW-B01", "party_group": "FGW-B02-G1", "reason": "越权调动"},
    ):
        response = api.post(api_url, json.dumps(body), content_type="application/json")
        assert response.status_code == 404  # the sibling branch is outside the secretary's scope

    after = snapshot([member.pk])
    assert after.rows == before.rows
    assert "move" not in new_audit_actions(before)


def test_inspector_cannot_write(demo):
    inspector = demo.users["inspector"]
    member = demo.member_in_branch  # inside the inspector's read scope
    page = client_as(inspector, api=False)
    api = client_as(inspector, api=True)
    objs = Objects(demo)
    before = snapshot([member.pk])

    assert page.get(reverse("members:detail", kwargs={"pk": member.pk})).status_code == 200
    assert api.get(reverse("api:get_member", kwargs={"member_id": member.pk})).status_code == 200

    pk = {"pk": member.pk}
    page_writes = [
        (reverse("members:edit", kwargs=pk), member_edit_form(objs, "own_branch")),
        (reverse("members:move", kwargs=pk), member_move_form(objs, "own_branch")),
        (reverse("members:reveal", kwargs={**pk, "field": "id_number"}), {}),
        (reverse("members:reveal", kwargs={**pk, "field": "phone"}), {}),
        (f"{reverse('members:create')}?org=FGW-B01", member_create_form(objs, "own_branch")),
    ]
    for url, data in page_writes:
        assert page.get(url).status_code in (403, 405), url
        assert page.post(url, data).status_code == 403, url

    member_id = {"member_id": member.pk}
    api_writes = [
        ("PATCH", reverse("api:update_member", kwargs=member_id), member_patch_json(objs, "")),
        ("POST", reverse("api:move_member", kwargs=member_id), member_move_json(objs, "")),
    ]
    for method, url, body in api_writes:
        response = api.generic(method, url, json.dumps(body), content_type="application/json")
        assert response.status_code == 403, url
    create = api.post(
        reverse("api:create_member"),
        json.dumps(member_create_json(objs, "own_branch")),
        content_type="application/json",
    )
    assert create.status_code == 403

    after = snapshot([member.pk])
    assert (after.members, after.rows) == (before.members, before.rows)
    assert not set(new_audit_actions(before)) & {"create", "update", "move", "reveal"}


def test_sysadmin_sees_no_personal_data(demo):
    from dangjian.orgs.models import Organization

    sysadmin = demo.users["sysadmin"]
    page = client_as(sysadmin, api=False)
    api = client_as(sysadmin, api=True)
    names = _member_names()

    tree = page.get(reverse("orgs:tree"))
    assert tree.status_code == 200
    assert "FGW-DZ" in tree.content.decode()  # the structure is there
    pages = [tree] + [
        page.get(reverse("orgs:children", kwargs={"pk": pk}))
        for pk in Organization.objects.values_list("pk", flat=True)
    ]
    pages.append(api.get(reverse("api:org_tree")))
    for response in pages:
        assert response.status_code == 200
        text = response.content.decode()
        assert not [name for name in names if name in text]

    member = demo.member_in_branch
    refused = [
        page.get(reverse("members:list")),
        page.get(reverse("members:export")),
        page.get(reverse("members:detail", kwargs={"pk": member.pk})),
        page.post(reverse("members:reveal", kwargs={"pk": member.pk, "field": "id_number"})),
        page.get(reverse("orgs:detail", kwargs={"pk": demo.branch.pk})),
        api.get(reverse("api:get_member", kwargs={"member_id": member.pk})),
        api.get(reverse("api:org_detail", kwargs={"org_id": demo.branch.pk})),
    ]
    for response in refused:
        assert response.status_code in (403, 404)
        assert member.name not in response.content.decode()
    # The API list answers, but with nobody in it (its status is pinned in the matrix).
    listed = api.get(reverse("api:list_members"))
    assert listed.status_code in (200, 403, 404)
    if listed.status_code == 200:
        assert listed.json()["items"] == []


def test_member_list_shows_only_own_record(demo):
    member = demo.users["member"]
    own = demo.own_member
    page = client_as(member, api=False)
    api = client_as(member, api=True)

    listed = page.get(reverse("members:list"))
    assert listed.status_code == 200
    assert [m.pk for m in listed.context["page"].object_list] == [own.pk]

    data = api.get(reverse("api:list_members")).json()
    assert data["count"] == 1
    assert [item["id"] for item in data["items"]] == [own.pk]

    # A search for a fellow branch member finds nothing.
    other = demo.member_in_branch
    searched = page.get(reverse("members:list"), {"q": other.name})
    assert other.pk not in {m.pk for m in searched.context["page"].object_list}


def test_branch_committee_member_reads_and_writes_but_cannot_reveal(demo):
    committee = persona_user(demo, "committee")
    member = demo.member_in_branch
    page = client_as(committee, api=False)
    before = snapshot([member.pk])

    assert page.get(reverse("members:detail", kwargs={"pk": member.pk})).status_code == 200
    for field in ("id_number", "phone"):
        url = reverse("members:reveal", kwargs={"pk": member.pk, "field": field})
        response = page.post(url)
        assert response.status_code == 403
        assert member.id_number not in response.content.decode()
    unmasked = page.get(reverse("members:export"), {"unmasked": "1"})
    assert unmasked.status_code == 403
    assert "reveal" not in new_audit_actions(before)
    assert "export" not in new_audit_actions(before)
