"""Member endpoints: list (same filters and search as the page), detail, create, update, move."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.responses import Status

from dangjian.accounts.access import Action, get_org_for_user, member_allows, require_member_reader
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.core.pagination import page_of
from dangjian.members import services
from dangjian.members.access import get_member_for_user
from dangjian.members.queries import MemberFilter, member_list

router = Router(tags=["党员"])


class MemberOut(Schema):
    id: int
    name: str
    gender: str
    birth_year: int
    # Digits 7–14 of the ID number: null for a reader who may not reveal this member's.
    birth_date: dt.date | None
    id_number_masked: str
    phone_masked: str
    organization_id: int
    organization_code: str
    organization_name: str
    party_group_id: int | None
    status: str
    category: str
    ethnicity: str
    education: str
    admitted_on: dt.date
    confirmed_on: dt.date | None
    probation_ends_on: dt.date | None
    job_title: str

    @staticmethod
    def resolve_birth_date(obj, context) -> dt.date | None:
        user = context["request"].user
        return obj.birth_date if member_allows(user, obj, Action.REVEAL) else None

    @staticmethod
    def resolve_organization_code(obj) -> str:
        return obj.organization.code

    @staticmethod
    def resolve_organization_name(obj) -> str:
        return obj.organization.name


class MemberPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[MemberOut]


class MemberQuery(Schema):
    org: str | None = None
    status: str | None = None
    category: str | None = None
    post: str | None = None
    q: str | None = None
    page: int = 1


class MemberIn(Schema):
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    status: str | None = None
    category: str | None = None
    admitted_on: str | None = None
    confirmed_on: str | None = None
    ethnicity: str | None = None
    education: str | None = None
    job_title: str | None = None


class MemberCreateIn(MemberIn):
    organization: str
    party_group: str | None = None


class MoveIn(Schema):
    organization: str
    party_group: str | None = None
    reason: str = ""


class MemberWriteOut(Schema):
    member: MemberOut
    warnings: list[str]


def _org_by_code(user, code: str | None, action: Action):
    """An organization by code: 404 outside the user's scope, 403 without `action` (as pages)."""
    if not code:
        return None
    return get_org_for_user(user, code.strip().upper(), action, field_name="code")


@router.get("", response=MemberPage, summary="党员列表")
def list_members(request, filters: Query[MemberQuery]):
    require_member_reader(request.user)
    org = (
        get_org_for_user(request.user, filters.org.strip().upper(), field_name="code")
        if filters.org
        else None
    )
    params = filters.dict()
    flt = MemberFilter.from_params({k: v or "" for k, v in params.items()}, org)
    if flt.id_number_dropped:
        if not services.may_find_by_id_number(request.user):
            raise PermissionDenied("您没有按身份证号查找的权限，请按姓名或拼音查找")
        raise ServiceValidationError(
            {
                "q": "按身份证号查找会记入审计日志：请用 POST /api/v1/members/find-by-id 并填写查询事由"
            }
        )
    qs = member_list(request.user, flt)
    return page_of(qs, filters.page, settings.PAGE_SIZE)


class FindByIdIn(Schema):
    id_number: str
    reason: str


class FindByIdOut(Schema):
    items: list[MemberOut]


class RetryLater(Schema):
    detail: list[dict[str, str]]


@router.post(
    "/find-by-id",
    response={200: FindByIdOut, 429: RetryLater},
    summary="按身份证号查找（须填写事由，记入审计日志，有次数限制）",
)
def find_by_id(request, payload: FindByIdIn):
    try:
        found = services.find_by_id_number(
            Actor.from_request(request), payload.id_number, payload.reason
        )
    except services.RateLimited as exc:
        seconds = max(1, int((exc.retry_at - timezone.now()).total_seconds()) + 1)
        return JsonResponse(
            {"detail": exc.as_list()}, status=429, headers={"Retry-After": str(seconds)}
        )
    return {"items": found}


@router.get("/{member_id}", response=MemberOut, summary="党员详情")
def get_member(request, member_id: int):
    return get_member_for_user(request.user, member_id)


@router.post("", response={201: MemberWriteOut}, summary="新增党员")
def create_member(request, payload: MemberCreateIn):
    org = _org_by_code(request.user, payload.organization, Action.WRITE)
    group = _org_by_code(request.user, payload.party_group, Action.WRITE)
    data = payload.dict(exclude={"organization", "party_group"})
    member, warnings = services.create_member(Actor.from_request(request), org, data, group)
    return Status(201, {"member": member, "warnings": warnings})


@router.patch("/{member_id}", response=MemberWriteOut, summary="修改党员（只需提交要改的字段）")
def update_member(request, member_id: int, payload: MemberIn):
    member = get_member_for_user(request.user, member_id, Action.WRITE)
    data = {
        "name": member.name,
        "id_number": member.id_number,
        "phone": member.phone,
        "status": member.status,
        "category": member.category,
        "admitted_on": member.admitted_on,
        "confirmed_on": member.confirmed_on,
        "ethnicity": member.ethnicity,
        "education": member.education,
        "job_title": member.job_title,
    }
    data.update(payload.dict(exclude_unset=True))
    member, warnings = services.update_member(Actor.from_request(request), member, data)
    return {"member": member, "warnings": warnings}


@router.post("/{member_id}/move", response=MemberOut, summary="调动党员（仅限本人管理范围内）")
def move_member(request, member_id: int, payload: MoveIn):
    member = get_member_for_user(request.user, member_id, Action.WRITE)
    org = _org_by_code(request.user, payload.organization, Action.WRITE)
    group = _org_by_code(request.user, payload.party_group, Action.WRITE)
    return services.move_member(
        Actor.from_request(request), member, org, group, reason=payload.reason
    )
