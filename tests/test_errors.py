"""Every refusal answered in Chinese: error pages inside the layout with a way back, JSON under
/api/, no stack trace, no English; the four inputs that used to give a 500 now give a 422."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client, override_settings

from dangjian.accounts.services import create_token
from dangjian.audit.services import Actor
from tests.conftest import member_payload

ENGLISH = re.compile(
    r"\b(?:Not Found|Forbidden|Bad Request|Server Error|Method Not Allowed|"
    r"Traceback|Cannot parse|Unauthorized|Input should|Field required)\b"
)


@pytest.fixture
def bearer(demo):
    def make(username: str) -> dict:
        token = create_token(Actor.system("test"), demo.users[username], name="pytest")
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    return make


def post_json(client: Client, path: str, body, **extra):
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(path, raw, content_type="application/json", **extra)


def detail_text(response) -> str:
    return json.dumps(response.json()["detail"], ensure_ascii=False)


def assert_chinese_page(response, status: int) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert 'id="error"' in html and "返回首页" in html
    assert not ENGLISH.search(html), ENGLISH.search(html)
    return html


def assert_chinese_json(response, status: int) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    text = detail_text(response)
    assert re.search(r"[\u4e00-\u9fff]", text) and not ENGLISH.search(text), text
    return text


# ---- pages --------------------------------------------------------------------------------------


def test_an_unknown_page_is_a_chinese_404_inside_the_layout_with_the_way_back(demo, client_for):
    response = client_for(demo.users["organ"]).get("/members/999999999/")

    html = assert_chinese_page(response, 404)
    assert "页面不存在" in html
    assert 'href="/members/"' in html  # back to the list the user came from
    assert "退出" in html  # the normal layout, with the navigation


def test_a_stranger_gets_the_404_page_too(db):
    html = assert_chinese_page(Client().get("/no-such-page/"), 404)
    assert "页面不存在" in html


def test_a_refused_page_is_a_chinese_403_with_the_services_message(demo, client_for):
    html = assert_chinese_page(client_for(demo.users["member"]).get("/audit/"), 403)
    assert "没有权限" in html


def test_a_wrong_method_on_a_page_is_a_chinese_405(demo, client_for):
    response = client_for(demo.users["secadmin"]).get("/admin/lockouts/unlock/")

    assert_chinese_page(response, 405)
    assert "POST" in response["Allow"]


def test_an_expired_form_is_a_chinese_403_not_djangos_csrf_page(demo):
    client = Client(enforce_csrf_checks=True)
    client.force_login(demo.users["secadmin"])

    html = assert_chinese_page(client.post("/admin/lockouts/unlock/", {"username": "x"}), 403)
    assert "刷新后重新提交" in html


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_too_large_form_is_a_chinese_413(demo, client_for):
    response = client_for(demo.users["secadmin"]).post(
        "/admin/lockouts/unlock/", {"username": "x" * 5000}
    )

    assert_chinese_page(response, 413)


def test_a_server_error_is_a_chinese_500_without_a_stack_trace(demo, monkeypatch):
    import dangjian.desk.views as views  # the home page

    def broken(user):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views, "scope_for", broken)
    client = Client(raise_request_exception=False)
    client.force_login(demo.users["organ"])

    html = assert_chinese_page(client.get("/"), 500)
    assert "secret internals" not in html and "RuntimeError" not in html


def test_a_query_string_with_nul_is_refused_before_the_database(demo, client_for):
    response = client_for(demo.users["organ"]).get("/members/", {"q": "张\x00三"})

    html = assert_chinese_page(response, 400)
    assert "U+0000" in html


# ---- the API ------------------------------------------------------------------------------------


def test_an_unknown_api_path_is_json_in_chinese(demo, bearer):
    assert_chinese_json(Client().get("/api/v1/nothing-here", **bearer("organ")), 404)
    assert_chinese_json(Client().get("/api/nothing"), 404)


def test_a_wrong_method_on_the_api_is_json_in_chinese_with_allow(demo, bearer):
    response = Client().delete("/api/v1/members", **bearer("organ"))

    assert_chinese_json(response, 405)
    assert "GET" in response["Allow"]


def test_an_unparsable_body_is_a_chinese_400(demo, bearer):
    response = post_json(Client(), "/api/v1/members", "{not json", **bearer("organ"))

    assert "JSON" in assert_chinese_json(response, 400)


def test_nan_is_not_a_number_json_allows(demo, bearer):
    body = '{"organization": "FGW-B01", "name": NaN}'
    assert_chinese_json(post_json(Client(), "/api/v1/members", body, **bearer("organ")), 400)


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_too_large_body_is_a_chinese_413(demo, bearer):
    body = member_payload(organization="FGW-B01", job_title="科" * 2000)
    assert_chinese_json(post_json(Client(), "/api/v1/members", body, **bearer("organ")), 413)


def test_a_server_error_in_the_api_is_a_chinese_500_without_a_stack_trace(
    demo, bearer, monkeypatch
):
    import dangjian.members.api as members_api

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(members_api, "member_list", broken)
    response = Client().get("/api/v1/members", **bearer("organ"))

    text = assert_chinese_json(response, 500)
    assert "secret internals" not in text


def test_pydantic_messages_are_translated(demo, bearer):
    response = Client().get("/api/v1/members", {"page": "abc"}, **bearer("organ"))

    assert response.json()["detail"] == [{"field": "page", "message": "格式不正确，应为整数"}]
    response = post_json(Client(), "/api/v1/members", {"name": 5}, **bearer("organ"))
    detail = {d["field"]: d["message"] for d in response.json()["detail"]}
    assert detail == {"organization": "必填", "name": "格式不正确，应为文字"}


def test_a_session_post_without_csrf_is_a_chinese_403(demo):
    client = Client(enforce_csrf_checks=True)
    client.force_login(demo.users["organ"])

    response = post_json(client, "/api/v1/members", member_payload(organization="FGW-B01"))

    assert "CSRF" in assert_chinese_json(response, 403)


# ---- the four inputs that gave a 500 ------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/members", "/api/v1/meetings", "/api/v1/work-items"])
def test_an_absurd_page_number_is_an_empty_page(demo, bearer, path):
    response = Client().get(path, {"page": "200000000000000000"}, **bearer("organ"))

    assert response.status_code == 200
    assert response.json()["items"] == []


def test_an_empty_organization_is_a_422_on_create_and_move(demo, bearer):
    headers = bearer("organ")
    response = post_json(Client(), "/api/v1/members", member_payload(organization=""), **headers)
    assert "党支部" in assert_chinese_json(response, 422)

    path = f"/api/v1/members/{demo.member_in_branch.pk}/move"
    response = post_json(Client(), path, {"organization": ""}, **headers)
    assert "党支部" in assert_chinese_json(response, 422)


def test_a_lone_surrogate_is_a_422_naming_the_field(demo, bearer):
    from dangjian.meetings.models import Meeting

    meeting = Meeting.objects.filter(organization=demo.branch).first()
    body = '{"content": "会议\\ud800内容"}'
    response = post_json(
        Client(), f"/api/v1/meetings/{meeting.pk}/minutes", body, **bearer("secretary")
    )

    assert_chinese_json(response, 422)
    assert response.json()["detail"][0]["field"] == "content"


@pytest.mark.parametrize("starts_at", ["0001-01-01T09:00", "9999-12-31T09:00"])
def test_a_meeting_in_year_1_or_9999_is_a_422(demo, bearer, starts_at):
    body = {
        "organization": "FGW-B01",
        "kind": "committee_meeting",
        "topic": "支委会",
        "starts_at": starts_at,
    }
    response = post_json(Client(), "/api/v1/meetings", body, **bearer("secretary"))

    text = assert_chinese_json(response, 422)
    assert "会议时间应在1949年10月1日至" in text


def test_a_deadline_in_9999_is_a_422(demo, bearer):
    body = {
        "organization": "FGW-JGDW",
        "title": "学习",
        "deadline": "9999-12-31",
        "targets": ["FGW-B01"],
    }
    response = post_json(Client(), "/api/v1/work-items", body, **bearer("organ"))

    assert "截止日期应在" in assert_chinese_json(response, 422)


# ---- invisible characters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("张\u202e三", "文字方向控制字符"),
        ("张\u200b三", "不可见字符"),
        ("张\x07三", "控制字符"),
    ],
)
def test_names_refuse_bidi_zero_width_and_control_characters(demo, bearer, name, what):
    body = member_payload(organization="FGW-B01", name=name)
    response = post_json(Client(), "/api/v1/members", body, **bearer("organ"))

    assert what in assert_chinese_json(response, 422)


def test_the_services_refuse_them_too_for_forms():
    from dangjian.core import inputs

    errors: dict[str, str] = {}
    assert inputs.short_text("a\u2066b", "topic", "会议主题", 200, errors) == ""
    assert errors == {"topic": "会议主题含有文字方向控制字符（U+2066），请删除后重新输入"}
    errors = {}
    assert inputs.long_text("第一行\r\n第二行", "content", "内容", 100, errors) == "第一行\n第二行"
    assert errors == {}
    inputs.long_text("a\x00b", "content", "内容", 100, errors)
    assert "U+0000" in errors["content"]


# ---- the OpenAPI document -----------------------------------------------------------------------


def test_every_operation_documents_its_refusals(demo, bearer):
    schema = Client().get("/api/openapi.json", **bearer("member")).json()

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"401", "403", "404", "422"} <= set(operation["responses"]), (method, path)
            if "requestBody" in operation:
                assert {"400", "413"} <= set(operation["responses"]), (method, path)
    assert "FieldError" in schema["components"]["schemas"]


def test_the_api_docs_need_a_login(demo, client_for):
    assert Client().get("/api/openapi.json").status_code == 401
    response = Client().get("/api/docs")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client_for(demo.users["member"]).get("/api/docs").status_code == 200


@override_settings(DANGJIAN_API_DOCS_PUBLIC=True)
def test_a_setting_opens_the_api_docs(db):
    assert Client().get("/api/openapi.json").status_code == 200
    assert Client().get("/api/docs").status_code == 200


def test_a_member_name_from_a_form_or_an_import_refuses_a_bidi_override(demo):
    from dangjian.core.errors import ServiceValidationError
    from dangjian.members.services import validate_member_data

    with pytest.raises(ServiceValidationError) as refused:
        validate_member_data(member_payload(name="张\u202e三"))

    assert "文字方向控制字符" in refused.value.errors["name"]


def test_a_topic_year_the_database_cannot_compare_is_a_422(demo, bearer):
    response = Client().get("/api/v1/materials/topics", {"year": "0"}, **bearer("organ"))

    assert "应不小于1949" in assert_chinese_json(response, 422)
