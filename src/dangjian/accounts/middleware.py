"""Log a session out after a period without requests (等保: 登录超时自动退出)."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect, resolve_url
from django.utils.http import urlencode

SESSION_KEY = "_dangjian_last_seen"


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            last = request.session.get(SESSION_KEY)
            if last is not None and now - last > settings.IDLE_TIMEOUT.total_seconds():
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                query = urlencode({"timeout": 1, "next": request.get_full_path()})
                return redirect(f"{resolve_url(settings.LOGIN_URL)}?{query}")
            request.session[SESSION_KEY] = now
        return self.get_response(request)
