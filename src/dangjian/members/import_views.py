"""Roster import pages: upload, preview with progress, confirm, error download, template."""

from __future__ import annotations

import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dangjian.accounts.access import Action, get_org_for_user, scope_for, visible_orgs
from dangjian.members.models import ImportJob, ImportMode, ImportStatus
from dangjian.members.roster.jobs import errors_path, upload_path
from dangjian.members.roster.layout import template_bytes
from dangjian.members.tasks import apply_roster, preview_roster
from dangjian.orgs.models import OrgKind

ALLOWED_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".csv", ".txt"}
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
        upload_file = form.cleaned_data["file"]
        suffix = Path(upload_file.name).suffix.lower()
        org = get_org_for_user(
            request.user, form.cleaned_data["organization"], Action.WRITE, field_name="code"
        )
        if suffix not in ALLOWED_SUFFIXES:
            form.add_error("file", "请上传 .xlsx、.xls 或 .csv 文件")
        elif upload_file.size == 0:
            form.add_error("file", "文件为空")
        elif upload_file.size > settings.IMPORT_MAX_MB * 1024 * 1024:
            form.add_error(
                "file",
                f"文件过大（{upload_file.size / 1048576:.1f} MB），上限为 {settings.IMPORT_MAX_MB} MB",
            )
        else:
            stored = f"{uuid.uuid4().hex}{suffix}"
            directory = Path(settings.IMPORT_DIR)
            directory.mkdir(parents=True, exist_ok=True)
            with open(directory / stored, "wb") as out:
                for part in upload_file.chunks():
                    out.write(part)
            job = ImportJob.objects.create(
                created_by=request.user,
                organization=org,
                filename=Path(upload_file.name).name[:255],
                stored_name=stored,
                mode=form.cleaned_data["mode"],
                sheet=form.cleaned_data["sheet"].strip(),
            )
            transaction.on_commit(lambda: preview_roster.enqueue(job.pk))
            return redirect("members:import_job", pk=job.pk)
    jobs = ImportJob.objects.filter(created_by=request.user).order_by("-created_at")[:10]
    return render(request, "members/import_upload.html", {"form": form, "jobs": jobs})


@login_required
def job_detail(request, pk: int):
    job = _get_job(request.user, pk)
    template = "members/_import_status.html" if request.htmx else "members/import_job.html"
    return render(request, template, {"job": job, "has_errors_file": errors_path(job).exists()})


@login_required
@require_POST
def job_confirm(request, pk: int):
    job = _get_job(request.user, pk)
    if job.status != ImportStatus.PREVIEWED:
        messages.error(request, "该导入任务当前不能确认")
        return redirect("members:import_job", pk=job.pk)
    preview = job.preview or {}
    has_moves = bool(preview.get("moves"))
    allow_moves = has_moves and request.POST.get("allow_moves") == "1"
    if job.mode == ImportMode.STRICT and (
        preview.get("rejected") or (has_moves and not allow_moves)
    ):
        messages.error(
            request,
            "严格模式下存在错误行或未确认的调动，不能导入；请修正后重新上传，或改用部分导入",
        )
        return redirect("members:import_job", pk=job.pk)
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEWED).update(
        status=ImportStatus.IMPORTING, allow_moves=allow_moves, progress_done=0
    )
    if updated:  # a double click confirms once
        transaction.on_commit(lambda: apply_roster.enqueue(job.pk))
    return redirect("members:import_job", pk=job.pk)


@login_required
@require_POST
def job_cancel(request, pk: int):
    job = _get_job(request.user, pk)
    if ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEWED).update(
        status=ImportStatus.CANCELLED
    ):
        upload_path(job).unlink(missing_ok=True)
        messages.info(request, "已取消导入，未写入任何数据")
    return redirect("members:import")


@login_required
def job_errors(request, pk: int):
    job = _get_job(request.user, pk)
    path = errors_path(job)
    if not path.exists():
        raise Http404("没有错误行")
    name = f"{Path(job.filename).stem}-错误行.xlsx"
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name, content_type=XLSX)  # noqa: SIM115


@login_required
def template_download(request):
    _require_writer(request.user)
    response = HttpResponse(template_bytes(), content_type=XLSX)
    response["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E8%8A%B1%E5%90%8D%E5%86%8C%E6%A8%A1%E6%9D%BF.xlsx"
    )
    return response
