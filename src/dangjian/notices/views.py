"""The inbox pages: messages and what waits for the user (待办), and the navigation badge.

Thin: the notices are the user's own (`queries.notices_for`), the to-dos come from every app's
provider (`registry.todo_providers`), each keeping to the user's scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from dangjian.notices import queries, services
from dangjian.notices.models import Notice
from dangjian.notices.registry import todo_providers


@dataclass
class NoticeGroup:
    """Notices of one kind about one record shown as one line (issue 18: the 机关党委 got three
    "收到任务" lines for one work item, one per branch): the newest first, the rest folded."""

    notices: list[Notice] = field(default_factory=list)

    @property
    def first(self) -> Notice:
        return self.notices[0]

    @property
    def rest(self) -> list[Notice]:
        return self.notices[1:]

    @property
    def unread(self) -> list[Notice]:
        return [n for n in self.notices if not n.read_at]


def group_notices(notices) -> list[NoticeGroup]:
    """Group a page of notices by (kind, record they are about), in the order of each group's
    newest notice. A notice about no record stays on its own line."""
    groups: list[NoticeGroup] = []
    by_key: dict[tuple, NoticeGroup] = {}
    for notice in notices:
        if notice.subject_type and notice.subject_id is not None:
            key = (notice.kind, notice.subject_type, notice.subject_id)
            group = by_key.get(key)
            if group is None:
                group = by_key[key] = NoticeGroup()
                groups.append(group)
        else:
            group = NoticeGroup()
            groups.append(group)
        group.notices.append(notice)
    return groups


@login_required
@require_GET
def inbox(request):
    notices = Paginator(queries.notices_for(request.user), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    groups = group_notices(notices.object_list)
    todo = [
        row
        for provider in todo_providers()
        for row in provider.rows(request.user, settings.PAGE_SIZE)
    ]
    return render(
        request,
        "notices/inbox.html",
        {
            "notices": notices,
            "groups": groups,
            "todo": todo,
            "counts": queries.action_counts(request.user),
        },
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
