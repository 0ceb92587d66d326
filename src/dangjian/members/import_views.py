"""Roster import pages: upload, preview with progress, confirm, error download, template."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from dangjian.accounts.access import Action, get_org_for_user, scope_for, visible_orgs
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.members import import_services
from dangjian.members.models import ImportJob, ImportMode
from dangjian.members.roster.layout import template_bytes
from dangjian.orgs.models import OrgKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(forms.Form):
    file = forms.FileField(
        label="花名册文件", help_text="支持 .xlsx、.xls、.csv（UTF-8 或 GBK 编码）"
    )
    organization = forms.ChoiceField(label="导入到")
    mode = forms.ChoiceField(
        label="导入方式",
        choices=ImportMode.choices,
        initial=ImportMode.STRICT,
        widget=forms.RadioSelect,
    )
    sheet = forms.CharField(
        label="工作表", required=False, help_text="留空则自动选择含表头的第一个工作表"
    )

    def __init__(self, *args, org_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = org_choices


def _require_writer(user) -> None:
    if not scope_for(user).paths.get(Action.WRITE):
        raise PermissionDenied("您没有导入花名册的权限")


def _get_job(user, pk: int) -> ImportJob:
    """A job is visible to whoever may write into its organization (404 otherwise)."""
    job = ImportJob.objects.select_related("organization").filter(pk=pk).first()
    if job is None or not scope_for(user).covers(job.organization.path, Action.WRITE):
        raise Http404("导入任务不存在")
    return job


@login_required
def upload(request):
    _require_writer(request.user)
    targets = (
        visible_orgs(request.user, Action.WRITE)
        .exclude(kind__in=[OrgKind.PARTY_GROUP, OrgKind.ORGAN_DISCIPLINE_COMMITTEE])
        .order_by("path")
    )
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        org_choices=[(o.code, f"{'　' * (o.depth - 1)}{o.name}") for o in targets],
    )
    if request.method == "POST" and form.is_valid():
        org = get_org_for_user(
            request.user, form.cleaned_data["organization"], Action.WRITE, field_name="code"
        )
        try:
            job = import_services.start_import(
                Actor.from_request(request),
                org,
                form.cleaned_data["file"],
                mode=form.cleaned_data["mode"],
                sheet=form.cleaned_data["sheet"],
            )
        except ServiceValidationError as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            return redirect("members:import_job", pk=job.pk)
    jobs = ImportJob.objects.filter(created_by=request.user).order_by("-created_at")[:10]
    return render(request, "members/import_upload.html", {"form": form, "jobs": jobs})


# Who the import adds or updates, a page at a time (a province's roster has thousands of rows).
PEOPLE_PER_PAGE = 50


@login_required
def job_detail(request, pk: int):
    job = _get_job(request.user, pk)
    template = "members/_import_status.html" if request.htmx else "members/import_job.html"
    report = job.result or job.preview or {}
    people = Paginator(report.get("people", []), PEOPLE_PER_PAGE).get_page(
        request.GET.get("people")
    )
    return render(
        request,
        template,
        {"job": job, "has_errors_file": import_services.has_error_file(job), "people": people},
    )


@login_required
@require_POST
def job_confirm(request, pk: int):
    job = _get_job(request.user, pk)
    try:
        import_services.confirm_import(
            Actor.from_request(request), job, allow_moves=request.POST.get("allow_moves") == "1"
        )
    except ServiceValidationError as exc:
        messages.error(request, exc.errors["job"])
    return redirect("members:import_job", pk=job.pk)


@login_required
@require_POST
def job_cancel(request, pk: int):
    job = _get_job(request.user, pk)
    try:
        import_services.cancel_import(Actor.from_request(request), job)
    except ServiceValidationError as exc:
        messages.error(request, exc.errors["job"])
        return redirect("members:import_job", pk=job.pk)
    messages.info(request, "已取消导入，未写入任何数据")
    return redirect("members:import")


@login_required
def job_errors(request, pk: int):
    job = _get_job(request.user, pk)
    content = import_services.error_file(Actor.from_request(request), job)
    if content is None:
        raise Http404("没有错误行")
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        True, f"{Path(job.filename).stem}-错误行.xlsx"
    )
    return response


@login_required
def template_download(request):
    _require_writer(request.user)
    response = HttpResponse(template_bytes(), content_type=XLSX)
    response["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E8%8A%B1%E5%90%8D%E5%86%8C%E6%A8%A1%E6%9D%BF.xlsx"
    )
    return response
