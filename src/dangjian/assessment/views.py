"""Assessment pages: schemes (list, create, the scheme with its indicators and its targets by
grade), a target's explanation, the assessing committee's list ordered by score. Thin: access
through `assessment.queries`, writes through `assessment.services`."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.accounts.access import require_scope
from dangjian.assessment import evidence, imports, queries, scoring, services, services_results
from dangjian.assessment.models import (
    TARGET_POSTS,
    Appeal,
    Indicator,
    Part,
    SchemeStatus,
    SourceKind,
)
from dangjian.audit.services import Actor
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.core.indicators import catalogue
from dangjian.crypto import default_keyring
from dangjian.orgs.models import OrgKind
from dangjian.regulations.assessment import DEFAULT_VOTE_POINTS, VOTE_CHOICES

DEFAULT_GRADES = "好:90, 较好:80, 一般:60, 差:0"
LIVE_GRADES_LIMIT = 200


@login_required
@require_GET
def scheme_list(request):
    require_scope(request.user, message="您没有查看考核的权限")
    schemes = queries.visible_schemes(request.user).order_by("-year", "organization__path", "pk")
    return render(
        request,
        "assessment/list.html",
        {"schemes": schemes, "can_create": queries.managed_orgs(request.user).exists()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def scheme_create(request):
    orgs = list(queries.managed_orgs(request.user))
    if not orgs:
        raise PermissionDenied("只有考核单位（上级党组织）的党务工作人员可以制定考核方案")
    errors: dict[str, str] = {}
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        org = next((o for o in orgs if str(o.pk) == request.POST.get("organization")), None)
        if org is None:
            errors["organization"] = "请选择考核单位"
        else:
            try:
                year = int(request.POST.get("year") or 0)
            except ValueError:
                year = 0
            try:
                scheme = services.create_scheme(
                    Actor.from_request(request),
                    org,
                    year=year,
                    title=request.POST.get("title", ""),
                    target_kind=request.POST.get("target_kind", ""),
                    target_post=request.POST.get("target_post", ""),
                    party_weight=request.POST.get("party_weight", ""),
                    business_weight=request.POST.get("business_weight", ""),
                    grades=services.parse_grade_text(request.POST.get("grades", "")),
                    vote_points={
                        c: request.POST.get(f"vote_{c}") or DEFAULT_VOTE_POINTS[c]
                        for c in VOTE_CHOICES
                    },
                )
            except ServiceValidationError as exc:
                errors = exc.errors
            else:
                messages.success(request, "已新建考核方案（草稿），请添加指标后发布")
                return redirect("assessment:detail", pk=scheme.pk)
    context = {
        "orgs": orgs,
        "errors": errors,
        "data": data,
        "kinds": [(k.value, k.label) for k in OrgKind if k != OrgKind.WORKING_COMMITTEE],
        "posts": TARGET_POSTS,
        "year": today().year,
        "default_grades": DEFAULT_GRADES,
        "votes": [(c, p) for c, p in zip(VOTE_CHOICES, (100, 80, 60, 0), strict=True)],
    }
    return render(request, "assessment/new.html", context, status=400 if errors else 200)


def _by_grade(scheme, done) -> list[tuple[str, list]]:
    """Targets under each grade, in the tree's order (never by score)."""
    groups: dict[str, list] = defaultdict(list)
    for result in sorted(done, key=lambda r: r.target.organization.path):
        groups[result.grade].append(result)
    return [(name, groups.get(name, [])) for name in scheme.grade_names]


@login_required
@require_GET
def scheme_detail(request, pk: int):
    scheme = queries.get_scheme_for_user(request.user, pk)
    manage = services.can_manage(request.user, scheme.organization)
    targets = list(queries.visible_targets(request.user, scheme))
    # Before the freeze every grade is read live from the records: for a large scheme that is
    # the whole freeze's work on each request, so the page lists the targets instead.
    live_list = (
        scheme.status in (SchemeStatus.DRAFT, SchemeStatus.PUBLISHED)
        and len(targets) > LIVE_GRADES_LIMIT
    )
    done = scoring.results(scheme, targets, inputs=False) if targets and not live_list else []
    context = {
        "scheme": scheme,
        "items": scoring.tree(scheme),
        "manage": manage,
        "may_rank": queries.may_rank(request.user, scheme),
        "draft": scheme.status == SchemeStatus.DRAFT,
        "editable": scheme.status in (SchemeStatus.DRAFT, SchemeStatus.PUBLISHED),
        "problems": services.weight_errors(scheme) if scheme.status == SchemeStatus.DRAFT else [],
        "by_grade": _by_grade(scheme, done),
        "live_list": targets if live_list else [],
        "sources": catalogue(),
        "source_kinds": SourceKind.choices,
        "parts": Part.choices,
        "groups": [i for i in scheme.indicators.all() if i.source_kind == SourceKind.GROUP],
        "errors": {},
        "votes_indicators": [
            i for i in scheme.indicators.all() if i.source_kind == SourceKind.VOTES
        ],
        "sittings": scheme.sittings.annotate(voted=Count("voters")).order_by("-pk")[:10]
        if manage
        else [],
    }
    return render(request, "assessment/detail.html", context)


def _managed_scheme(request, pk: int):
    scheme = queries.get_scheme_for_user(request.user, pk)
    if not services.can_manage(request.user, scheme.organization):
        raise PermissionDenied("只有考核单位的党务工作人员可以管理考核方案")
    return scheme


def _flash(request, exc: ServiceValidationError) -> None:
    for message in exc.errors.values():
        messages.error(request, message)


def _attempt(request, done: str, write, *args, **kwargs) -> None:
    """Run one service write: its Chinese errors, or `done`, become the page's messages."""
    try:
        write(*args, **kwargs)
    except ServiceValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, done)


@login_required
@require_POST
def indicator_add(request, pk: int):
    scheme = _managed_scheme(request, pk)
    parent = None
    if request.POST.get("parent"):
        parent = Indicator.objects.filter(scheme=scheme, pk=request.POST["parent"]).first()
        if parent is None:
            raise Http404("上级指标不存在")
    _attempt(
        request,
        "已添加指标",
        services.add_indicator,
        Actor.from_request(request),
        scheme,
        title=request.POST.get("title", ""),
        part=request.POST.get("part", ""),
        weight=request.POST.get("weight", ""),
        source_kind=request.POST.get("source_kind", ""),
        source_key=request.POST.get("source_key", ""),
        description=request.POST.get("description", ""),
        max_score=request.POST.get("max_score") or "100",
        parent=parent,
    )
    return redirect("assessment:detail", pk=scheme.pk)


@login_required
@require_POST
def scheme_step(request, pk: int, step: str):
    scheme = _managed_scheme(request, pk)
    actor = Actor.from_request(request)
    steps = {
        "publish": (services.publish, "已发布考核方案，考核对象可以看到指标和当前数值"),
        "freeze": (services.freeze, "已冻结计算指标的数值和依据记录"),
        "results": (services_results.publish_results, "已公布考核结果，申诉期开始"),
        "finalize": (services_results.finalize, "考核结果已定档"),
    }
    if step not in steps:
        raise Http404("没有这个操作")
    action, done = steps[step]
    _attempt(request, done, action, actor, scheme)
    return redirect("assessment:detail", pk=scheme.pk)


@login_required
@require_GET
def target_detail(request, pk: int):
    target = queries.get_target_for_user(request.user, pk)
    scheme = target.scheme
    result = scoring.results(scheme, [target])[0]
    manage = services.can_manage(request.user, scheme.organization)
    deadline = services_results.appeal_deadline(scheme)
    writes_self = scheme.status in (
        SchemeStatus.PUBLISHED,
        SchemeStatus.FROZEN,
    ) and services_results.may_appeal(request.user, target)
    return render(
        request,
        "assessment/target.html",
        {
            "scheme": scheme,
            "target": target,
            "result": result,
            "manage": manage and scheme.status in (SchemeStatus.PUBLISHED, SchemeStatus.FROZEN),
            "votes": VOTE_CHOICES,
            "today": today(),
            "appeals": list(target.appeals.order_by("pk")),
            "deadline": deadline,
            "may_appeal": (
                deadline is not None
                and today() <= deadline
                and scheme.status == SchemeStatus.FROZEN
                and services_results.may_appeal(request.user, target)
            ),
            "decides": manage and scheme.status == SchemeStatus.FROZEN,
            "writes_self": writes_self,
            "self_evidence": evidence.linked(target),
            "evidence_choices": evidence.choices(target) if writes_self else [],
        },
    )


@login_required
@require_POST
def target_score(request, pk: int):
    """The assessing group's entries on a target: a manual score, a tally, a veto."""
    target = queries.get_target_for_user(request.user, pk)
    if not services.can_manage(request.user, target.scheme.organization):
        raise PermissionDenied("只有考核单位的党务工作人员可以评分")
    actor = Actor.from_request(request)
    kind = request.POST.get("kind")
    indicator = None
    if kind in ("manual", "votes"):
        indicator = Indicator.objects.filter(
            scheme=target.scheme_id, pk=request.POST.get("indicator") or 0
        ).first()
        if indicator is None:
            raise Http404("指标不存在")
    try:
        if kind == "manual" and indicator is not None:
            services.score_manual(
                actor,
                target,
                indicator,
                score=request.POST.get("score", ""),
                comment=request.POST.get("comment", ""),
                evidence=request.POST.get("evidence", ""),
            )
        elif kind == "votes" and indicator is not None:
            try:
                held_on = dt.date.fromisoformat(request.POST.get("held_on", ""))
            except ValueError:
                raise ServiceValidationError({"held_on": "请填写评议日期"}) from None
            services.record_tally(
                actor,
                target,
                indicator,
                attendees=request.POST.get("attendees", ""),
                counts={c: request.POST.get(f"vote_{c}", "") for c in VOTE_CHOICES},
                held_on=held_on,
            )
        elif kind == "veto":
            services.record_veto(
                actor,
                target,
                cap=request.POST.get("cap", ""),
                reason=request.POST.get("reason", ""),
            )
        else:
            raise Http404("没有这个操作")
    except ServiceValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, "已保存")
    return redirect(reverse("assessment:target", args=[target.pk]))


@login_required
@require_GET
def ranking(request, pk: int):
    """Targets ordered by score: the assessing committee's working list, never published."""
    scheme = queries.get_scheme_for_user(request.user, pk)
    if scheme.of_people:
        raise PermissionDenied("述职评议只评定等次，不按得分排序")
    if not queries.may_rank(request.user, scheme):
        raise PermissionDenied("按得分排序的名单只供考核单位的考核工作人员使用")
    targets = list(queries.visible_targets(request.user, scheme))
    done = sorted(
        scoring.results(scheme, targets, inputs=False),
        key=lambda r: (-r.score, r.target.organization.path),
    )
    return render(request, "assessment/ranking.html", {"scheme": scheme, "results": done})


IMPORT_SESSION = "assessment_import"


@login_required
@require_http_methods(["GET", "POST"])
def business_import(request, pk: int):
    """Upload the business-performance .xlsx and see every row checked (nothing written yet);
    the checked rows wait in the session, encrypted, for the confirmation."""
    scheme = _managed_scheme(request, pk)
    context: dict[str, object] = {"scheme": scheme, "errors": {}}
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ServiceValidationError({"file": "请选择业务绩效表（.xlsx）"})
            found = imports.preview(scheme, upload.read(), upload.name or "")
        except ServiceValidationError as exc:
            context["errors"] = exc.errors
            return render(request, "assessment/import.html", context, status=400)
        keep = {"scheme": scheme.pk, "name": found.filename, "rows": found.payload()}
        request.session[IMPORT_SESSION] = default_keyring().encrypt(json.dumps(keep))
        context["preview"] = found
    return render(request, "assessment/import.html", context)


@login_required
@require_POST
def business_import_confirm(request, pk: int):
    scheme = _managed_scheme(request, pk)
    sealed = request.session.get(IMPORT_SESSION)
    kept = json.loads(default_keyring().decrypt(sealed)) if sealed else None
    if not kept or kept["scheme"] != scheme.pk:
        messages.error(request, "没有待确认的导入，请重新上传")
        return redirect("assessment:import", pk=scheme.pk)
    try:
        count = imports.apply(Actor.from_request(request), scheme, kept["rows"], kept["name"])
    except ServiceValidationError as exc:
        _flash(request, exc)
        return redirect("assessment:import", pk=scheme.pk)
    del request.session[IMPORT_SESSION]
    messages.success(request, f"已导入业务绩效{count}项")
    return redirect("assessment:detail", pk=scheme.pk)


@login_required
@require_POST
def appeal_file(request, pk: int):
    target = queries.get_target_for_user(request.user, pk)
    _attempt(
        request,
        "已提交申诉，等待考核单位处理",
        services_results.file_appeal,
        Actor.from_request(request),
        target,
        reason=request.POST.get("reason", ""),
    )
    return redirect("assessment:target", pk=target.pk)


@login_required
@require_POST
def appeal_decide(request, pk: int):
    try:
        appeal = Appeal.objects.select_related("target").get(pk=pk)
    except (Appeal.DoesNotExist, ValueError):
        raise Http404("申诉不存在") from None
    target = queries.get_target_for_user(request.user, appeal.target_id)
    _attempt(
        request,
        "已处理申诉",
        services_results.decide_appeal,
        Actor.from_request(request),
        appeal,
        upheld=request.POST.get("upheld") == "1",
        decision=request.POST.get("decision", ""),
    )
    return redirect("assessment:target", pk=target.pk)


@login_required
@require_GET
def target_report(request, pk: int):
    """The explanation as .docx; audited as an export (by the service)."""
    from django.http import HttpResponse

    target = queries.get_target_for_user(request.user, pk)
    body = services_results.export_explanation(Actor.from_request(request), target)
    response = HttpResponse(
        body,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f'attachment; filename="assessment-{target.pk}.docx"'
    return response


@login_required
@require_POST
def self_assessment(request, pk: int):
    target = queries.get_target_for_user(request.user, pk)
    _attempt(
        request,
        "已保存自评",
        services_results.write_self_assessment,
        Actor.from_request(request),
        target,
        text=request.POST.get("self_assessment", ""),
    )
    return redirect("assessment:target", pk=target.pk)


@login_required
@require_POST
def indicator_remove(request, pk: int):
    try:
        indicator = Indicator.objects.select_related("scheme").get(pk=pk)
    except (Indicator.DoesNotExist, ValueError):
        raise Http404("指标不存在") from None
    scheme = _managed_scheme(request, indicator.scheme_id)
    _attempt(
        request, "已删除指标", services.remove_indicator, Actor.from_request(request), indicator
    )
    return redirect("assessment:detail", pk=scheme.pk)
