"""Study hours and training pages: thin; reads through `study.hours`, writes through
`study.services_training`. No page orders people by hours or shows anyone's reading."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.accounts.access import Action, get_org_for_user, scope_for, visible_orgs
from dangjian.audit.services import Actor
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.members.access import get_member_for_user
from dangjian.members.models import Member
from dangjian.orgs.models import Organization, OrgKind
from dangjian.regulations.study import BEIJING
from dangjian.study import hours, queries
from dangjian.study import services_nominations as nominations
from dangjian.study import services_training as svc
from dangjian.study.hours import ROSTER_ORDER
from dangjian.study.models import (
    CadreTrainingPlan,
    ExpectedPost,
    ExternalStatus,
    ExternalTraining,
    Participant,
    Training,
    TrainingKind,
)


def _year(request) -> int:
    raw = request.GET.get("year") or ""
    current = today().year
    if raw.isdigit() and 2000 <= int(raw) <= current + 1:
        return int(raw)
    return current


def _branch_orgs(user) -> list[Organization]:
    ids = hours._branch_role_orgs(user)
    return list(Organization.objects.filter(pk__in=ids, kind=OrgKind.BRANCH).order_by("path"))


def _upper_orgs(user) -> list[Organization]:
    """Organizations above a branch the user reads (the levels that see counts)."""
    paths = scope_for(user).paths.get(Action.READ, [])
    return list(
        Organization.objects.filter(path__in=paths)
        .exclude(kind__in=[OrgKind.BRANCH, OrgKind.PARTY_GROUP])
        .order_by("path")
    )


@login_required
@require_GET
def my_hours(request):
    year = _year(request)
    member_id = scope_for(request.user).own_member_id
    context = {
        "year": year,
        "branches": _branch_orgs(request.user),
        "uppers": _upper_orgs(request.user),
    }
    if member_id:
        member = Member.objects.get(pk=member_id)
        context.update(
            member=member,
            status=hours.member_status(member, year),
            sessions=hours.sessions(member, year),
        )
    elif not context["branches"] and not context["uppers"]:
        raise PermissionDenied("您没有可查看的学时")
    return render(request, "study/hours_mine.html", context)


@login_required
@require_GET
def member_hours(request, pk: int):
    member = get_member_for_user(request.user, pk)
    hours.require_member_hours(request.user, member)
    year = _year(request)
    return render(
        request,
        "study/hours_member.html",
        {
            "year": year,
            "member": member,
            "status": hours.member_status(member, year),
            "sessions": hours.sessions(member, year),
        },
    )


@login_required
@require_GET
def org_hours(request, pk: int):
    org = get_org_for_user(request.user, pk)
    year = _year(request)
    if hours.can_see_roster(request.user, org):
        rows = hours.branch_roster(request.user, org, year)
        met = sum(r.status.met for r in rows)
        return render(
            request,
            "study/hours_roster.html",
            {"org": org, "year": year, "rows": rows, "met": met, "total": len(rows)},
        )
    cov, cadres = hours.coverage(request.user, org, year)
    return render(
        request,
        "study/hours_coverage.html",
        {"org": org, "year": year, "cov": cov, "cadres": cadres},
    )


@login_required
@require_POST
def meeting_hours(request, meeting_id: int):
    meeting = queries.get_meeting_for_user(request.user, meeting_id, Action.WRITE)
    raw = (request.POST.get("ends_at") or "").strip()
    ends_at = None
    if raw:
        parsed = parse_datetime(raw)
        if parsed is None:
            messages.error(request, "结束时间格式无效")
            return redirect("study:meeting_materials", meeting_id=meeting.pk)
        ends_at = parsed if parsed.tzinfo else parsed.replace(tzinfo=BEIJING)
    try:
        got = svc.set_meeting_hours(Actor.from_request(request), meeting, ends_at)
    except ServiceValidationError as exc:
        messages.error(request, "；".join(exc.errors.values()))
    else:
        messages.success(request, f"本次学习计{got}学时" if got is not None else "已恢复默认学时")
    return redirect("study:meeting_materials", meeting_id=meeting.pk)


# ---- trainings ------------------------------------------------------------------------------


def _planning_orgs(user) -> list[Organization]:
    return list(
        visible_orgs(user, Action.WRITE).filter(kind__in=svc.PLANNING_KINDS).order_by("path")
    )


def _trainings_for(user):
    """Trainings of organizations the user reads, those the user attends, and those asking a
    branch the user writes for to nominate people."""
    scope = scope_for(user)
    q = scope.org_q(Action.READ, prefix="organization__")
    q |= nominations.open_to_branches_q(scope.paths.get(Action.WRITE, []))
    mine = Participant.objects.filter(member_id=scope.own_member_id).values("training_id")
    return Training.objects.filter(q | Q(pk__in=mine)).select_related("organization")


def _nominating(user, training: Training) -> list[dict]:
    """For each branch the user may nominate for: its members (roster order), who is in, and
    how many places are left."""
    out = []
    branches = nominations.nominating_branches(user, training)
    if not branches:
        return out
    seated = set(
        training.participants.filter(member__organization__in=branches).values_list(
            "member_id", flat=True
        )
    )
    open_ = training.nominations_due is None or today() <= training.nominations_due
    for branch in branches:
        members = list(
            Member.objects.filter(organization=branch).order_by(*ROSTER_ORDER).only("pk", "name")
        )
        own = {m.pk for m in members} & seated
        left = max((training.nomination_quota or 0) - len(own), 0)
        out.append(
            {"branch": branch, "members": members, "seated": own, "left": left,
             "open": open_ and left > 0}
        )  # fmt: skip
    return out


@login_required
@require_GET
def trainings(request):
    scope = scope_for(request.user)
    if not scope.own_member_id and not scope.paths.get(Action.READ):
        raise PermissionDenied("您没有可查看的培训班")
    year = _year(request)
    rows = _trainings_for(request.user).filter(starts_on__year=year).order_by("-starts_on")
    return render(
        request,
        "study/trainings.html",
        {"year": year, "trainings": rows, "planning": _planning_orgs(request.user)},
    )


def _get_training(user, pk: int) -> Training:
    training = _trainings_for(user).filter(pk=pk).first()
    if training is None:
        raise Http404("培训班不存在")
    return training


@login_required
@require_http_methods(["GET", "POST"])
def training_new(request):
    orgs = _planning_orgs(request.user)
    if not orgs:
        raise PermissionDenied("只有机关党委、机关工委可以安排培训班")
    errors: dict[str, str] = {}
    if request.method == "POST":
        org = get_org_for_user(request.user, request.POST.get("org"), Action.WRITE)
        data = request.POST.dict()
        data["members"] = request.POST.getlist("members")
        try:
            training = svc.plan_training(Actor.from_request(request), org, data)
        except ServiceValidationError as exc:
            errors = exc.errors
        else:
            messages.success(request, "培训班已安排")
            return redirect("study_hours:training_detail", training.pk)
    return render(
        request,
        "study/training_form.html",
        {
            "orgs": orgs,
            "errors": errors,
            "data": request.POST,
            "kinds": TrainingKind.choices,
            "posts": ExpectedPost.choices,
        },
        status=400 if errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def training_detail(request, pk: int):
    training = _get_training(request.user, pk)
    writer = scope_for(request.user).covers(training.organization.path, Action.WRITE)
    errors: dict[str, str] = {}
    nominating = _nominating(request.user, training)
    if request.method == "POST" and "nominate_for" in request.POST:
        branch = next(
            (
                b["branch"]
                for b in nominating
                if str(b["branch"].pk) == request.POST["nominate_for"]
            ),
            None,
        )
        if branch is None:
            raise PermissionDenied("您不能以该支部的名义推荐参训人员")
        try:
            added = nominations.nominate(
                Actor.from_request(request), training, branch, request.POST.getlist("members")
            )
        except ServiceValidationError as exc:
            errors = exc.errors
        else:
            messages.success(request, f"已推荐{added}人，推荐参训任务已提交验收")
            return redirect("study_hours:training_detail", training.pk)
    elif request.method == "POST" and writer:
        actor = Actor.from_request(request)
        try:
            if "certificate_for" in request.POST:
                seat = training.participants.filter(pk=request.POST["certificate_for"]).first()
                if seat is None:
                    raise Http404("参训人员不存在")
                svc.attach_certificate(actor, seat, request.FILES.get("certificate"))
                messages.success(request, "结业证书已上传")
            else:
                marked = {
                    int(v): request.POST.get(f"note_{v}", "")
                    for v in request.POST.getlist("not_completed")
                    if v.isdigit()
                }
                svc.record_completion(actor, training, marked)
                messages.success(request, "结业情况已登记")
        except ServiceValidationError as exc:
            errors = exc.errors
        else:
            return redirect("study_hours:training_detail", training.pk)
    elif request.method == "POST":
        raise PermissionDenied("您不能修改该培训班")
    seats = training.participants.select_related("member", "member__organization").order_by(
        "member__organization__path", "member__name_pinyin", "pk"
    )
    own = scope_for(request.user).own_member_id
    if not writer:
        branches = [b["branch"] for b in nominating]
        seats = seats.filter(Q(member_id=own) | Q(member__organization__in=branches))
    return render(
        request,
        "study/training_detail.html",
        {
            "training": training,
            "seats": seats,
            "writer": writer,
            "errors": errors,
            "nominating": nominating,
        },
        status=400 if errors else 200,
    )


@login_required
@require_GET
def certificate(request, pk: int):
    seat = Participant.objects.select_related("training__organization").filter(pk=pk).first()
    if seat is None or not seat.certificate:
        raise Http404("证书不存在")
    own = scope_for(request.user).own_member_id == seat.member_id
    if not own and not scope_for(request.user).covers(seat.training.organization.path, "read"):
        raise Http404("证书不存在")
    return _file(seat.certificate, seat.certificate_name, seat.certificate_type)


def _file(name: str, original: str, content_type: str):
    return svc.file_response(name, content_type, original)


# ---- external trainings -----------------------------------------------------------------------


def _externals_for(user):
    scope = scope_for(user)
    branch_ids = hours._branch_role_orgs(user)
    return ExternalTraining.objects.filter(
        Q(member_id=scope.own_member_id) | Q(member__organization_id__in=branch_ids)
    ).select_related("member")


@login_required
@require_http_methods(["GET", "POST"])
def externals(request):
    scope = scope_for(request.user)
    branch_ids = hours._branch_role_orgs(request.user)
    if not scope.own_member_id and not branch_ids:
        raise PermissionDenied("您没有可登记的外部培训")
    errors: dict[str, str] = {}
    if request.method == "POST":
        member_pk = request.POST.get("member") or scope.own_member_id
        member = get_member_for_user(request.user, member_pk)
        if member.pk != scope.own_member_id and member.organization_id not in branch_ids:
            raise PermissionDenied("只能为本人或本支部党员登记外部培训")
        try:
            svc.record_external(
                Actor.from_request(request), member, request.POST, request.FILES.get("evidence")
            )
        except ServiceValidationError as exc:
            errors = exc.errors
        else:
            messages.success(request, "外部培训已登记，待支部认定")
            return redirect("study_hours:externals")
    rows = _externals_for(request.user).order_by("-created_at")[:200]
    members = Member.objects.filter(organization_id__in=branch_ids).order_by(*hours.ROSTER_ORDER)
    return render(
        request,
        "study/externals.html",
        {
            "rows": rows,
            "errors": errors,
            "data": request.POST,
            "members": members,
            "branch_ids": branch_ids,
            "pending": ExternalStatus.PENDING,
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
def external_decide(request, pk: int):
    ext = _externals_for(request.user).select_related("member__organization").filter(pk=pk).first()
    if ext is None:
        raise Http404("外部培训不存在")
    try:
        svc.decide_external(
            Actor.from_request(request),
            ext,
            request.POST.get("decision") == "approve",
            request.POST.get("note", ""),
        )
    except ServiceValidationError as exc:
        messages.error(request, "；".join(exc.errors.values()))
    else:
        messages.success(request, "已审核")
    return redirect("study_hours:externals")


@login_required
@require_GET
def external_evidence(request, pk: int):
    ext = _externals_for(request.user).filter(pk=pk).first()
    if ext is None:
        raise Http404("证明材料不存在")
    return _file(ext.evidence, ext.evidence_name, ext.evidence_type)


# ---- the cadre training plan ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def plan(request, pk: int):
    org = get_org_for_user(request.user, pk)
    if org.kind not in svc.PLANNING_KINDS:
        raise Http404("党务干部培训规划由机关党委或机关工委制定")
    year = _year(request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        org = get_org_for_user(request.user, pk, Action.WRITE)
        try:
            svc.save_plan(Actor.from_request(request), org, year, request.POST)
        except ServiceValidationError as exc:
            errors = exc.errors
        else:
            messages.success(request, "培训规划已保存")
            return redirect(f"{request.path}?year={year}")
    current = CadreTrainingPlan.objects.filter(organization=org, year=year).first()
    cov, cadres = hours.coverage(request.user, org, year)
    return render(
        request,
        "study/plan.html",
        {
            "org": org,
            "year": year,
            "plan": current,
            "cov": cov,
            "cadres": cadres,
            "errors": errors,
            "writer": scope_for(request.user).covers(org.path, Action.WRITE),
            "trainings": Training.objects.filter(
                organization__path__startswith=org.path, starts_on__year=year
            ).order_by("starts_on"),
        },
        status=400 if errors else 200,
    )
