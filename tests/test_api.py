"""The REST API under /api/v1/: auth, OpenAPI, members and organizations, same rules as pages."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts.models import ApiToken
from dangjian.accounts.services import create_token
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor
from dangjian.members import services as member_services
from dangjian.members.models import Member
from dangjian.orgs.models import Organization, Post
from tests.conftest import member_payload
from tests.helpers import events_since, last_seq

MEMBERS = "/api/v1/members"
ORGS = "/api/v1/orgs"
MASKED_ID = re.compile(r"^\*{14}[\dX]{4}$")
MASKED_PHONE = re.compile(r"^\d{3}\*{4}\d{4}$")


def subtree_count(org: Organization, **filters) -> int:
    return Member.objects.filter(organization__path__startswith=org.path, **filters).count()


def bad_check_character(id_number: str) -> str:
    return id_number[:-1] + ("1" if id_number[-1] != "1" else "2")


class TokenClient:
    """A client that authenticates with `Authorization: Bearer <token>` only (no session)."""

    def __init__(self, token: str):
        self.client = Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def get(self, path, data=None):
        return self.client.get(path, data, **self.auth)

    def post(self, path, data):
        return self.client.post(path, data, content_type="application/json", **self.auth)

    def patch(self, path, data):
        return self.client.patch(path, data, content_type="application/json", **self.auth)


@pytest.fixture
def token_for(demo):
    def make(username: str) -> TokenClient:
        user = demo.users[username]
        return TokenClient(create_token(Actor.system("test"), user, name="pytest"))

    return make


@pytest.fixture
def api_as(client_for, demo):
    """A session-authenticated client (as a browser with a login cookie would be)."""

    def make(username: str) -> Client:
        return client_for(demo.users[username])

    return make


def post_json(client: Client, path: str, data: dict):
    return client.post(path, data, content_type="application/json")


def patch_json(client: Client, path: str, data: dict):
    return client.patch(path, data, content_type="application/json")


# ---- authentication ------------------------------------------------------------------------------


def test_a_bearer_token_authenticates_with_the_users_scope(demo, token_for):
    response = token_for("secretary").get(MEMBERS)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == Member.objects.filter(organization=demo.branch).count()
    assert {item["organization_code"] for item in body["items"]} == {"FGW-B01"}


def test_a_bearer_token_can_write(demo, token_for):
    response = token_for("secretary").post(
        MEMBERS, member_payload(organization=demo.branch.code, name="令牌新增")
    )

    assert response.status_code == 201
    assert Member.objects.filter(name="令牌新增", organization=demo.branch).exists()


@pytest.mark.parametrize(
    "header",
    [
        "Bearer dj_not-a-real-token",
        "Bearer not-even-the-prefix",
        "Bearer ",
        "Token dj_wrong-scheme",
    ],
)
def test_a_bad_token_is_unauthorized(db, header):
    response = Client().get(MEMBERS, HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json() == {"detail": "未登录或令牌无效"}


def test_no_credentials_at_all_is_unauthorized(demo):
    assert Client().get(MEMBERS).status_code == 401
    assert Client().get(f"{ORGS}/tree").status_code == 401
    assert post_json(Client(), MEMBERS, member_payload(organization="FGW-B01")).status_code == 401


def test_a_revoked_or_expired_token_is_unauthorized(demo):
    user = demo.users["secretary"]
    revoked = create_token(Actor.system("test"), user)
    expired = create_token(Actor.system("test"), user)
    ApiToken.objects.filter(prefix=revoked[:10]).update(revoked_at=timezone.now())
    ApiToken.objects.filter(prefix=expired[:10]).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )

    assert TokenClient(revoked).get(MEMBERS).status_code == 401
    assert TokenClient(expired).get(MEMBERS).status_code == 401


def test_a_token_of_a_deactivated_user_is_unauthorized(demo, token_for):
    client = token_for("secretary")
    type(demo.users["secretary"]).objects.filter(username="secretary").update(is_active=False)

    assert client.get(MEMBERS).status_code == 401


def test_a_session_authenticates_too(demo, api_as):
    response = api_as("organ").get(MEMBERS)

    assert response.status_code == 200
    assert response.json()["count"] == subtree_count(demo.organ_committee)


# ---- OpenAPI and docs ----------------------------------------------------------------------------


def test_openapi_document_is_valid_json_with_members_and_orgs_paths(demo, token_for):
    response = token_for("member").get("/api/openapi.json")

    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/members"])
    assert {"get", "patch"} <= set(paths["/api/v1/members/{member_id}"])
    assert "post" in paths["/api/v1/members/{member_id}/move"]
    assert "get" in paths["/api/v1/orgs/tree"]
    assert "get" in paths["/api/v1/orgs/{org_id}"]
    assert "Bearer" in json.dumps(schema["components"]["securitySchemes"])


def test_api_docs_render_with_local_static_files_only(demo, api_as):
    response = api_as("organ").get("/api/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert not re.search(r"(?:src|href)=[\"']?(?:https?:)?//", html)
    assert "http://" not in html and "https://" not in html
    assets = re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", html)
    assert any(a.endswith(".js") for a in assets)
    for asset in assets:
        assert Client().get(asset).status_code == 200, asset


# ---- members: list -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"org": "FGW-JGDW", "page": 2},
        {"org": "FGW-ZZ"},
        {"status": "probationary"},
        {"status": "full", "category": "employed"},
        {"category": "retired"},
        {"post": "secretary"},
        {"post": "any"},
        {"q": "zs"},
        {"q": "zhang"},
    ],
)
def test_member_list_mirrors_the_list_page(demo, api_as, settings, params):
    settings.PAGE_SIZE = 50
    member_services.create_member(
        Actor(user=demo.users["organ"]), demo.branch, member_payload(name="张三")
    )
    client = api_as("organ")

    api = client.get(MEMBERS, params).json()
    page = client.get(reverse("members:list"), params).context["page"]

    assert api["count"] == page.paginator.count
    assert api["page"] == page.number
    assert api["page_size"] == 50
    assert [item["id"] for item in api["items"]] == [m.pk for m in page.object_list]
    assert api["items"], "every case should list somebody"


def test_member_list_page_two_holds_the_rest_of_the_subtree(demo, api_as, settings):
    settings.PAGE_SIZE = 50
    client = api_as("organ")
    total = subtree_count(demo.organ_committee)

    first = client.get(MEMBERS, {"org": "FGW-JGDW"}).json()
    second = client.get(MEMBERS, {"org": "FGW-JGDW", "page": 2}).json()

    assert first["count"] == second["count"] == total > 50
    assert len(first["items"]) == 50
    assert len(second["items"]) == total - 50
    ids = {i["id"] for i in first["items"]} | {i["id"] for i in second["items"]}
    assert len(ids) == total


def test_member_list_search_by_pinyin_initials(demo, token_for):
    zhang, _ = member_services.create_member(
        Actor(user=demo.users["secretary"]), demo.branch, member_payload(name="张三")
    )

    body = token_for("secretary").get(MEMBERS, {"q": "zs"}).json()

    assert zhang.pk in {item["id"] for item in body["items"]}
    assert body["count"] < Member.objects.filter(organization=demo.branch).count()


def test_member_list_masks_id_numbers_and_phones(demo, token_for):
    response = token_for("secretary").get(MEMBERS)

    text = response.content.decode()
    for item in response.json()["items"]:
        member = Member.objects.get(pk=item["id"])
        assert MASKED_ID.match(item["id_number_masked"])
        assert MASKED_PHONE.match(item["phone_masked"])
        assert member.id_number not in text
        assert member.phone not in text


def test_member_list_for_an_organization_outside_scope_is_not_found(demo, token_for):
    response = token_for("secretary").get(MEMBERS, {"org": "FGW-B02"})

    assert response.status_code == 404


def test_a_malformed_query_parameter_answers_422_with_the_field(demo, token_for):
    response = token_for("secretary").get(MEMBERS, {"page": "two"})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["field"] == "page"
    assert error["message"].startswith("格式不正确")


# ---- members: detail -----------------------------------------------------------------------------


def test_member_detail_is_masked(demo, token_for):
    member = demo.member_in_branch

    response = token_for("secretary").get(f"{MEMBERS}/{member.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == member.pk
    assert body["name"] == member.name
    assert body["organization_code"] == "FGW-B01"
    assert body["id_number_masked"] == member.id_number_masked
    assert body["phone_masked"] == member.phone_masked
    assert member.id_number not in response.content.decode()
    assert member.phone not in response.content.decode()


def test_a_member_reads_their_own_record_only(demo, token_for):
    client = token_for("member")

    assert client.get(f"{MEMBERS}/{demo.own_member.pk}").status_code == 200
    assert client.get(f"{MEMBERS}/{demo.member_in_branch.pk}").status_code == 404
    assert [i["id"] for i in client.get(MEMBERS).json()["items"]] == [demo.own_member.pk]


@pytest.mark.parametrize(
    ("username", "member_attr"),
    [
        ("secretary", "member_in_sibling"),
        ("secretary", "member_in_other_dept"),
        ("organ", "member_in_other_dept"),
        ("inspector", "member_in_other_dept"),
    ],
)
def test_a_member_outside_scope_is_not_found(demo, token_for, username, member_attr):
    member = getattr(demo, member_attr)
    client = token_for(username)
    stored = Member.objects.filter(pk=member.pk).values().get()

    responses = [
        client.get(f"{MEMBERS}/{member.pk}"),
        client.patch(f"{MEMBERS}/{member.pk}", {"job_title": "党务专员"}),
        client.post(f"{MEMBERS}/{member.pk}/move", {"organization": "FGW-B01"}),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    assert all(r.json() == {"detail": "对象不存在或不在您的权限范围内"} for r in responses)
    assert member.name not in "".join(r.content.decode() for r in responses)
    assert Member.objects.filter(pk=member.pk).values().get() == stored


def test_an_unknown_member_is_not_found(demo, token_for):
    assert token_for("organ").get(f"{MEMBERS}/999999999").status_code == 404


# ---- members: create -----------------------------------------------------------------------------


def test_create_answers_201_with_the_masked_member(demo, token_for):
    data = member_payload(organization="fgw-b01", party_group="FGW-B01-G1")
    client = token_for("secretary")
    seq = last_seq()

    response = client.post(MEMBERS, data)

    assert response.status_code == 201
    body = response.json()
    member = Member.objects.get(pk=body["member"]["id"])
    assert body["warnings"] == []
    assert body["member"]["id_number_masked"] == member.id_number_masked
    assert MASKED_ID.match(body["member"]["id_number_masked"])
    assert body["member"]["phone_masked"] == member.phone_masked
    assert body["member"]["organization_code"] == "FGW-B01"
    assert body["member"]["party_group_id"] == demo.org["FGW-B01-G1"].pk
    assert body["member"]["birth_date"] == "1990-05-03"
    assert body["member"]["gender"] == "female"
    assert data["id_number"] not in response.content.decode()
    assert member.id_number == data["id_number"]
    [event] = events_since(seq)
    assert (event.action, event.object_id) == (AuditAction.CREATE, str(member.pk))


def test_create_with_an_old_fifteen_digit_number_returns_the_warning(demo, token_for):
    response = token_for("secretary").post(
        MEMBERS, member_payload(organization="FGW-B01", id_number="110105900503123")
    )

    assert response.status_code == 201
    assert response.json()["warnings"] == ["15位旧身份证号已转换为18位：**************1230，请核对"]


def test_create_with_a_bad_id_number_answers_422_with_the_field_and_chinese_message(
    demo, token_for
):
    data = member_payload(organization="FGW-B01")
    data["id_number"] = bad_check_character(data["id_number"])
    members_before = Member.objects.count()
    client = token_for("secretary")
    seq = last_seq()

    response = client.post(MEMBERS, data)

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "id_number", "message": "身份证号校验位不正确，请核对号码是否有误"}
    ]
    assert Member.objects.count() == members_before
    assert events_since(seq) == []


def test_create_reports_every_bad_field(demo, token_for):
    data = member_payload(organization="FGW-B01", name="", phone="123", status="probationary")

    response = token_for("secretary").post(MEMBERS, data)

    assert response.status_code == 422
    assert {e["field"]: e["message"] for e in response.json()["detail"]} == {
        "name": "请填写姓名",
        "phone": "手机号应为11位中国大陆手机号码，如 13812345678",
        "confirmed_on": "预备党员不应有转正时间；已转正的请将党员状态改为正式党员",
    }


def test_create_without_the_organization_answers_422(demo, token_for):
    data = member_payload()

    response = token_for("secretary").post(MEMBERS, data)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["detail"]] == ["organization"]


@pytest.mark.parametrize("target", ["FGW-B02", "CZJ-B01", "NO-SUCH-ORG"])
def test_create_into_a_branch_outside_scope_writes_nothing(demo, token_for, target):
    members_before = Member.objects.count()
    client = token_for("secretary")
    seq = last_seq()

    response = client.post(MEMBERS, member_payload(organization=target))

    # Whatever the status, nothing may be written.
    assert response.status_code in (404, 422)
    assert Member.objects.count() == members_before
    assert events_since(seq) == []


def test_create_into_a_branch_outside_scope_is_not_found(demo, token_for):
    response = token_for("secretary").post(MEMBERS, member_payload(organization="FGW-B02"))

    assert response.status_code == 404


def test_create_by_a_read_only_user_is_forbidden(demo, token_for):
    members_before = Member.objects.count()

    response = token_for("inspector").post(MEMBERS, member_payload(organization="FGW-B01"))

    assert response.status_code == 403
    assert Member.objects.count() == members_before


# ---- members: update -----------------------------------------------------------------------------


def test_patch_updates_only_the_given_field(demo, token_for):
    member = demo.member_in_branch
    before = Member.objects.filter(pk=member.pk).values().get()
    client = token_for("secretary")
    seq = last_seq()

    response = client.patch(f"{MEMBERS}/{member.pk}", {"job_title": "党务专员"})

    assert response.status_code == 200
    assert response.json()["member"]["job_title"] == "党务专员"
    after = Member.objects.filter(pk=member.pk).values().get()
    # A save re-encrypts with a fresh nonce: compare what the ciphertexts stand for.
    ciphertexts = {"id_number_encrypted", "phone_encrypted"}
    changed = {key for key in before if before[key] != after[key]} - ciphertexts
    assert changed == {"job_title", "updated_at"}
    stored = Member.objects.get(pk=member.pk)
    assert (stored.id_number, stored.phone) == (member.id_number, member.phone)
    [event] = events_since(seq)
    assert event.action == AuditAction.UPDATE
    assert event.changes == {"job_title": [member.job_title, "党务专员"]}


def test_patch_with_a_bad_value_answers_422_and_changes_nothing(demo, token_for):
    member = demo.member_in_branch
    stored = Member.objects.filter(pk=member.pk).values().get()

    response = token_for("secretary").patch(f"{MEMBERS}/{member.pk}", {"phone": "12345"})

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "phone", "message": "手机号应为11位中国大陆手机号码，如 13812345678"}
    ]
    assert Member.objects.filter(pk=member.pk).values().get() == stored


def test_patch_with_the_current_values_records_nothing(demo, token_for):
    member = demo.member_in_branch
    client = token_for("secretary")
    seq = last_seq()

    response = client.patch(f"{MEMBERS}/{member.pk}", {"name": member.name})

    assert response.status_code == 200
    assert events_since(seq) == []


@pytest.mark.parametrize("username", ["inspector", "member"])
def test_a_read_only_user_cannot_patch(demo, token_for, username):
    member = demo.own_member if username == "member" else demo.member_in_branch
    stored = Member.objects.filter(pk=member.pk).values().get()

    response = token_for(username).patch(f"{MEMBERS}/{member.pk}", {"job_title": "党务专员"})

    assert response.status_code == 403
    assert Member.objects.filter(pk=member.pk).values().get() == stored


# ---- members: move -------------------------------------------------------------------------------


def test_move_within_scope(demo, token_for):
    member = demo.member_in_branch
    client = token_for("organ")
    seq = last_seq()

    response = client.post(
        f"{MEMBERS}/{member.pk}/move",
        {"organization": "FGW-B02", "party_group": "FGW-B02-G1", "reason": "处室调整"},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["organization_code"] == "FGW-B02"
    assert body["party_group_id"] == demo.org["FGW-B02-G1"].pk
    stored = Member.objects.get(pk=member.pk)
    assert stored.organization_id == demo.sibling_branch.pk
    [event] = events_since(seq)
    assert event.action == AuditAction.MOVE
    assert event.changes["organization"] == [demo.branch.pk, demo.sibling_branch.pk]
    assert event.message == "处室调整"


@pytest.mark.parametrize(
    ("username", "body"),
    [
        ("secretary", {"organization": "FGW-B02"}),
        ("secretary", {"organization": "FGW-B01", "party_group": "FGW-B02-G1"}),
        ("organ", {"organization": "CZJ-B01"}),
        ("organ", {"organization": "NO-SUCH-ORG"}),
    ],
)
def test_move_to_a_target_outside_scope_is_refused_and_changes_nothing(
    demo, token_for, username, body
):
    member = demo.member_in_branch
    stored = Member.objects.filter(pk=member.pk).values().get()
    client = token_for(username)
    seq = last_seq()

    response = client.post(f"{MEMBERS}/{member.pk}/move", body)

    # The target is part of the request body: refused as not found or as a field error.
    assert response.status_code in (404, 422)
    assert "detail" in response.json()
    assert Member.objects.filter(pk=member.pk).values().get() == stored
    assert events_since(seq) == []


def test_move_to_a_general_branch_is_a_field_error(demo, token_for):
    member = demo.member_in_branch

    response = token_for("organ").post(f"{MEMBERS}/{member.pk}/move", {"organization": "FGW-ZZ"})

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "organization", "message": "党员的组织关系只能落在党支部"}
    ]
    assert Member.objects.get(pk=member.pk).organization_id == demo.branch.pk


def test_move_by_a_read_only_user_is_forbidden(demo, token_for):
    member = demo.member_in_branch

    response = token_for("inspector").post(
        f"{MEMBERS}/{member.pk}/move", {"organization": "FGW-B02"}
    )

    assert response.status_code == 403
    assert Member.objects.get(pk=member.pk).organization_id == demo.branch.pk


# ---- organizations -------------------------------------------------------------------------------


def test_org_tree_returns_the_roots_of_the_callers_scope_with_counts(demo, token_for):
    committee = demo.organ_committee

    response = token_for("organ").get(f"{ORGS}/tree")

    assert response.status_code == 200
    [root] = response.json()
    assert root["id"] == committee.pk
    assert root["code"] == "FGW-JGDW"
    assert root["kind"] == "organ_committee"
    assert root["kind_label"] == "机关党委"
    assert root["has_children"] is True
    assert root["members"] == subtree_count(committee)
    assert root["full_members"] == subtree_count(committee, status="full")


def test_org_tree_with_a_parent_returns_its_children(demo, token_for):
    committee = demo.organ_committee

    response = token_for("organ").get(f"{ORGS}/tree", {"parent": committee.pk})

    nodes = {n["code"]: n for n in response.json()}
    assert set(nodes) == {"FGW-B01", "FGW-B02", "FGW-JW", "FGW-ZZ"}
    for code, node in nodes.items():
        org = demo.org[code]
        assert node["members"] == subtree_count(org)
        assert node["depth"] == committee.depth + 1
    assert nodes["FGW-JW"]["has_children"] is False
    assert nodes["FGW-ZZ"]["members"] == subtree_count(demo.org["FGW-B03"]) + subtree_count(
        demo.org["FGW-B04"]
    )


def test_org_tree_for_the_system_administrator_starts_at_the_root(demo, token_for):
    [root] = token_for("sysadmin").get(f"{ORGS}/tree").json()

    assert root["code"] == "GW"
    assert root["members"] == Member.objects.count()


def test_org_tree_outside_scope_is_not_found_and_without_structure_is_forbidden(demo, token_for):
    outside = token_for("secretary").get(f"{ORGS}/tree", {"parent": demo.organ_committee.pk})
    no_structure = token_for("member").get(f"{ORGS}/tree")

    assert outside.status_code == 404
    assert no_structure.status_code == 403


def test_org_detail_includes_findings_with_their_citations(demo, token_for):
    branch = demo.org["FGW-B02"]

    response = token_for("organ").get(f"{ORGS}/{branch.pk}")

    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["name"], body["kind"]) == ("FGW-B02", "综合规划处党支部", "branch")
    assert body["parent_id"] == demo.organ_committee.pk
    assert (body["term_started_on"], body["term_ends_on"]) == ("2022-05-01", "2025-05-01")
    assert body["members"] == subtree_count(branch)
    assert body["committee_size"] == 2
    findings = {f["rule"]: f for f in body["findings"]}
    assert set(findings) == {"committee_term", "committee_threshold"}
    assert findings["committee_term"] == {
        "rule": "committee_term",
        "severity": "warning",  # issue 12: "一般为3年", an extension may explain it
        "message": "任期已于2025年5月1日届满，应及时换届；如经批准延期，请注明理由",
        "citation": "《关于党的基层组织任期的意见》",
    }
    assert findings["committee_threshold"]["citation"] == "《中国共产党支部工作条例（试行）》"
    assert findings["committee_threshold"]["message"].startswith(
        "正式党员7人以上的党支部应当设立支部委员会"
    )
    posts = Post.objects.filter(organization=branch, ended_on__isnull=True)
    assert {(p["kind"], p["member_id"]) for p in body["posts"]} == {
        (p.kind, p.member_id) for p in posts
    }


def test_org_detail_of_a_branch_with_a_full_committee_has_no_committee_findings(demo, token_for):
    body = token_for("secretary").get(f"{ORGS}/{demo.branch.pk}").json()

    # Only the term (due 2027) may ever be flagged for this branch.
    assert {f["rule"] for f in body["findings"]} <= {"committee_term"}
    assert body["committee_size"] == 5
    assert [p["kind_label"] for p in body["posts"]][0] in {"书记", "副书记"}


def test_org_detail_outside_scope_is_not_found(demo, token_for):
    response = token_for("secretary").get(f"{ORGS}/{demo.sibling_branch.pk}")

    assert response.status_code == 404
    assert demo.sibling_branch.name not in response.content.decode()
