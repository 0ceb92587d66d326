"""The REST API (django-ninja): /api/v1/…, OpenAPI at /api/docs, same access rules as pages.

Every answer that is not a success is `{"detail": …}` in Chinese: a sentence, or for bad input a
list of `{"field", "message"}` (pydantic's English is translated here, the services' messages are
Chinese already). The OpenAPI document lists those answers for every operation.
"""

from __future__ import annotations

import json
import logging
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, django_auth

from dangjian.accounts.services import user_for_token
from dangjian.core import inputs
from dangjian.core.errors import ServiceValidationError, chinese_or, status_message

logger = logging.getLogger("dangjian.api")


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


# ---- request bodies ----------------------------------------------------------------------------


class BadText(Exception):
    def __init__(self, field: str, message: str):
        self.field, self.message = field, message
        super().__init__(message)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _check_strings(value, path: str) -> None:
    if isinstance(value, str):
        problem = inputs.bad_character(value, multiline=True)
        if problem:
            raise BadText(path or "__all__", f"该项{problem}")
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if inputs.bad_character(str(key)):
                raise BadText("__all__", f"字段名 {inputs.printable(str(key))} 含有无效字符")
            _check_strings(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_strings(item, f"{path}.{i}" if path else str(i))


class StrictJSONParser(Parser):
    """JSON bodies without NaN/Infinity and with no string a database cannot store or a reader
    cannot see (NUL, lone surrogates, control, bidi-override and zero-width characters)."""

    def parse_body(self, request):
        data = json.loads(request.body, parse_constant=_refuse_constant)
        _check_strings(data, "")
        return data


# ---- pydantic's messages in Chinese ------------------------------------------------------------

_PYDANTIC = {
    "missing": "必填",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "finite_number": "应为有限的数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文字",
    "string_unicode": "应为有效的文字",
    "date_parsing": "日期格式不正确，应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式不正确，应为 YYYY-MM-DD",
    "date_from_datetime_inexact": "日期不能带时间",
    "date_type": "日期格式不正确，应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式不正确，应为 YYYY-MM-DDTHH:MM",
    "datetime_from_date_parsing": "时间格式不正确，应为 YYYY-MM-DDTHH:MM",
    "datetime_type": "时间格式不正确，应为 YYYY-MM-DDTHH:MM",
    "datetime_object_invalid": "时间不存在",
    "time_parsing": "时刻格式不正确，应为 HH:MM",
    "time_type": "时刻格式不正确，应为 HH:MM",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
    "extra_forbidden": "不是可以提交的字段",
    "uuid_parsing": "格式不正确",
    "url_parsing": "网址格式不正确",
    "none_required": "应为空",
    "union_tag_invalid": "类型不正确",
    "value_error": "格式不正确",
    "assertion_error": "格式不正确",
}


def _pydantic_message(error: dict) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in ("string_too_long", "too_long"):
        return (
            f"不能超过{ctx.get('max_length', '')}个字"
            if kind == "string_too_long"
            else (f"不能超过{ctx.get('max_length', '')}项")
        )
    if kind in ("string_too_short", "too_short"):
        return (
            f"至少{ctx.get('min_length', '')}个字"
            if kind == "string_too_short"
            else (f"至少{ctx.get('min_length', '')}项")
        )
    bounds = {
        "greater_than": "应大于",
        "greater_than_equal": "应不小于",
        "less_than": "应小于",
        "less_than_equal": "应不大于",
    }
    if kind in bounds:
        limit = next(iter(ctx.values()), "")
        return f"{bounds[kind]}{limit}"
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", "")).replace("'", "")
        return f"不是可选的值（可选：{expected}）" if expected else "不是可选的值"
    if kind == "string_pattern_mismatch":
        return "格式不正确"
    if kind in ("decimal_max_digits", "decimal_max_places", "decimal_whole_digits"):
        return "数字位数过多"
    if kind == "multiple_of":
        return f"应为{ctx.get('multiple_of', '')}的倍数"
    if kind == "value_error":
        own = str(ctx.get("error", ""))
        return chinese_or(own, 422) if own and chinese_or(own, 422) == own else "格式不正确"
    message = _PYDANTIC.get(kind, "格式不正确")
    if message.startswith("应为") or message.startswith("不是有效"):
        return f"格式不正确，{message}"
    return message


def translate_errors(errors: list[dict]) -> list[dict[str, str]]:
    detail = []
    for error in errors:
        loc = [
            str(p) for p in error.get("loc", []) if p not in ("body", "query", "path", "payload")
        ]
        field = ".".join(loc) or "__all__"
        detail.append({"field": field, "message": _pydantic_message(error)})
    return detail


# ---- the documentation requires a login ---------------------------------------------------------


def docs_login_required(view):
    """The schema and its browsable page for logged-in users or bearer tokens only, unless
    DANGJIAN_API_DOCS_PUBLIC opens them."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if settings.DANGJIAN_API_DOCS_PUBLIC or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer ") and user_for_token(auth[7:].strip()):
            return view(request, *args, **kwargs)
        if request.path.endswith(".json"):
            from dangjian.core.views import error_json

            return error_json(401, "查看接口文档需要登录或提供 API 令牌。")
        return redirect_to_login(request.get_full_path())

    return wrapper


# ---- the OpenAPI document lists every refusal -------------------------------------------------

_ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "description": "出错时的回答：一句话，或逐项列出的字段错误",
    "properties": {
        "detail": {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
            ]
        },
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["detail"],
}
_FIELD_ERROR_SCHEMA = {
    "title": "FieldError",
    "type": "object",
    "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
    "required": ["field", "message"],
}
_ALWAYS = (401, 403, 404, 422)
_WITH_BODY = (400, 413)


class DangjianAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("Error", _ERROR_SCHEMA)
        components.setdefault("FieldError", _FIELD_ERROR_SCHEMA)
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                if method not in {"get", "post", "put", "patch", "delete"}:
                    continue
                responses = operation.setdefault("responses", {})
                statuses = _ALWAYS + (_WITH_BODY if "requestBody" in operation else ())
                for status in sorted(statuses):
                    responses.setdefault(
                        status,
                        {
                            "description": status_message(status),
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Error"}
                                }
                            },
                        },
                    )
        return schema


api = DangjianAPI(
    title="机关党建工作管理平台 API",
    version="1",
    description="党组织、党员等数据的接口。认证：`Authorization: Bearer <令牌>`（`dangjian token create 用户名`）或登录会话。"
    '出错时回答 `{"detail": …}`：一句中文，或逐项的 `{"field", "message"}`。',
    auth=[BearerToken(), django_auth],
    docs_url="/docs",
    openapi_url="/openapi.json",
    docs_decorator=docs_login_required,
    parser=StrictJSONParser(),
    urls_namespace="api",
)


@api.exception_handler(ServiceValidationError)
def on_service_validation(request, exc: ServiceValidationError):
    return api.create_response(
        request, {"detail": exc.as_list(), "warnings": exc.warnings}, status=422
    )


@api.exception_handler(NinjaValidationError)
def on_schema_validation(request, exc: NinjaValidationError):
    return api.create_response(request, {"detail": translate_errors(exc.errors)}, status=422)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    return api.create_response(request, {"detail": chinese_or(exc, 403)}, status=403)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, {"detail": "对象不存在或不在您的权限范围内"}, status=404)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return api.create_response(request, {"detail": "未登录或令牌无效"}, status=401)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    cause = exc.__cause__
    if isinstance(cause, BadText):
        detail = [{"field": cause.field, "message": cause.message}]
        return api.create_response(request, {"detail": detail}, status=422)
    if isinstance(cause, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
        return api.create_response(request, {"detail": status_message(413)}, status=413)
    if cause is not None and exc.status_code == 400:
        message = "请求内容不是有效的 JSON（应为 UTF-8 编码的 JSON 对象）"
        return api.create_response(request, {"detail": message}, status=400)
    if exc.status_code == 403 and "csrf" in str(exc).lower():
        message = "请求缺少有效的 CSRF 令牌（使用登录会话调用接口时需要）"
        return api.create_response(request, {"detail": message}, status=403)
    return api.create_response(
        request, {"detail": chinese_or(exc, exc.status_code)}, status=exc.status_code
    )


@api.exception_handler(RequestDataTooBig)
@api.exception_handler(TooManyFieldsSent)
@api.exception_handler(TooManyFilesSent)
def on_too_large(request, exc):
    return api.create_response(request, {"detail": status_message(413)}, status=413)


@api.exception_handler(Exception)
def on_server_error(request, exc):
    # Logged with its traceback for the operators; the client gets one Chinese sentence.
    logger.error("API error on %s %s", request.method, request.path, exc_info=exc)
    return api.create_response(request, {"detail": status_message(500)}, status=500)


from dangjian.assessment.api import router as assessment_router  # noqa: E402
from dangjian.dues.api import router as dues_router  # noqa: E402
from dangjian.duties.api import work_items_router  # noqa: E402
from dangjian.meetings.api import router as meetings_router  # noqa: E402
from dangjian.meetings.findings.api import router as compliance_router  # noqa: E402
from dangjian.members.api import router as members_router  # noqa: E402
from dangjian.notices.api import inbox_router  # noqa: E402
from dangjian.recruitment.api import router as recruitment_router  # noqa: E402
from dangjian.structure.api import router as orgs_router  # noqa: E402
from dangjian.study.api import hours_router as study_router  # noqa: E402
from dangjian.study.api import router as materials_router  # noqa: E402
from dangjian.transfers.api import router as transfers_router  # noqa: E402

api.add_router("/v1/orgs", orgs_router)
api.add_router("/v1/members", members_router)
api.add_router("/v1/meetings", meetings_router)
api.add_router("/v1/compliance", compliance_router)
api.add_router("/v1/work-items", work_items_router)
api.add_router("/v1/inbox", inbox_router)
api.add_router("/v1/materials", materials_router)
api.add_router("/v1/study", study_router)
api.add_router("/v1/recruitment", recruitment_router)
api.add_router("/v1/dues", dues_router)
api.add_router("/v1/transfers", transfers_router)
api.add_router("/v1/assessment", assessment_router)
