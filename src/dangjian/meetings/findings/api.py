"""Compliance endpoints: the findings of a subtree and a year, as the CLI's --json prints them."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from ninja import Router, Schema
from ninja.responses import Status

from dangjian.accounts.access import Action, get_org_for_user, scope_for
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings import findings as compliance
from dangjian.orgs.models import Organization
from dangjian.regulations.engine import PackError

router = Router(tags=["组织生活检查"])


class ColumnOut(Schema):
    key: str
    label: str
    rule_ids: list[str]
    citation: str


class OrgRef(Schema):
    id: int
    code: str
    name: str
    kind: str


class FindingOut(Schema):
    rule_id: str
    column: str
    period: str
    period_label: str
    status: str
    severity: str | None
    message: str
    citation: str
    facts: dict
    explanation: dict | None


class OrgFindingsOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    depth: int
    parent_code: str | None
    members: int
    full_members: int
    committee_size: int
    rollup: dict
    findings: list[FindingOut] | None = None


class ComplianceOut(Schema):
    organization: OrgRef
    year: int
    as_of: str
    rule_packs: list[str]
    columns: list[ColumnOut]
    summary: dict
    meetings_counted: int
    # Organizations of the subtree (1 with subtree=false), this page's in path order.
    count: int
    page: int
    page_size: int
    organizations: list[OrgFindingsOut]


class ErrorOut(Schema):
    detail: str


PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


@router.get(
    "",
    response={200: ComplianceOut, 503: ErrorOut},
    summary="组织生活检查结果（某组织及其下级、某年度，分页）",
)
def compliance_report(
    request,
    org: str | None = None,
    year: int | None = None,
    findings: bool = True,
    subtree: bool = True,
    page: int = 1,
    page_size: int = PAGE_SIZE,
):
    """Findings per organization, rule and period, with the facts (the meeting ids behind each
    figure), the citation and roll-up counts. `org` defaults to the caller's first scope root,
    `year` to the current year. The organizations come in path order, `page_size` (default
    100, at most 500) a page, with `count`; `subtree=false` answers the organization alone
    (its roll-up still counts its whole subtree); `findings=false` leaves out the per-period
    findings (roll-ups only: the light tree, served from the findings page's cache). Names of
    individual members are never part of the answer."""
    scope = scope_for(request.user)
    if not scope.paths.get(Action.READ):
        raise PermissionDenied("您没有查看组织生活检查结果的权限")
    if org:
        root = get_org_for_user(request.user, org, field_name="code")
    else:
        root = Organization.objects.filter(path__in=scope.paths[Action.READ]).order_by("path")[0]
    today = compliance.local_today()
    if year is None:
        year = today.year
    if not 2000 <= year <= today.year + 1:
        raise ServiceValidationError({"year": f"年度应在2000至{today.year + 1}之间"})
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ServiceValidationError({"page_size": f"每页条数应在1至{MAX_PAGE_SIZE}之间"})
    page = max(page, 1)
    try:
        if findings:
            report = compliance.compute(root, year, today=today)
        else:
            report = compliance.cached_report(root, year, today=today)
    except PackError as exc:
        return Status(503, {"detail": f"规则包加载失败：{exc}"})
    listed = report.orgs if subtree else [o for o in report.orgs if o.id == report.root.id]
    start = (page - 1) * page_size
    data = compliance.report_json(report, findings=findings, orgs=listed[start : start + page_size])
    data.update(count=len(listed), page=page, page_size=page_size)
    return Status(200, data)
