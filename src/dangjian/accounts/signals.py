"""Login, logout, failed login and lockout become audit events."""

import time

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from dangjian.accounts.middleware import SESSION_KEY as LAST_SEEN
from dangjian.accounts.services import record_session
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record


def _ip(request) -> str:
    return (request.META.get("REMOTE_ADDR", "") if request is not None else "") or ""


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    record(Actor(user, _ip(request)), AuditAction.LOGIN, user)
    session = getattr(request, "session", None) if request is not None else None
    if session is not None:
        # A login is activity: the idle clock starts here, so the first page after it does not
        # write the session again (IdleTimeoutMiddleware writes it at most once a minute).
        session[LAST_SEEN] = int(time.time())
        if session.session_key is None:
            session.save()
        record_session(user, session.session_key, _ip(request))


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record(Actor(user, _ip(request)), AuditAction.LOGOUT, user)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    record(
        Actor(None, _ip(request)),
        AuditAction.LOGIN_FAILED,
        object_type="accounts.user",
        object_repr=username,
        message=f"用户名 {username} 登录失败",
    )


@receiver(user_locked_out)
def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    record(
        Actor(None, ip_address or _ip(request)),
        AuditAction.LOCKOUT,
        object_type="accounts.user",
        object_repr=str(username or "")[:150],
        message=f"用户名 {username} 连续登录失败，账号已锁定",
    )
