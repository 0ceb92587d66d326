"""Log a session out after a period without requests (等保: 登录超时自动退出), and hold a user
whose password is an initial, reset or expired one on the password page until it is changed."""

import time
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import urlencode
from django_htmx.http import HttpResponseClientRedirect

from dangjian.accounts import twofactor
from dangjian.accounts.access import Scope, scope_for
from dangjian.accounts.services import password_expired


def _two_factor_pages() -> set[str]:
    return {reverse("two_factor_setup"), reverse("two_factor_verify")}


SESSION_KEY = "_dangjian_last_seen"
# The time of the last request is written to the session at most once in this many seconds:
# writing it on every request made every page a database write (on SQLite, a wait for the one
# write lock). So a session ends between IDLE_TIMEOUT minus this and IDLE_TIMEOUT after its
# last request, never later.
SEEN_EVERY = 60
# Sent by a fragment that asks again on its own (hx-trigger "every …": the check-in screen's
# code, an import's or a dossier's status): a poll is not a person, so it does not start the
# idle clock again, and the page's warning (site.js) leaves it out of its count too.
POLL_HEADER = "X-Dangjian-Poll"


def idle_timeout(scope: Scope) -> int:
    """Seconds without a request after which a session ends: IDLE_TIMEOUT, or the shorter
    ADMIN_IDLE_TIMEOUT for the three administrators (docs/access.md)."""
    limit = settings.ADMIN_IDLE_TIMEOUT if scope.is_admin else settings.IDLE_TIMEOUT
    return int(limit.total_seconds())


def _page_path(request) -> str:
    """The page an htmx request came from (its path and query), to return to after login."""
    page = urlsplit(request.headers.get("HX-Current-URL", ""))
    if not page.path.startswith("/") or page.path.startswith("//"):
        return request.get_full_path()
    return f"{page.path}?{page.query}" if page.query else page.path


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            last = request.session.get(SESSION_KEY)
            # The roles are read only for a session idle longer than the shorter limit.
            shorter = min(settings.ADMIN_IDLE_TIMEOUT, settings.IDLE_TIMEOUT).total_seconds()
            if (
                last is not None
                and now - last > shorter
                and now - last > idle_timeout(scope_for(request.user))
            ):
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                if request.headers.get("HX-Request"):
                    # A fragment (the members search, a status poll): the whole page goes to the
                    # login page, not the login page into the fragment's place.
                    query = urlencode({"timeout": 1, "next": _page_path(request)})
                    return HttpResponseClientRedirect(f"{resolve_url(settings.LOGIN_URL)}?{query}")
                query = urlencode({"timeout": 1, "next": request.get_full_path()})
                return redirect(f"{resolve_url(settings.LOGIN_URL)}?{query}")
            # A stamp ahead of this clock (another server's, or written before the clock was
            # set back) is replaced too: kept, it would hold the session past its timeout. A
            # poll replaces only such a stamp (or gives a new session its first): the mark can
            # shorten a session, never lengthen it.
            # A request another site made the browser send (an <img> or a form on another
            # intranet application: the browser says so in Sec-Fetch-Site) is not this person
            # at work here either.
            poll = request.headers.get(POLL_HEADER) == "1" or request.headers.get(
                "Sec-Fetch-Site"
            ) in ("cross-site", "same-site")
            if last is None or now < last or (now - last >= SEEN_EVERY and not poll):
                request.session[SESSION_KEY] = now
        return self.get_response(request)


class HtmxLoginRedirectMiddleware:
    """A fragment asked for without a session (logged out in another tab, or the session past
    its age) gets the login page as a whole page: `login_required`'s 302 would be followed inside
    htmx's request and the login form swapped into the fragment's place. next is the page the
    fragment came from, not the fragment's own address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 302 and request.headers.get("HX-Request"):
            target = urlsplit(response["Location"])
            if target.path == resolve_url(settings.LOGIN_URL):
                query = {k: v for k, v in parse_qsl(target.query) if k != "next"}
                query["next"] = _page_path(request)
                return HttpResponseClientRedirect(f"{target.path}?{urlencode(query)}")
        return response


class PasswordChangeRequiredMiddleware:
    """An initial or reset password (must_change_password) or an expired one opens nothing but
    the password page and logout; the API answers 403 with the reason."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and self._must_change(user):
            page = reverse("password_change")
            allowed = {page, reverse("logout"), reverse("login"), *_two_factor_pages()}
            if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "请先在网页上修改密码"}, status=403)
                if request.headers.get("HX-Request"):
                    return HttpResponse(status=204)  # a fragment (the inbox badge): nothing
                return redirect(f"{page}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _must_change(user) -> bool:
        return bool(user.must_change_password) or password_expired(user)


class TwoFactorRequiredMiddleware:
    """A user who needs a second factor (twofactor.required_for) and has not given one in this
    session sees only the enrolment or the code page, and logout; the API answers 403."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and twofactor.required_for(user)
        ):
            allowed = {reverse("logout"), reverse("login"), *_two_factor_pages()}
            if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "请先在网页上完成双因素认证"}, status=403)
                if request.headers.get("HX-Request"):
                    return HttpResponse(status=204)  # a fragment (the inbox badge): nothing
                name = "two_factor_verify" if twofactor.enrolled(user) else "two_factor_setup"
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse(name)}?{query}")
        return self.get_response(request)
