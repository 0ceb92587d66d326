"""The REST API (django-ninja): /api/v1/…, OpenAPI at /api/docs, same access rules as pages."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from dangjian.accounts.services import user_for_token
from dangjian.core.errors import ServiceValidationError


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="机关党建工作管理平台 API",
    version="1",
    description="党组织、党员等数据的接口。认证：`Authorization: Bearer <令牌>`（`dangjian token create 用户名`）或登录会话。",
    auth=[BearerToken(), django_auth],
    docs_url="/docs",
    openapi_url="/openapi.json",
    urls_namespace="api",
)


@api.exception_handler(ServiceValidationError)
def on_service_validation(request, exc: ServiceValidationError):
    return api.create_response(
        request, {"detail": exc.as_list(), "warnings": exc.warnings}, status=422
    )


@api.exception_handler(NinjaValidationError)
def on_schema_validation(request, exc: NinjaValidationError):
    detail = []
    for error in exc.errors:
        loc = [
            str(p) for p in error.get("loc", []) if p not in ("body", "query", "path", "payload")
        ]
        detail.append(
            {
                "field": ".".join(loc) or "__all__",
                "message": f"格式不正确（{error.get('msg', '')}）",
            }
        )
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    return api.create_response(request, {"detail": str(exc) or "没有权限"}, status=403)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, {"detail": "对象不存在或不在您的权限范围内"}, status=404)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return api.create_response(request, {"detail": "未登录或令牌无效"}, status=401)


from dangjian.duties.api import work_items_router  # noqa: E402
from dangjian.meetings.api import router as meetings_router  # noqa: E402
from dangjian.meetings.compliance_api import router as compliance_router  # noqa: E402
from dangjian.members.api import router as members_router  # noqa: E402
from dangjian.notices.api import inbox_router  # noqa: E402
from dangjian.orgs.api import router as orgs_router  # noqa: E402
from dangjian.study.api import router as materials_router  # noqa: E402

api.add_router("/v1/orgs", orgs_router)
api.add_router("/v1/members", members_router)
api.add_router("/v1/meetings", meetings_router)
api.add_router("/v1/compliance", compliance_router)
api.add_router("/v1/work-items", work_items_router)
api.add_router("/v1/inbox", inbox_router)
api.add_router("/v1/materials", materials_router)
