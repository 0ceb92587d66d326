"""Response headers and the last word on refusals: no cache for personal data, a strict
Content-Security-Policy, and a Chinese body for every error response that arrives without one."""

from django.conf import settings

from dangjian.core import inputs


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # Pages and API answers for a logged-in user may carry personal data: never cache them.
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response.setdefault("Cache-Control", "no-store")
        return response


class ContentSecurityPolicyMiddleware:
    """`default-src 'self'` on every answer: scripts only from our static files (no inline script,
    no eval), nothing loaded from or sent to another origin, no framing."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.setdefault("Content-Security-Policy", self.policy)
        return response


class ErrorResponseMiddleware:
    """Refusals made below the views' error handlers (a wrong method, an unparsable query string)
    still get the Chinese page or JSON; and a query string with NUL is refused before it reaches
    a database that cannot compare it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from dangjian.core.views import error_json, error_page, is_api_request

        for key in request.GET:
            for value in request.GET.getlist(key):
                # Only what no database can compare (PostgreSQL refuses NUL in any string);
                # a zero-width space pasted into a search box just finds nothing.
                if "\x00" in key or "\x00" in value:
                    message = (
                        f"查询参数 {inputs.printable(key)} 含有控制字符（U+0000），请删除后重新输入"
                    )
                    if is_api_request(request):
                        return error_json(422, [{"field": key, "message": message}])
                    return error_page(request, 400, message)
        response = self.get_response(request)
        if response.status_code < 400 or getattr(response, "streaming", False):
            return response
        content_type = response.get("Content-Type", "")
        if is_api_request(request):
            if not content_type.startswith("application/json"):
                return self._replace(request, response, error_json(response.status_code))
        elif response.status_code == 405 or not response.content:
            return self._replace(request, response, error_page(request, response.status_code))
        return response

    @staticmethod
    def _replace(request, old, new):
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in old:
                new[header] = old[header]
        return new
