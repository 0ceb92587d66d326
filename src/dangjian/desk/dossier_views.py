"""The dossier pages: ask for one (one click: organization and year, or a date range), watch its
progress, download it, verify it against today's records. Every dossier is looked up for the user:
404 outside their read scope; asking and downloading need the export right there."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from dangjian.accounts.access import Action, get_org_for_user, scope_for
from dangjian.audit.services import Actor
from dangjian.core import clock
from dangjian.core.dossier import sections
from dangjian.core.errors import ServiceValidationError
from dangjian.desk import dossiers, manifests
from dangjian.desk.models import Dossier, DossierStatus
from dangjian.orgs.models import Organization

ORG_CHOICES = 300
PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _file_name(dossier: Dossier) -> str:
    org = dossier.organization
    return f"dossier-{org.code}-{dossier.starts_on:%Y%m%d}-{dossier.ends_on:%Y%m%d}"


def _require_reader(user) -> None:
    if not scope_for(user).paths.get(Action.READ):
        raise PermissionDenied("您没有查看台账的权限")


def _get(user, pk: int, action: Action = Action.READ) -> Dossier:
    _require_reader(user)
    dossier = Dossier.objects.select_related("organization").filter(pk=pk).first()
    scope = scope_for(user)
    if dossier is None or not scope.covers(dossier.organization.path, Action.READ):
        raise Http404("台账不存在")
    if not scope.covers(dossier.organization.path, action):
        raise PermissionDenied("您没有导出台账的权限")
    return dossier


def _period(request, today: dt.date) -> tuple[dt.date, dt.date]:
    try:
        if request.POST.get("starts_on") and request.POST.get("ends_on"):
            return (
                dt.date.fromisoformat(request.POST["starts_on"]),
                dt.date.fromisoformat(request.POST["ends_on"]),
            )
        year = int(request.POST.get("year") or today.year)
    except ValueError:
        raise ServiceValidationError({"year": "请填写正确的年度或日期"}) from None
    if not 2000 <= year <= today.year:
        raise ServiceValidationError({"year": "请填写正确的年度"})
    return dt.date(year, 1, 1), min(dt.date(year, 12, 31), today)


@login_required
@require_http_methods(["GET", "POST"])
def dossier_list(request):
    _require_reader(request.user)
    scope = scope_for(request.user)
    today = clock.today()
    if request.method == "POST":
        code = (request.POST.get("org") or "").strip()
        org = get_org_for_user(request.user, code, Action.EXPORT, field_name="code")
        try:
            start, end = _period(request, today)
            dossiers.request_dossier(Actor.from_request(request), org, start, end)
        except ServiceValidationError as exc:
            messages.error(request, "；".join(str(v) for v in exc.errors.values()))
        else:
            messages.success(request, f"已开始生成「{org.name}」的台账")
        return redirect("desk:dossiers")
    visible = Dossier.objects.filter(scope.org_q(prefix="organization__")).select_related(
        "organization"
    )[:50]
    orgs = Organization.objects.filter(scope.org_q(Action.EXPORT)).order_by("path")[:ORG_CHOICES]
    return render(
        request,
        "desk/dossiers.html",
        {
            "dossiers": visible,
            "orgs": orgs,
            "years": list(range(today.year, today.year - 4, -1)),
            "section_titles": [s.title for s in sections()],
        },
    )


@login_required
@require_GET
def dossier_status(request, pk: int):
    dossier = _get(request.user, pk)
    return render(request, "desk/_dossier_row.html", {"d": dossier})


@login_required
@require_GET
def dossier_download(request, pk: int):
    dossier = _get(request.user, pk, Action.EXPORT)
    if dossier.status != DossierStatus.READY:
        raise Http404("台账尚未生成或已清理")
    data = dossiers.open_dossier(Actor.from_request(request), dossier)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(dossier)}.zip"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _document(request, pk: int, opener, content_type: str, extension: str):
    dossier = _get(request.user, pk, Action.EXPORT)
    if dossier.status != DossierStatus.READY:
        raise Http404("台账尚未生成或已清理")
    try:
        data = opener(Actor.from_request(request), dossier)
    except ServiceValidationError as exc:
        messages.error(request, "；".join(str(v) for v in exc.errors.values()))
        return redirect("desk:dossiers")
    response = HttpResponse(data, content_type=content_type)
    name = f"{_file_name(dossier)}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def dossier_document(request, pk: int):
    """The whole 台账 as one .docx (cover, contents, every section): an audited export."""
    return _document(request, pk, dossiers.open_document, DOCX_TYPE, "docx")


@login_required
@require_GET
def dossier_pdf(request, pk: int):
    """The same .docx as PDF, when LibreOffice converted it: an audited export."""
    return _document(request, pk, dossiers.open_pdf, PDF_TYPE, "pdf")


@login_required
@require_GET
def dossier_verify(request, pk: int):
    dossier = _get(request.user, pk)
    if not dossier.manifest:
        raise Http404("台账尚未生成")
    results = dossiers.verify(dossier)
    return render(
        request,
        "desk/dossier_verify.html",
        {"d": dossier, "results": results, "unchanged": all(ok for _, _, ok in results)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def manifest_verify(request):
    """An inspector uploads the manifest.json of a dossier's .zip; the page answers per entry
    whether today's records (and attachments) are those it lists: 未变 / 已变化 / 已缺失."""
    _require_reader(request.user)
    outcome, error = None, ""
    if request.method == "POST":
        upload = request.FILES.get("manifest")
        try:
            if upload is None:
                raise ServiceValidationError({"manifest": "请选择台账压缩包中的 manifest.json"})
            manifest = manifests.read(upload, upload.name, upload.size)
            outcome = manifests.check(request.user, manifest)
        except ServiceValidationError as exc:
            error = "；".join(str(v) for v in exc.errors.values())
    return render(
        request,
        "desk/manifest_verify.html",
        {"outcome": outcome, "error": error, "max_mb": manifests.MANIFEST.max_bytes() >> 20},
        status=400 if error else 200,
    )
