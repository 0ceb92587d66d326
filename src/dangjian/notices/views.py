"""The inbox pages: messages and what waits for the user (待办), and the navigation badge.

Thin: the notices are the user's own (`queries.notices_for`), the to-dos come from every app's
provider (`registry.todo_providers`), each keeping to the user's scope.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from dangjian.notices import queries, services
from dangjian.notices.registry import todo_providers


@login_required
@require_GET
def inbox(request):
    notices = Paginator(queries.notices_for(request.user), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    todo = [
        row
        for provider in todo_providers()
        for row in provider.rows(request.user, settings.PAGE_SIZE)
    ]
    return render(
        request,
        "notices/inbox.html",
        {"notices": notices, "todo": todo, "counts": queries.action_counts(request.user)},
    )


@login_required
@require_POST
def inbox_read(request):
    ids = request.POST.getlist("notice")
    if ids:
        try:
            services.mark_read(request.user, [int(i) for i in ids])
        except ValueError:
            raise Http404("消息不存在") from None
    else:
        services.mark_read(request.user)
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) or not target.startswith("/"):
        target = reverse("notices:inbox")
    return redirect(target)


@login_required
@require_GET
def inbox_badge(request):
    """The navigation badge, loaded after the page so other pages pay nothing for it."""
    counts = queries.action_counts(request.user)
    return render(request, "notices/_badge.html", {"counts": counts})
