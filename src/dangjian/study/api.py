"""Library endpoints under /api/v1/materials: search, a material, publishing (multipart),
the file, related materials, monthly topics, a meeting's materials.

The same access rules as the pages: outside the user's reach a 404, a write the user may not
make a 403, invalid input a 422 with one Chinese message per field. Reading a material through
the API does not count as opening it (only the page does) and is never recorded per person.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Field, File, Form, Query, Router, Schema, UploadedFile
from ninja.responses import Status

from dangjian.accounts.access import Action, get_org_for_user
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.regulations.study import BEIJING
from dangjian.study import files, hours, queries, services
from dangjian.study.models import Material, MaterialFormat, StudyTopic

router = Router(tags=["学习资料"])


class MaterialOut(Schema):
    id: int
    title: str
    author: str
    category: str
    abstract: str
    format: str
    format_label: str
    organization_code: str
    organization_name: str
    original_name: str
    size: int
    pages: int | None
    char_count: int
    has_text: bool
    published_on: dt.date
    open_count: int

    @staticmethod
    def resolve_format_label(obj) -> str:
        return obj.get_format_display()

    @staticmethod
    def resolve_organization_code(obj) -> str:
        return obj.organization.code

    @staticmethod
    def resolve_organization_name(obj) -> str:
        return obj.organization.name


class SearchItem(Schema):
    material: MaterialOut
    passage: str  # HTML: the escaped passage with the matches in <mark>


class SearchPageOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[SearchItem]


class SearchQuery(Schema):
    q: str = ""
    category: str = ""
    format: str = ""
    org: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    page: int = 1


class MaterialPatch(Schema):
    title: str | None = None
    author: str | None = None
    category: str | None = None
    abstract: str | None = None


class RelatedOut(Schema):
    material: MaterialOut
    reason: str


class TopicOut(Schema):
    id: int
    organization_code: str
    month: str
    title: str
    note: str
    materials: list[int]

    @staticmethod
    def resolve_organization_code(obj) -> str:
        return obj.organization.code

    @staticmethod
    def resolve_month(obj) -> str:
        return obj.month.strftime("%Y-%m")

    @staticmethod
    def resolve_materials(obj) -> list[int]:
        return sorted(m.pk for m in obj.materials.all())


class TopicQuery(Schema):
    org: str = ""
    year: int | None = Field(None, ge=1949, le=2100)  # a year the database can compare


class TopicIn(Schema):
    organization: str
    month: str
    title: str = ""
    note: str = ""
    materials: list[int] = []


class MeetingMaterialsIn(Schema):
    materials: list[int]


@router.get("", response=SearchPageOut, summary="资料列表与全文检索（按相关程度排列，带命中片段）")
def list_materials(request, filters: Query[SearchQuery]):
    queries.require_reader(request.user)
    org = None
    if filters.org.strip():
        org = queries.publishers(request.user).filter(code=filters.org.strip().upper()).first()
        if org is None:
            raise ServiceValidationError({"org": "发布组织不存在或不在您的查阅范围内"})
    if filters.format and filters.format not in MaterialFormat.values:
        raise ServiceValidationError(
            {"format": f"格式不正确，可选：{'、'.join(MaterialFormat.values)}"}
        )
    if filters.page < 1 or filters.page > 100_000:
        raise ServiceValidationError({"page": "页码不正确"})
    flt = queries.MaterialFilter(
        q=filters.q[:100],
        category=filters.category.strip(),
        format=filters.format,
        org=org,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )
    result = queries.search_materials(request.user, flt, filters.page)
    return {
        "count": result.total,
        "page": result.page,
        "page_size": result.page_size,
        "items": [{"material": r.material, "passage": r.passage} for r in result.results],
    }


@router.post("", response={201: MaterialOut}, summary="发布资料（multipart：file 和各字段）")
def create_material(
    request,
    organization: Form[str],
    file: File[UploadedFile] = None,
    title: Form[str] = "",
    author: Form[str] = "",
    category: Form[str] = "",
    abstract: Form[str] = "",
):
    org = get_org_for_user(
        request.user, organization.strip().upper(), Action.WRITE, field_name="code"
    )
    if file is None:
        raise ServiceValidationError({"file": "请选择要上传的文件"})
    material = services.publish(
        Actor.from_request(request),
        org,
        file,
        file.name,
        {"title": title, "author": author, "category": category, "abstract": abstract},
        size=file.size,
    )
    return Status(201, Material.objects.select_related("organization").get(pk=material.pk))


@router.get("/topics", response=list[TopicOut], summary="月度学习主题（可按组织、年份筛选）")
def list_topics(request, filters: Query[TopicQuery]):
    queries.require_reader(request.user)
    org = queries.get_reachable_org(request.user, filters.org) if filters.org.strip() else None
    return list(queries.topics_for(request.user, org, filters.year))


@router.put("/topics", response=TopicOut, summary="安排或修改某月的学习主题（同一组织每月一个）")
def save_topic(request, payload: TopicIn):
    org = get_org_for_user(
        request.user, payload.organization.strip().upper(), Action.WRITE, field_name="code"
    )
    topic, _ = services.save_topic(Actor.from_request(request), org, payload.dict())
    return StudyTopic.objects.select_related("organization").get(pk=topic.pk)


@router.get("/meetings/{meeting_id}", response=list[MaterialOut], summary="会议学习的资料")
def get_meeting_materials(request, meeting_id: int):
    meeting = queries.get_meeting_for_user(request.user, meeting_id)
    return list(queries.meeting_materials(meeting))


@router.put(
    "/meetings/{meeting_id}", response=list[MaterialOut], summary="设置会议学习的资料（整体替换）"
)
def set_meeting_materials(request, meeting_id: int, payload: MeetingMaterialsIn):
    meeting = queries.get_meeting_for_user(request.user, meeting_id, Action.WRITE)
    services.set_meeting_materials(Actor.from_request(request), meeting, payload.materials)
    return list(queries.meeting_materials(meeting))


@router.get("/{material_id}", response=MaterialOut, summary="资料详情")
def get_material(request, material_id: int):
    return queries.get_material_for_user(request.user, material_id)


@router.patch("/{material_id}", response=MaterialOut, summary="修改标题、作者、分类、摘要")
def update_material(request, material_id: int, payload: MaterialPatch):
    material = queries.get_material_for_user(request.user, material_id, Action.WRITE)
    services.update_material(
        Actor.from_request(request), material, payload.dict(exclude_unset=True)
    )
    return queries.get_material_for_user(request.user, material_id)


@router.delete(
    "/{material_id}", response={204: None}, summary="撤回资料（已被会议或学习主题引用的不能撤回）"
)
def delete_material(request, material_id: int):
    material = queries.get_material_for_user(request.user, material_id, Action.WRITE)
    services.withdraw(Actor.from_request(request), material)
    return Status(204, None)


@router.get("/{material_id}/file", summary="下载资料文件")
def download_material(request, material_id: int):
    material = queries.get_material_for_user(request.user, material_id)
    return files.response(material.file.name, material.content_type, material.original_name)


@router.get("/{material_id}/related", response=list[RelatedOut], summary="相关推荐")
def related_materials(request, material_id: int):
    material = queries.get_material_for_user(request.user, material_id)
    return [
        {"material": r.material, "reason": r.reason}
        for r in queries.related(request.user, material)
    ]


# ---- study hours and training: /api/v1/study -------------------------------------------------
# The same rules as the pages (study/hours.py): own hours, a branch's roster in roster order
# with 达标/未达标 for its secretary and committee, counts and cadres for the levels above.
# No endpoint takes an ordering, and none reports anyone's reading.

hours_router = Router(tags=["学时与培训"])


class SessionOut(Schema):
    day: dt.date
    kind: str
    title: str
    hours: Decimal
    source: str


class StatusOut(Schema):
    member_id: int
    name: str
    year: int
    hours: Decimal
    required: int
    trainings: int
    trainings_required: int
    cadre: bool
    status: str
    label: str


def _status_out(row: hours.MemberStatus, year: int) -> dict:
    s = row.status
    return {
        "member_id": row.member.pk,
        "name": row.member.name,
        "year": year,
        "hours": s.hours,
        "required": s.required,
        "trainings": s.trainings,
        "trainings_required": s.trainings_required,
        "cadre": row.cadre,
        "status": s.status.value,
        "label": s.label,
    }


class MemberHoursOut(Schema):
    status: StatusOut
    sessions: list[SessionOut]


class RosterRowOut(Schema):
    member_id: int
    name: str
    cadre: bool
    status: str
    label: str


class CadreOut(Schema):
    member_id: int
    name: str
    posts: str
    met: bool
    trained: bool
    inducted: bool | None


class OrgHoursOut(Schema):
    organization_id: int
    year: int
    members: list[RosterRowOut] | None = None
    coverage: dict[str, int] | None = None
    cadres: list[CadreOut] | None = None


def _year(year: int | None) -> int:
    from dangjian.core.clock import today

    current = today().year
    if year is None:
        return current
    if not 2000 <= year <= current + 1:
        raise ServiceValidationError({"year": "年度无效"})
    return year


def _member_hours(member, year: int) -> dict:
    return {
        "status": _status_out(hours.member_status(member, year), year),
        "sessions": hours.sessions(member, year),
    }


@hours_router.get("/hours", response=MemberHoursOut, summary="本人学时及其来源")
def my_hours(request, year: int | None = None):
    from dangjian.accounts.access import scope_for
    from dangjian.members.models import Member

    member_id = scope_for(request.user).own_member_id
    if not member_id:
        raise PermissionDenied("您没有党员记录")
    return _member_hours(Member.objects.get(pk=member_id), _year(year))


@hours_router.get("/members/{member_id}/hours", response=MemberHoursOut, summary="党员学时明细")
def member_hours(request, member_id: int, year: int | None = None):
    from dangjian.members.access import get_member_for_user

    member = get_member_for_user(request.user, member_id)
    hours.require_member_hours(request.user, member)
    return _member_hours(member, _year(year))


@hours_router.get(
    "/orgs/{org_id}/hours",
    response=OrgHoursOut,
    summary="支部：按花名册顺序的达标情况；上级：达标人数、覆盖情况和书记支委名单",
)
def org_hours(request, org_id: int, year: int | None = None):
    org = get_org_for_user(request.user, org_id)
    year = _year(year)
    if hours.can_see_roster(request.user, org):
        rows = hours.branch_roster(request.user, org, year)
        return {
            "organization_id": org.pk,
            "year": year,
            "members": [
                {
                    "member_id": r.member.pk,
                    "name": r.member.name,
                    "cadre": r.cadre,
                    "status": r.status.status.value,
                    "label": r.status.label,
                }
                for r in rows
            ],
        }
    cov, cadres = hours.coverage(request.user, org, year)
    return {
        "organization_id": org.pk,
        "year": year,
        "coverage": vars(cov),
        "cadres": [
            {
                "member_id": c.member.pk,
                "name": c.member.name,
                "posts": c.posts,
                "met": c.met,
                "trained": c.trained,
                "inducted": c.inducted,
            }
            for c in cadres
        ],
    }


class MeetingHoursIn(Schema):
    ends_at: dt.datetime | None = None


@hours_router.put("/meetings/{meeting_id}/hours", summary="按会议起止时间计算学时（空则恢复默认）")
def set_meeting_hours(request, meeting_id: int, payload: MeetingHoursIn):
    from dangjian.study import services_training

    meeting = queries.get_meeting_for_user(request.user, meeting_id, Action.WRITE)
    ends_at = payload.ends_at
    if ends_at is not None and ends_at.tzinfo is None:
        ends_at = ends_at.replace(tzinfo=BEIJING)
    got = services_training.set_meeting_hours(Actor.from_request(request), meeting, ends_at)
    return {"meeting_id": meeting.pk, "hours": got}


class TrainingIn(Schema):
    organization_id: int
    title: str
    organizer: str
    kind: str
    starts_on: str
    ends_on: str
    hours: str
    place: str = ""
    capacity: str = ""
    expected_post: str = ""
    members: list[int] = Field(default_factory=list)


class TrainingOut(Schema):
    id: int
    title: str
    kind: str
    starts_on: dt.date
    ends_on: dt.date
    hours: Decimal
    participants: int
    completed: bool

    @staticmethod
    def resolve_participants(obj) -> int:
        return obj.participants.count()

    @staticmethod
    def resolve_completed(obj) -> bool:
        return obj.completed_at is not None


@hours_router.post("/trainings", response={201: TrainingOut}, summary="安排培训班")
def plan_training(request, payload: TrainingIn):
    from dangjian.study import services_training

    org = get_org_for_user(request.user, payload.organization_id, Action.WRITE)
    data = payload.dict()
    training = services_training.plan_training(Actor.from_request(request), org, data)
    return Status(201, training)


class CompletionIn(Schema):
    not_completed: dict[int, str] = Field(default_factory=dict)


@hours_router.post(
    "/trainings/{training_id}/completion", response=TrainingOut, summary="登记结业（例外登记）"
)
def record_completion(request, training_id: int, payload: CompletionIn):
    from dangjian.study import services_training
    from dangjian.study.models import Training

    training = Training.objects.select_related("organization").filter(pk=training_id).first()
    if training is None or not get_org_for_user(request.user, training.organization_id):
        raise Http404("培训班不存在")
    services_training.record_completion(
        Actor.from_request(request), training, payload.not_completed
    )
    return training
