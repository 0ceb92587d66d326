"""Login and logout, health, and the error pages (the home page is the desk's work desk)."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from dangjian.core.errors import chinese_or, status_message, status_title


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    redirect_authenticated_user = True

    def get(self, request, *args, **kwargs):
        if request.GET.get("timeout"):
            messages.info(request, "长时间未操作，已自动退出，请重新登录")
        return super().get(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    pass


def health(request):
    return JsonResponse({"status": "ok"})


# ---- error pages -------------------------------------------------------------------------------
# Every refusal a user or an API client can meet is answered in Chinese: a page inside the normal
# layout with a way back, or {"detail": …} under /api/. No stack trace, no English default page.

# The first path segment names the section a user came from: its list is the way back.
_SECTIONS = {
    "orgs": ("组织架构", "orgs:tree"),
    "members": ("党员", "members:list"),
    "meetings": ("组织生活", "meetings:calendar"),
    "compliance": ("组织生活检查", "compliance:findings"),
    "duties": ("工作任务", "duties:items"),
    "library": ("学习资料", "study:library"),
    "audit": ("审计日志", "audit:list"),
    "admin": ("用户与角色", "accounts:users"),
    "desk": ("工作台", "home"),
}


def is_api_request(request) -> bool:
    return request.path.startswith("/api/")


def error_json(status: int, detail=None) -> JsonResponse:
    return JsonResponse({"detail": detail or status_message(status)}, status=status)


def _ways_back(request) -> list[tuple[str, str]]:
    links: list[tuple[str, str]] = []
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        section = request.path.strip("/").split("/", 1)[0]
        if section in _SECTIONS:
            label, name = _SECTIONS[section]
            try:
                url = reverse(name)
            except NoReverseMatch:
                url = ""
            if url and url != request.path:
                links.append((f"返回{label}", url))
    referer = request.headers.get("Referer", "")
    if (
        referer
        and url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and not referer.endswith(request.path)
    ):
        links.append(("返回上一页", referer))
    links.append(("返回首页", reverse("home")))
    return links


def error_page(request, status: int, message: str | None = None, *, headers=None):
    """The Chinese answer to a refused or failed request, as JSON under /api/ or as a page."""
    message = message or status_message(status)
    if is_api_request(request):
        response = error_json(status, message)
    else:
        context = {"status": status, "title": status_title(status), "message": message}
        try:
            context["ways_back"] = _ways_back(request)
            response = render(request, "core/error.html", context, status=status)
        except Exception:
            # The layout reads the user's roles from the database; when the database is what
            # failed, the same words on a page that needs nothing.
            context["ways_back"] = [("返回首页", "/")]
            response = HttpResponse(
                render_to_string("core/error_plain.html", context), status=status
            )
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def bad_request(request, exception=None):
    if isinstance(exception, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
        return error_page(request, 413)
    return error_page(request, 400)


def permission_denied(request, exception=None):
    return error_page(request, 403, chinese_or(exception, 403))


def page_not_found(request, exception=None):
    return error_page(request, 404)


def server_error(request):
    return error_page(request, 500)


def csrf_failure(request, reason=""):
    if is_api_request(request):
        return error_json(403, "请求缺少有效的 CSRF 令牌（使用登录会话调用接口时需要）。")
    return error_page(
        request, 403, "页面已过期或来源不正确，无法提交。请返回上一页，刷新后重新提交。"
    )
