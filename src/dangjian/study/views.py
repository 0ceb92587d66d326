"""Library pages: thin; every object fetched for this user through `study.queries`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from dangjian.accounts.access import Action, get_org_for_user
from dangjian.audit.services import Actor
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.study import files, queries, services
from dangjian.study.forms import (
    MaterialEditForm,
    MaterialForm,
    MeetingMaterialsForm,
    SearchForm,
    TopicForm,
    add_service_errors,
)
from dangjian.study.models import DEFAULT_CATEGORIES, Material, MaterialFormat, StudyTopic

CHOICE_LIMIT = 100


def _org_from_query(request, action: Action = Action.READ):
    code = (request.GET.get("org") or request.POST.get("org") or "").strip().upper()
    if not code:
        raise Http404("请指定组织")
    return get_org_for_user(request.user, code, action, field_name="code")


def _filter_from(request, form: SearchForm) -> queries.MaterialFilter:
    data = form.cleaned_data if form.is_valid() else {}
    org = None
    code = (data.get("org") or "").strip().upper()
    if code:
        org = queries.publishers(request.user).filter(code=code).first()
        if org is None:
            raise Http404("组织不存在")
    return queries.MaterialFilter(
        q=data.get("q") or "",
        category=data.get("category") or "",
        format=data.get("format") or "",
        org=org,
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )


@login_required
@require_GET
def library(request):
    queries.require_reader(request.user)
    form = SearchForm(request.GET or None)
    flt = _filter_from(request, form)
    page_number = (form.cleaned_data.get("page") if form.is_valid() else None) or 1
    result = queries.search_materials(request.user, flt, page_number)
    params = request.GET.copy()
    params.pop("page", None)
    month = today().replace(day=1)
    return render(
        request,
        "study/library.html",
        {
            "form": form,
            "flt": flt,
            "result": result,
            "query_string": params.urlencode(),
            "categories": queries.categories(request.user),
            "publishers": list(queries.publishers(request.user)[:200]),
            "formats": MaterialFormat.choices,
            "publish_orgs": list(queries.publishing_orgs(request.user)[:20]),
            "topics": queries.current_topics(request.user, month),
            "month": month,
        },
    )


@login_required
def material_create(request):
    org = _org_from_query(request, Action.WRITE)
    form = MaterialForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = request.FILES.get("file")
        data = {k: form.cleaned_data.get(k) for k in ("title", "author", "category", "abstract")}
        try:
            if upload is None:
                raise ServiceValidationError({"file": "请选择要上传的文件"})
            material = services.publish(
                Actor.from_request(request), org, upload, upload.name, data, size=upload.size
            )
        except ServiceValidationError as exc:
            add_service_errors(form, exc.errors)
        else:
            note = services.scan_note(material)
            messages.success(request, f"已发布《{material.title}》{note}")
            return redirect("study:material_detail", pk=material.pk)
    return render(
        request,
        "study/material_form.html",
        {
            "form": form,
            "org": org,
            "max_mb": files.max_bytes() // 1024 // 1024,
            "category_choices": _category_choices(request.user),
        },
    )


def _category_choices(user) -> list[str]:
    return sorted(set(DEFAULT_CATEGORIES) | set(queries.categories(user)))


@login_required
@require_GET
def material_detail(request, pk: int):
    material = queries.get_material_for_user(request.user, pk)
    services.record_open(material)
    material.open_count += 1
    text = getattr(material, "text", None)
    return render(
        request,
        "study/material_detail.html",
        {
            "material": material,
            "preview": text.preview if text is not None else [],
            "related": queries.related(request.user, material),
            "can_edit": queries.can_edit(request.user, material),
            "meetings": list(queries.meetings_studying(request.user, material)[:20]),
            "topics": list(
                material.topics.filter(organization__in=queries.topic_orgs(request.user))
                .select_related("organization")
                .order_by("-month")[:20]
            ),
        },
    )


@login_required
def material_edit(request, pk: int):
    material = queries.get_material_for_user(request.user, pk, Action.WRITE)
    initial = {k: getattr(material, k) for k in ("title", "author", "category", "abstract")}
    form = MaterialEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_material(Actor.from_request(request), material, form.cleaned_data)
        except ServiceValidationError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, "已保存")
            return redirect("study:material_detail", pk=material.pk)
    return render(
        request,
        "study/material_edit.html",
        {"form": form, "material": material, "category_choices": _category_choices(request.user)},
    )


@login_required
@require_POST
def material_delete(request, pk: int):
    material = queries.get_material_for_user(request.user, pk, Action.WRITE)
    try:
        services.withdraw(Actor.from_request(request), material)
    except ServiceValidationError as exc:
        messages.error(request, "；".join(exc.errors.values()))
        return redirect("study:material_detail", pk=material.pk)
    messages.success(request, f"已撤回《{material.title}》")
    return redirect("study:library")


@login_required
@require_GET
def material_download(request, pk: int):
    """The file, after the access check; never from a public URL, and never recorded by whom."""
    material = queries.get_material_for_user(request.user, pk)
    return files.response(material.file.name, material.content_type, material.original_name)


# ---- monthly topics ------------------------------------------------------------------------


@login_required
@require_GET
def topics(request):
    queries.require_reader(request.user)
    code = request.GET.get("org")
    org = queries.get_reachable_org(request.user, code) if code else None
    year = today().year
    raw = (request.GET.get("year") or "").strip()
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        year = int(raw)
    writable = [
        o
        for o in queries.publishing_orgs(request.user).filter(kind__in=queries.TOPIC_ORG_KINDS)[:50]
    ]
    return render(
        request,
        "study/topics.html",
        {
            "org": org,
            "year": year,
            "topics": list(queries.topics_for(request.user, org, year)),
            "writable": writable,
        },
    )


def _recent_choices(qs, selected: list[Material]) -> list[tuple[int, str]]:
    recent = list(qs.order_by("-published_on", "-pk")[:CHOICE_LIMIT])
    seen = {m.pk for m in recent}
    chosen = [m for m in selected if m.pk not in seen]
    return [(m.pk, f"{m.title}（{m.organization.name}）") for m in chosen + recent]


@login_required
def topic_save(request):
    org = _org_from_query(request, Action.WRITE)
    month_raw = (request.POST.get("month") or request.GET.get("month") or "").strip()
    errors: dict[str, str] = {}
    month = services.parse_month(month_raw or today().strftime("%Y-%m"), errors)
    existing = StudyTopic.objects.filter(organization=org, month=month).first() if month else None
    selected = list(existing.materials.select_related("organization")) if existing else []
    choices = _recent_choices(
        queries.materials_for_org(org).select_related("organization"), selected
    )
    initial = {
        "month": (month or today()).strftime("%Y-%m"),
        "title": existing.title if existing else "",
        "note": existing.note if existing else "",
        "materials": [m.pk for m in selected],
    }
    form = TopicForm(request.POST or None, initial=initial, material_choices=choices)
    if request.method == "POST" and form.is_valid():
        try:
            topic, created = services.save_topic(
                Actor.from_request(request), org, form.cleaned_data
            )
        except ServiceValidationError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, f"已{'安排' if created else '更新'}{topic}")
            return redirect(f"{_topics_url()}?org={org.code}&year={topic.month.year}")
    return render(
        request, "study/topic_form.html", {"form": form, "org": org, "existing": existing}
    )


def _topics_url() -> str:
    from django.urls import reverse

    return reverse("study:topics")


@login_required
@require_POST
def topic_delete(request, pk: int):
    topic = queries.get_topic_for_user(request.user, pk, Action.WRITE)
    services.delete_topic(Actor.from_request(request), topic)
    messages.success(request, f"已删除{topic}")
    return redirect(f"{_topics_url()}?org={topic.organization.code}")


# ---- a meeting's materials -----------------------------------------------------------------


@login_required
def meeting_materials(request, meeting_id: int):
    action = Action.WRITE if request.method == "POST" else Action.READ
    meeting = queries.get_meeting_for_user(request.user, meeting_id, action)
    linked = list(queries.meeting_materials(meeting))
    may_edit = queries.can_write_into(request.user, meeting.organization)
    form = None
    if may_edit:
        choices = _recent_choices(
            queries.materials_for_org(meeting.organization).select_related("organization"),
            linked,
        )
        form = MeetingMaterialsForm(
            request.POST or None,
            initial={"materials": [m.pk for m in linked]},
            material_choices=choices,
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.set_meeting_materials(
                    Actor.from_request(request), meeting, form.cleaned_data["materials"]
                )
            except ServiceValidationError as exc:
                add_service_errors(form, exc.errors)
            else:
                messages.success(request, "已保存会议学习资料")
                return redirect("study:meeting_materials", meeting_id=meeting.pk)
    return render(
        request,
        "study/meeting_materials.html",
        {"meeting": meeting, "linked": linked, "form": form},
    )
