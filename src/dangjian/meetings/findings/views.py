"""Compliance pages: the findings matrix for a subtree, an organization's findings by period,
and a secretary's explanation of a warning. Thin: the access module decides who sees what,
`compliance` computes, these views only pick and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from dangjian.accounts.access import Action, get_org_for_user, scope_for, signal_visibility
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings import findings as compliance
from dangjian.meetings.findings import SEVERITY_ORDER, STATUS_ICONS, STATUS_LABELS
from dangjian.orgs.models import Organization, OrgKind
from dangjian.regulations.engine import PackError
from dangjian.regulations.periods import local_date

# The meeting record page belongs to the meetings pages; until it exists, meetings are linked
# by this path (documented in bench/README.md's neighbour, the meetings work).
MEETING_PATH_FALLBACK = "/meetings/{id}/"


def _require_reader(user) -> None:
    if not scope_for(user).paths.get(Action.READ):
        raise PermissionDenied("您没有查看组织生活检查结果的权限")


def _year(request, today) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return today.year
    return year if 2000 <= year <= today.year + 1 else today.year


def _meeting_url_pattern() -> str:
    """The meeting page URL with `{id}` in place of the id (one reverse per request)."""
    marker = 987654321
    try:
        return reverse("meetings:detail", kwargs={"pk": marker}).replace(str(marker), "{id}")
    except NoReverseMatch:
        return MEETING_PATH_FALLBACK


def _visible_ancestors(user, org: Organization) -> list[Organization]:
    scope = scope_for(user)
    return [a for a in Organization.objects.get_ancestors(org) if scope.covers(a.path, Action.READ)]


def _cell_view(rollup, key: str, own) -> dict:
    """What a matrix cell shows: the organization's own status, or counts for its subtree."""
    counts = rollup.column(key)
    total = sum(n for _, n in counts)
    if total == 0:
        return {"empty": True}
    if total == 1 and own is not None:
        return {"single": True, "status": own.status, "icon": own.icon, "label": own.label}
    worst = max((s for s, _ in counts), key=SEVERITY_ORDER.__getitem__)
    return {
        "status": worst,
        "counts": [
            {"status": s, "icon": STATUS_ICONS[s], "label": STATUS_LABELS[s], "n": n}
            for s, n in counts
        ],
    }


def _report_or_error(request, org, year):
    try:
        return compliance.cached_report(org, year), None
    except PackError as exc:
        return None, str(exc)


@login_required
def findings(request):
    """Red/amber/green per organization and rule for a subtree, counts rolled up the tree."""
    _require_reader(request.user)
    scope = scope_for(request.user)
    today = compliance.local_today()
    code = (request.GET.get("org") or "").strip()
    roots = list(Organization.objects.filter(path__in=scope.paths[Action.READ]).order_by("path"))
    org = get_org_for_user(request.user, code, field_name="code") if code else roots[0]
    year = _year(request, today)
    report, error = _report_or_error(request, org, year)
    context = {
        "org": org,
        "year": year,
        "years": list(range(today.year, today.year - 4, -1)),
        "roots": roots if len(roots) > 1 else [],
        "ancestors": _visible_ancestors(request.user, org),
        "error": error,
    }
    if report is None:
        return render(request, "meetings/compliance.html", context, status=503)
    rollups = report.top_rollups
    root = report.root
    rows = []
    candidates = [root, *report.children(root)]
    for info in candidates:
        rollup = rollups[info.id]
        if not rollup.organizations or (
            info is root and not any(report.cell(info.id, c.key) for c in report.columns)
        ):
            continue
        if info is not root and info.kind == OrgKind.PARTY_GROUP and root.kind != OrgKind.BRANCH:
            continue
        own_only = info is root
        rows.append(
            {
                "org": info,
                "is_root": own_only,
                # A branch is a leaf here: its party groups are on the branch's own page.
                "has_children": not own_only
                and rollup.organizations > 1
                and (info.kind != OrgKind.BRANCH or root.kind == OrgKind.BRANCH),
                "rollup": rollup,
                "cells": [
                    {
                        "key": c.key,
                        **(
                            _cell_view(rollup, c.key, report.cell(info.id, c.key))
                            if not own_only
                            else _own_cell(report.cell(info.id, c.key))
                        ),
                    }
                    for c in report.columns
                ],
            }
        )
    # 违反 3 项 on the summary filters the matrix to the rows where that status is (issue 18).
    status = request.GET.get("status", "")
    if status in SEVERITY_ORDER:
        rows = [r for r in rows if any(_has_status(c, status) for c in r["cells"])]
        for r in rows:
            for c in r["cells"]:
                c["dim"] = not _has_status(c, status)
    else:
        status = ""
    context.update(
        report=report,
        rows=rows,
        matrix=_matrix_html(report, rows, year, status),
        status=status,
        summary=rollups[root.id],
        statuses=[(s, STATUS_ICONS[s], STATUS_LABELS[s]) for s in SEVERITY_ORDER],
    )
    return render(request, "meetings/compliance.html", context)


def _matrix_html(report, rows: list[dict], year: int, status: str) -> str:
    """The matrix's rows as HTML, written here rather than in the template: 100 rows of 18
    cells were 20,000 template nodes, most of the page's time. Kept with the report (a
    refreshed report is a new object), so a page with nothing written since renders none of it.
    The markup is the one the template wrote before, byte for byte."""
    key = ("matrix", year, status)
    found = report.derived.get(key)
    if found is not None:
        return found
    marker = 987654321
    org_url = reverse("compliance:org", args=[marker]).replace(str(marker), "{id}")
    link_status = f"&status={escape(status)}" if status else ""
    out: list[str] = []
    for row in rows:
        info = row["org"]
        code = escape(info.code)
        own = f"{org_url.replace('{id}', str(info.id))}?year={year}"
        name = escape(info.name)
        if row["has_children"]:
            link = f'<a href="?org={code}&year={year}">{name}</a>'
        else:
            link = f'<a href="{own}">{name}</a>'
        note = escape(info.kind_label)
        if row["is_root"]:
            note += "（本级）"
        elif row["has_children"]:
            note += f' · {row["rollup"].organizations}个组织 · <a href="{own}">明细</a>'
        out.append(
            f'\n    <tr data-org="{code}">\n      <th scope="row" class="org-col">\n        {link}'
            f'\n        <div class="small text-muted">{note}</div>\n      </th>\n      '
        )
        for cell in row["cells"]:
            dim = " opacity-50" if cell.get("dim") else ""
            if cell.get("empty"):
                html = (
                    '<td class="text-center text-muted"><span aria-hidden="true">—</span>'
                    '<span class="visually-hidden">不适用</span></td>\n        '
                )
            elif cell.get("single"):
                html = (
                    f'<td class="cs cs-{cell["status"]} text-center position-relative{dim}" '
                    f'data-status="{cell["status"]}"><a class="stretched-link text-reset '
                    f'text-decoration-none" href="{own}#{code}-{escape(cell["key"])}">'
                    f'<span aria-hidden="true">{cell["icon"]}</span> '
                    f'<span class="cs-text">{cell["label"]}</span></a></td>\n        '
                )
            else:
                counts = "".join(
                    f'<span class="text-nowrap me-1" title="{c["label"]}：{c["n"]}个组织">'
                    f'<span aria-hidden="true">{c["icon"]}</span>{c["n"]}'
                    f'<span class="visually-hidden">个组织{c["label"]}</span></span>'
                    for c in cell["counts"]
                )
                html = (
                    f'<td class="cs cs-{cell["status"]} position-relative{dim}" '
                    f'data-status="{cell["status"]}"><a class="stretched-link text-reset '
                    f'text-decoration-none" href="?org={code}&year={year}{link_status}">'
                    f"{counts}</a></td>"
                )
            out.append(f"\n        {html}\n      ")
        out.append("\n    </tr>\n  ")
    found = report.derived[key] = mark_safe("".join(out))  # noqa: S308 (escaped above)
    return found


def _meeting_labels(ids: set[int]) -> dict[int, tuple[str, str]]:
    """("6月12日 支部党员大会：学习党章", "6月12日") for each evidence meeting, in one query
    (issue 18: a bare "#1546" told the reader nothing)."""
    from dangjian.meetings.models import Meeting

    labels = {}
    fields = ("kind", "topic", "held_on", "starts_at", "backfilled")
    for meeting in Meeting.objects.filter(pk__in=ids).only(*fields):
        day = meeting.held_on or local_date(meeting.starts_at)
        mark = "（补录）" if meeting.backfilled else ""
        labels[meeting.pk] = (
            f"{day.month}月{day.day}日 {meeting.title}{mark}",
            f"{day.month}月{day.day}日",
        )
    return labels


def _has_status(cell: dict, status: str) -> bool:
    if cell.get("empty"):
        return False
    if cell.get("single"):
        return cell["status"] == status
    return any(c["status"] == status for c in cell["counts"])


def _own_cell(cell) -> dict:
    if cell is None:
        return {"empty": True}
    return {"single": True, "status": cell.status, "icon": cell.icon, "label": cell.label}


@login_required
def org_findings(request, pk: int):
    """One organization (and its party groups): findings per period, with the meetings behind
    each figure, the citation, explanations, and (for a branch) the member signals."""
    _require_reader(request.user)
    org = get_org_for_user(request.user, pk)
    scope = scope_for(request.user)
    today = compliance.local_today()
    year = _year(request, today)
    context = {
        "org": org,
        "year": year,
        "years": list(range(today.year, today.year - 4, -1)),
        "ancestors": _visible_ancestors(request.user, org),
    }
    try:
        report = compliance.compute(org, year, today=today, max_depth=compliance.own_depth(org))
    except PackError as exc:
        context["error"] = str(exc)
        return render(request, "meetings/compliance_org.html", context, status=503)
    meeting_url = _meeting_url_pattern()
    labels = _meeting_labels(
        {m for info in report.orgs for f in report.findings_for(info.id) for m in f.meeting_ids}
    )
    sections = []
    for info in report.orgs:
        found = report.findings_for(info.id)
        if not found:
            continue
        can_explain = scope.covers(info.path, Action.WRITE)
        groups = []
        for column in report.columns:
            items = [f for f in found if f.column == column.key]
            if not items:
                continue
            views = [
                {
                    "f": f,
                    "meetings": [
                        {
                            "id": m,
                            "url": meeting_url.replace("{id}", str(m)),
                            "label": labels.get(m, (f"#{m}", ""))[0],
                            "day": labels.get(m, ("", f"#{m}"))[1],
                        }
                        for m in f.meeting_ids
                    ],
                    "can_explain": can_explain and f.explainable,
                    "facts": f.facts,
                    "attention": f.status in (compliance.VIOLATED, compliance.AT_RISK)
                    or f.explanation is not None,
                }
                for f in items
            ]
            groups.append(
                {
                    "column": column,
                    "cell": report.cell(info.id, column.key),
                    "attention": [v for v in views if v["attention"]],
                    "rest": [v for v in views if not v["attention"]],
                }
            )
        sections.append({"org": info, "groups": groups})
    visibility = signal_visibility(request.user, org)
    signals = None
    if visibility.streaks or visibility.lapses:
        signals = compliance.member_signals(
            org,
            today=today,
            rules=report.rules,
            streaks=visibility.streaks,
            lapses=visibility.lapses,
        )
    context.update(
        report=report,
        sections=sections,
        visibility=visibility,
        signals=signals,
        rollup=report.rollups[report.root.id],
    )
    return render(request, "meetings/compliance_org.html", context)


@login_required
@require_POST
def explain(request, pk: int):
    """Record a reason for a warning-level finding (write access to the organization)."""
    org = get_org_for_user(request.user, pk, Action.WRITE)
    period = (request.POST.get("period") or "").strip()[:16]
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    try:
        compliance.explain_finding(
            Actor.from_request(request),
            org,
            rule_id=(request.POST.get("rule_id") or "").strip()[:64],
            period_key=period,
            reason=request.POST.get("reason") or "",
        )
    except ServiceValidationError as exc:
        messages.error(request, "；".join(exc.errors.values()))
    else:
        messages.success(request, "情况说明已保存")
    if back:
        return redirect(back)
    return redirect(f"{reverse('compliance:org', kwargs={'pk': org.pk})}?year={period[:4]}")
