"""Organization endpoints (`/api/v1/orgs`): the tree level by level, and one organization's
detail, beside the pages in `structure.views`."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from ninja import Router, Schema

from dangjian.accounts.access import get_org_for_user, get_structure_org, scope_for
from dangjian.orgs.models import Organization
from dangjian.structure.queries import committee_view, tree_children, tree_roots

router = Router(tags=["组织"])
# The operation ids the OpenAPI document has always given (from the module these endpoints were
# first written in, dangjian.orgs.api), kept so generated clients do not change.
_OPERATION_ID = "dangjian_orgs_api_{}"


class NodeOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    depth: int
    members: int
    full_members: int
    has_children: bool


class PostOut(Schema):
    kind: str
    kind_label: str
    member_id: int
    member_name: str
    started_on: dt.date
    full_time: bool


class FindingOut(Schema):
    rule: str
    severity: str
    message: str
    citation: str


class OrgOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    parent_id: int | None
    term_started_on: dt.date | None
    term_ends_on: dt.date | None
    members: int
    full_members: int
    committee_size: int
    posts: list[PostOut]
    findings: list[FindingOut]


def _node(n) -> dict:
    o = n.org
    return {
        "id": o.pk,
        "code": o.code,
        "name": o.name,
        "kind": o.kind,
        "kind_label": o.get_kind_display(),
        "depth": o.depth,
        "members": n.members,
        "full_members": n.full_members,
        "has_children": n.has_children,
    }


@router.get(
    "/tree",
    response=list[NodeOut],
    summary="组织树（逐级展开）",
    operation_id=_OPERATION_ID.format("org_tree"),
)
def org_tree(request, parent: int | None = None):
    """Without `parent`: the roots of the caller's scope; with it: that node's children."""
    if not scope_for(request.user).sees_structure:
        raise PermissionDenied("您没有查看组织架构的权限")
    if parent is None:
        return [_node(n) for n in tree_roots(request.user)]
    org = get_structure_org(request.user, parent)
    return [_node(n) for n in tree_children(request.user, org)]


@router.get(
    "/{org_id}",
    response=OrgOut,
    summary="组织详情（班子、任期、提示）",
    operation_id=_OPERATION_ID.format("org_detail"),
)
def org_detail(request, org_id: int):
    org = get_org_for_user(request.user, org_id)
    view = committee_view(org)
    parent = Organization.objects.get_parent(org)
    return {
        "id": org.pk,
        "code": org.code,
        "name": org.name,
        "kind": org.kind,
        "kind_label": org.get_kind_display(),
        "parent_id": parent.pk if parent else None,
        "term_started_on": org.term_started_on,
        "term_ends_on": org.term_ends_on,
        "members": view.total_members,
        "full_members": view.full_members,
        "committee_size": view.committee_size,
        "posts": [
            {
                "kind": p.kind,
                "kind_label": p.get_kind_display(),
                "member_id": p.member_id,
                "member_name": p.member.name,
                "started_on": p.started_on,
                "full_time": p.full_time,
            }
            for p in view.posts
        ],
        "findings": [
            {
                "rule": f.rule.id,
                "severity": str(f.severity),
                "message": f.message,
                "citation": f.rule.citation,
            }
            for f in view.findings
        ],
    }
