"""Member development pages: a branch's pipeline, a person's timeline (and the next step's
form), the 机关党委's pending approvals, opening a file. Thin: reads through `queries`, writes
through `services`; every page reads inside the user's scope."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.accounts.access import Action, get_org_for_user, require_scope, scope_for
from dangjian.audit.services import Actor
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.core.inputs import form_day
from dangjian.meetings.models import DECIDING_KINDS, Meeting, MeetingStatus, Vote
from dangjian.members.access import visible_members
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.recruitment import queries, services
from dangjian.regulations.recruitment import STAGES, STEPS

STAGE_LABELS = dict(STAGES)


def _int(raw: str | None, field: str, errors: dict[str, str]) -> int | None:
    if not raw:
        return None
    if not raw.isdigit():
        errors[field] = "请填写整数"
        return None
    return int(raw)


def _org(request) -> Organization:
    require_scope(request.user, Action.READ, "您没有查看发展党员工作的权限")
    raw = request.GET.get("org")
    if raw:
        return get_org_for_user(request.user, raw)
    first = scope_for(request.user).paths[Action.READ][0]
    return Organization.objects.get(path=first)


@login_required
@require_GET
def pipeline(request):
    """A branch's (or a level's) pipeline: how many at each stage, and what each file waits for."""
    org = _org(request)
    now = today()
    files = queries.files_for(request.user).filter(
        organization__path__startswith=org.path, closed_on__isnull=True
    )
    rows = []
    listed = files.select_related("organization", "member").prefetch_related("steps")
    for applicant in listed.order_by("pk")[:200]:
        line = queries.timeline(applicant, now)
        nxt = line[applicant.next_step - 1] if applicant.next_step <= len(line) else None
        rows.append((applicant, nxt))
    counts = queries.pipeline(org)
    return render(
        request,
        "recruitment/pipeline.html",
        {
            "org": org,
            "stages": [(code, label, counts[code]) for code, label in STAGES],
            "rows": rows,
            "month_end": now.replace(day=28) + dt.timedelta(days=4),
            # Links to acting pages only for those who may act (issue 18).
            "can_write": scope_for(request.user).covers(org.path, Action.WRITE),
            "may_approve": bool(scope_for(request.user).paths.get(Action.WRITE)),
        },
    )


@login_required
@require_GET
def pending(request):
    require_scope(request.user, Action.WRITE, "您没有办理发展党员审批的权限")
    now = today()
    rows = [
        (a, queries.timeline(a, now)[a.next_step - 1])
        for a in queries.pending_approvals(request.user)
        .select_related("member")
        .prefetch_related("steps")[:200]
    ]
    return render(request, "recruitment/pending.html", {"rows": rows})


def _step_context(applicant) -> dict:
    branch = applicant.organization
    # A step cites the 支委会 or 党员大会 held on its day (recruitment.services._check_meeting):
    # offer every such meeting since the application, so a step recorded after the fact can cite
    # one from a year ago (the latest 30 of every kind did not reach that far).
    since = applicant.steps.order_by("done_on").values_list("done_on", flat=True).first()
    meetings = Meeting.objects.filter(
        organization=branch, status=MeetingStatus.HELD, kind__in=DECIDING_KINDS
    )
    votes = Vote.objects.filter(meeting__organization=branch)
    if since is not None:
        meetings = meetings.filter(held_on__gte=since)
        votes = votes.filter(meeting__held_on__gte=since)
    return {
        "meetings": meetings.order_by("-held_on")[:200],
        "votes": votes.select_related("meeting").order_by("-meeting__held_on")[:200],
        "people": Member.objects.filter(organization=branch, left_on__isnull=True, status="full")
        .order_by("name_pinyin")[:100],
    }  # fmt: skip


@login_required
@require_GET
def file_detail(request, pk: int):
    applicant = queries.get_file_for_user(request.user, pk)
    return render(request, "recruitment/file.html", _file_context(request.user, applicant))


def _file_context(user, applicant) -> dict:
    can_write = scope_for(user).covers(applicant.organization.path, Action.WRITE)
    context = {
        "applicant": applicant,
        "stage_label": STAGE_LABELS[applicant.stage],
        "rows": queries.timeline(applicant, today()),
        "can_write": can_write and applicant.closed_on is None,
        "next": STEPS[applicant.next_step - 1] if applicant.next_step <= len(STEPS) else None,
    }
    if context["can_write"]:
        context.update(_step_context(applicant))
    context.update(_extension_context(user, applicant, can_write))
    return context


def _extension_context(user, applicant, can_write: bool) -> dict:
    """延长预备期 on the file page: the decision (if any), and the form of the next act."""
    from dangjian.recruitment.models import ProbationExtension

    extension = ProbationExtension.objects.filter(applicant=applicant).first()
    member = applicant.member
    may_propose = (
        can_write
        and extension is None
        and member is not None
        and member.status == "probationary"
        and applicant.next_step <= 23
    )
    return {
        "extension": extension,
        "may_propose": may_propose,
        "may_approve_extension": can_write
        and extension is not None
        and extension.approved_on is None
        and services.is_committee_above(user, applicant.organization),
        "extension_votes": _step_context(applicant)["votes"] if may_propose else [],
        "today": today(),
    }


@login_required
@require_POST
def propose_extension(request, pk: int):
    """The branch records its 支部党员大会's decision to extend probation (待上级党委审批)."""
    applicant = queries.get_file_for_user(request.user, pk, Action.WRITE)
    errors: dict[str, str] = {}
    post = request.POST
    day = form_day(post.get("decided_on"), "decided_on", errors)
    months = _int(post.get("months"), "months", errors)
    vote_id = _int(post.get("vote"), "vote", errors)
    try:
        if errors or day is None or months is None:
            errors.setdefault("decided_on", "请填写支部大会决定日期")
            errors.setdefault("months", "请选择延长月数")
            raise ServiceValidationError(errors)
        vote = (
            Vote.objects.filter(pk=vote_id, meeting__organization=applicant.organization).first()
            if vote_id
            else None
        )
        services.propose_extension(
            Actor.from_request(request), applicant, months, day, vote, post.get("reason", "")
        )
        messages.success(request, "已记录支部大会延长预备期的决定，待上级党委审批")
    except ServiceValidationError as exc:
        for message in exc.errors.values():
            messages.error(request, message)
        # The form again with what was typed (the reason may be a paragraph), not emptied.
        context = _file_context(request.user, applicant)
        context["ext_posted"] = post
        return render(request, "recruitment/file.html", context, status=400)
    return redirect("recruitment:file", pk=applicant.pk)


@login_required
@require_POST
def approve_extension(request, pk: int):
    """The 基层党委 above approves the extension: the probation's end moves."""
    from django.core.exceptions import PermissionDenied

    from dangjian.recruitment.models import ProbationExtension

    applicant = queries.get_file_for_user(request.user, pk, Action.WRITE)
    if not services.is_committee_above(request.user, applicant.organization):
        raise PermissionDenied("延长预备期由上级党委审批")
    extension = ProbationExtension.objects.filter(applicant=applicant).first()
    errors: dict[str, str] = {}
    day = form_day(request.POST.get("approved_on"), "approved_on", errors)
    try:
        if extension is None:
            raise ServiceValidationError({"extension": "没有待审批的延长预备期决定"})
        if day is None:
            errors.setdefault("approved_on", "请填写审批日期")
            raise ServiceValidationError(errors)
        services.approve_extension(Actor.from_request(request), extension, day)
        messages.success(request, "已批准延长预备期")
    except ServiceValidationError as exc:
        for message in exc.errors.values():
            messages.error(request, message)
    return redirect("recruitment:file", pk=applicant.pk)


def _step_input(user, post, applicant, errors: dict[str, str]) -> services.StepInput | None:
    done_on = form_day(post.get("done_on"), "done_on", errors)
    branch = applicant.organization
    meeting_id = _int(post.get("meeting"), "meeting", errors)
    vote_id = _int(post.get("vote"), "vote", errors)
    people_ids = [int(p) for p in post.getlist("people") if p.isdigit()]
    data = services.StepInput(
        step=applicant.next_step,
        done_on=done_on or today(),
        decided_by=post.get("decided_by", ""),
        meeting=Meeting.objects.filter(pk=meeting_id, organization=branch).first()
        if meeting_id else None,
        vote=Vote.objects.filter(pk=vote_id, meeting__organization=branch).first()
        if vote_id else None,
        people=list(visible_members(user).filter(pk__in=people_ids).select_related("organization")),
        training_days=_int(post.get("training_days"), "training_days", errors),
        training_hours=_int(post.get("training_hours"), "training_hours", errors),
        publicity_from=form_day(post.get("publicity_from"), "publicity_from", errors),
        note=post.get("note", ""),
        warning_reason=post.get("warning_reason", ""),
    )  # fmt: skip
    if done_on is None and "done_on" not in errors:
        errors["done_on"] = "请填写日期"
    return None if errors else data


@login_required
@require_POST
def record_step(request, pk: int):
    applicant = queries.get_file_for_user(request.user, pk, Action.WRITE)
    errors: dict[str, str] = {}
    data = _step_input(request.user, request.POST, applicant, errors)
    try:
        if data is None:
            raise ServiceValidationError(errors)
        done = services.record_step(Actor.from_request(request), applicant, data)
    except ServiceValidationError as exc:
        # Shown again beside the form with what was typed: a redirect lost every field (a
        # secretary on a phone found an empty form at the foot of a long page).
        context = _file_context(request.user, applicant)
        context["step_errors"] = list(exc.errors.values())
        context["posted"] = request.POST
        context["posted_people"] = request.POST.getlist("people")
        return render(request, "recruitment/file.html", context, status=400)
    # Say which step was saved and on what day: "已记录" alone left a secretary unsure.
    messages.success(
        request,
        f"已记录第{done.step}步：{STEPS[done.step - 1].label}"
        f"（{done.done_on.year}年{done.done_on.month}月{done.done_on.day}日）",
    )
    return redirect("recruitment:file", pk=applicant.pk)


@login_required
@require_http_methods(["GET", "POST"])
def new_file(request):
    org = _org(request)
    branch = get_org_for_user(request.user, org.pk, Action.WRITE)
    errors: dict[str, str] = {}
    if request.method == "POST":
        received = form_day(request.POST.get("received_on"), "received_on", errors)
        leaves = form_day(request.POST.get("leaves_on"), "leaves_on", errors)
        try:
            if received is None:
                errors.setdefault("received_on", "请填写收到申请书的日期")
                raise ServiceValidationError(errors)
            applicant = services.open_file(
                Actor.from_request(request),
                branch,
                name=request.POST.get("name", ""),
                id_number=request.POST.get("id_number", ""),
                received_on=received,
                leaves_on=leaves,
            )
            messages.success(request, "已建立发展档案，请按步骤继续记录")
            return redirect("recruitment:file", pk=applicant.pk)
        except ServiceValidationError as exc:
            errors = exc.errors
    return render(request, "recruitment/new.html", {"org": branch, "errors": errors})


@login_required
@require_GET
def document(request, pk: int, form: str):
    """A kept form as .docx; reading one with the person's data is audited as an export."""
    from django.http import Http404, HttpResponse

    from dangjian.audit.models import AuditAction
    from dangjian.audit.services import record
    from dangjian.recruitment import documents

    applicant = queries.get_file_for_user(request.user, pk, Action.EXPORT)
    if form not in documents.FORMS:
        raise Http404("表单不存在")
    body = documents.render(applicant, form)
    record(Actor.from_request(request), AuditAction.EXPORT, applicant,
           message=f"生成{documents.FORMS[form]}")  # fmt: skip
    response = HttpResponse(
        body,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="recruitment-{applicant.pk}-{form}.docx"'
    )
    return response
