"""Organization pages (组织架构): the tree (children loaded on expand) and an organization's detail.

They show member counts and the committee's post holders, so they sit above `members`; the tree
itself (`orgs`) sits below `accounts`, whose roles are bound to its organizations."""

import re

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dangjian.accounts.access import (
    Action,
    administers_structure,
    founds_under,
    get_org_for_user,
    get_structure_org,
    scope_for,
    visible_orgs,
)
from dangjian.core.pinyin import pinyin_keys
from dangjian.orgs.models import Organization, OrgKind
from dangjian.orgs.services import ALLOWED_CHILDREN
from dangjian.structure.queries import (
    committee_view,
    dissolved_on,
    party_groups,
    tree_children,
    tree_roots,
)


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
            "can_administer": administers_structure(request.user, org),
            "can_found": bool(ALLOWED_CHILDREN[org.kind]) and founds_under(request.user, org),
            "dissolved_on": dissolved_on(org),
        },
    )


# How many organizations the picker offers at once: enough to choose from, small on a phone.
PICK_LIMIT = 20


# Letters only: what someone types for a name's pinyin ("fgw", "fagai", "jiguandangwei").
PINYIN_QUERY = re.compile(r"[A-Za-z]{2,}")


def _by_pinyin(visible, text: str, taken: set[str]) -> list[tuple[str, str, str]]:
    """Organizations whose name's pinyin or initials contain `text`, in tree order, up to the
    picker's limit. Names have no stored pinyin column: the visible organizations' names are read
    (one query, three short columns; a province's 机关工委 sees a few thousand) and converted with
    the roster's cached converter (pinyin_keys is memoised, so a keystroke after the first costs
    a dictionary lookup per name)."""
    rows: list[tuple[str, str, str]] = []
    for code, name, kind in visible.values_list("code", "name", "kind").iterator():
        if code in taken:
            continue
        full, initials = pinyin_keys(name)
        if text in initials or text in full:
            rows.append((code, name, kind))
            if len(rows) + len(taken) >= PICK_LIMIT:
                break
    return rows


@login_required
@require_GET
def org_pick(request):
    """The organization picker's suggestions: organizations the user may see, by name, code or
    the name's pinyin (issue 18: nobody should have to know that the 机关党委 is "FGW-JGDW";
    "jgdw" or "jiguan" finds it as well)."""
    _require_structure(request.user)
    text = " ".join(request.GET.get("q", "").split())[:50]
    visible = visible_orgs(request.user).order_by("path")
    if text:
        found = visible.filter(Q(name__icontains=text) | Q(code__icontains=text))
        rows = list(found.values_list("code", "name", "kind")[:PICK_LIMIT])
        if len(rows) < PICK_LIMIT and PINYIN_QUERY.fullmatch(text):
            rows += _by_pinyin(visible, text.lower(), {code for code, _, _ in rows})
    else:
        rows = list(visible.values_list("code", "name", "kind")[:PICK_LIMIT])
    labels = dict(OrgKind.choices)
    return JsonResponse(
        {"results": [{"code": c, "name": n, "kind": labels.get(k, k)} for c, n, k in rows]}
    )
