"""Organization pages: the tree (children loaded on expand) and an organization's detail."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dangjian.accounts.access import (
    Action,
    get_org_for_user,
    get_structure_org,
    scope_for,
    visible_orgs,
)
from dangjian.orgs.models import Organization, OrgKind
from dangjian.orgs.queries import committee_view, party_groups, tree_children, tree_roots


def _require_structure(user) -> None:
    if not scope_for(user).sees_structure:
        raise PermissionDenied("您没有查看组织架构的权限")


@login_required
def tree(request):
    _require_structure(request.user)
    roots = tree_roots(request.user)
    # Open the first level so the page is useful without a click.
    opened = {node.org.pk: tree_children(request.user, node.org) for node in roots[:3]}
    return render(request, "orgs/tree.html", {"roots": roots, "opened": opened})


@login_required
def tree_children_view(request, pk: int):
    _require_structure(request.user)
    parent = get_structure_org(request.user, pk)
    return render(request, "orgs/_children.html", {"nodes": tree_children(request.user, parent)})


@login_required
def org_detail(request, pk: int):
    org = get_org_for_user(request.user, pk)
    scope = scope_for(request.user)
    view = committee_view(org)
    children = [c for c in tree_children(request.user, org) if c.org.kind != OrgKind.PARTY_GROUP]
    return render(
        request,
        "orgs/detail.html",
        {
            "org": org,
            "committee": view,
            "groups": party_groups(org) if org.kind == OrgKind.BRANCH else [],
            "children": children,
            "ancestors": [
                a
                for a in Organization.objects.get_ancestors(org)
                if scope.covers(a.path, Action.READ)
            ],
            "can_write": scope.covers(org.path, Action.WRITE),
        },
    )


# How many organizations the picker offers at once: enough to choose from, small on a phone.
PICK_LIMIT = 20


@login_required
@require_GET
def org_pick(request):
    """The organization picker's suggestions: organizations the user may see, by name or code
    (issue 18: nobody should have to know that the 机关党委 is "FGW-JGDW")."""
    _require_structure(request.user)
    text = " ".join(request.GET.get("q", "").split())[:50]
    found = visible_orgs(request.user)
    if text:
        found = found.filter(Q(name__icontains=text) | Q(code__icontains=text))
    rows = found.order_by("path").values_list("code", "name", "kind")[:PICK_LIMIT]
    labels = dict(OrgKind.choices)
    return JsonResponse(
        {"results": [{"code": c, "name": n, "kind": labels.get(k, k)} for c, n, k in rows]}
    )
