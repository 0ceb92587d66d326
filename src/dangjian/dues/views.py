"""Dues pages: the member's own account, the branch's monthly ledger (one page, one save),
assessing a member and revealing a base. Thin: access through `accounts.access`, writes
through `dues.services`."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.accounts.access import Action, get_org_for_user, scope_for
from dangjian.accounts.models import Role, RoleAssignment
from dangjian.audit.services import Actor
from dangjian.core import office
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.crypto import default_keyring
from dangjian.dues import payroll as payroll_import
from dangjian.dues import queries, services, services_handover
from dangjian.dues.models import Assessment, ExtraPayment, PayMethod, QuarterlyApproval
from dangjian.members.access import get_member_for_user
from dangjian.members.models import Member
from dangjian.orgs.models import Organization, OrgKind
from dangjian.regulations.dues import BASED_KINDS, KIND_LABELS, DuesKind, month_start


def _managed_branches(user) -> list[Organization]:
    paths = RoleAssignment.objects.filter(
        user=user, role__in=(Role.BRANCH_SECRETARY, Role.BRANCH_COMMITTEE)
    ).values_list("organization__path", flat=True)
    branches: list[Organization] = []
    for path in paths:
        if path:
            branches += Organization.objects.filter(path__startswith=path, kind=OrgKind.BRANCH)
    return sorted(set(branches), key=lambda o: o.path)


def _month(raw: str | None) -> dt.date:
    if raw:
        try:
            year, month = (int(part) for part in raw.split("-", 1))
            return dt.date(year, month, 1)
        except ValueError:
            raise Http404("月份格式应为 2026-01") from None
    return month_start(today())


@login_required
@require_GET
def mine(request):
    member_id = scope_for(request.user).own_member_id
    branches = _managed_branches(request.user)
    uppers = [
        a.organization
        for a in RoleAssignment.objects.filter(
            user=request.user,
            role__in=(Role.ORGAN_COMMITTEE, Role.DISCIPLINE),
            organization__isnull=False,
        ).select_related("organization")
    ]
    if not member_id and not branches and not uppers:
        raise PermissionDenied("您没有可查看的党费记录")
    context: dict[str, object] = {
        "branches": branches,
        "uppers": uppers,
        "month": month_start(today()),
        "pdf": office.available(),
        "pdf_note": office.PDF_MISSING_NOTE,
    }
    if member_id:
        member = Member.objects.select_related("organization").get(pk=member_id)
        context.update(
            member=member,
            account=queries.account(member, today()),
            extras=ExtraPayment.objects.filter(member=member).order_by("-paid_on"),
        )
    return render(request, "dues/mine.html", context)


def _branch_for_manager(request, pk: int) -> Organization:
    org = get_org_for_user(request.user, pk)
    if org.kind != OrgKind.BRANCH:
        raise Http404("只有党支部有党费收缴登记表")
    if not services.is_dues_manager(request.user, org):
        raise PermissionDenied("只有本支部的书记和支委可以查看党费收缴登记表")
    return org


def _exceptions(post) -> dict[int, str | Decimal]:
    out: dict[int, str | Decimal] = {}
    for key, value in post.items():
        if not key.startswith("s_"):
            continue
        try:
            member_id = int(key[2:])
        except ValueError:
            continue
        if value == "unpaid":
            out[member_id] = services.UNPAID
        elif value == "other":
            out[member_id] = post.get(f"a_{member_id}", "")
    return out


NOTHING_RECORDED = (
    "没有登记任何人的党费：本月没有待登记的党员。未核定党费的党员请先在本页下方“核定党费”中核定，"
    "已登记的不会重复登记。"
)


@login_required
@require_http_methods(["GET", "POST"])
def ledger(request, pk: int):
    branch = _branch_for_manager(request, pk)
    month = _month(request.POST.get("month") or request.GET.get("month"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        paid_on = request.POST.get("paid_on") or None
        try:
            count = services.record_month(
                Actor.from_request(request),
                branch,
                month,
                exceptions=_exceptions(request.POST),
                paid_on=dt.date.fromisoformat(paid_on) if paid_on else None,
                method=request.POST.get("method", PayMethod.CASH),
            )
        except ValueError:
            errors = {"paid_on": "交纳日期格式不正确"}
        except ServiceValidationError as exc:
            errors = exc.errors
        else:
            if count:
                messages.success(request, f"已登记{count}人的党费")
            else:
                # "已登记0人" read as a success; say why nothing was recorded and what to do.
                messages.warning(request, NOTHING_RECORDED)
            url = reverse("dues:ledger", args=[branch.pk])
            return redirect(f"{url}?month={month:%Y-%m}")
    rows = queries.ledger(branch, month)
    quarter = dt.date(month.year, (month.month - 1) // 3 * 3 + 1, 1)
    consents = list(
        QuarterlyApproval.objects.filter(member__in=[r.member for r in rows], organization=branch)
    )
    context = {
        "branch": branch,
        "month": month,
        "rows": rows,
        "errors": errors,
        "methods": PayMethod.choices,
        "kinds": [(k.value, v) for k, v in KIND_LABELS.items()],
        "expected_total": sum((r.expected or 0 for r in rows), Decimal("0.00")),
        "unassessed": sum(1 for r in rows if r.expected is None),
        "paid_total": sum((r.payment.amount for r in rows if r.payment), Decimal("0.00")),
        "today": today(),
        "quarter": quarter,
        # Consents of this branch: those that hold for the month's quarter, and withdrawals.
        "quarterly": {c.member_id for c in consents if c.covers(quarter)},
        "withdrawable": {c.member_id for c in consents if c.withdrawn_from is None},
        "withdrawn": {c.member_id: c.withdrawn_from for c in consents if c.withdrawn_from},
        "pdf": office.available(),
    }
    return render(request, "dues/ledger.html", context, status=400 if errors else 200)


@login_required
@require_POST
def assess(request, pk: int):
    member = get_member_for_user(request.user, pk, Action.WRITE)
    try:
        start = dt.date.fromisoformat(request.POST.get("effective_from", ""))
    except ValueError:
        start = month_start(today())
    try:
        services.assess_member(
            Actor.from_request(request),
            member,
            request.POST.get("kind", ""),
            request.POST.get("base", ""),
            start,
        )
    except ServiceValidationError as exc:
        for message in exc.errors.values():
            messages.error(request, f"{member.name}：{message}")
    else:
        messages.success(request, f"已核定{member.name}的党费")
    url = reverse("dues:ledger", args=[member.organization_id])
    return redirect(f"{url}?month={month_start(start):%Y-%m}")


@login_required
@require_POST
def reveal(request, pk: int):
    member = get_member_for_user(request.user, pk)
    assessment = (
        Assessment.objects.filter(member=member, effective_from__lte=month_start(today()))
        .order_by("-effective_from")
        .first()
    )
    if assessment is None:
        raise Http404("该党员尚未核定党费")
    try:
        base = services.reveal_base(Actor.from_request(request), assessment)
    except ServiceValidationError as exc:
        base = exc.errors.get("base", "")
    return render(
        request, "dues/reveal.html", {"member": member, "assessment": assessment, "base": base}
    )


@login_required
@require_GET
def totals(request, pk: int):
    """Paid totals per branch of an organization's subtree for a month: counts and sums only."""
    org = get_org_for_user(request.user, pk)
    month = _month(request.GET.get("month"))
    branches = list(
        Organization.objects.filter(path__startswith=org.path, kind=OrgKind.BRANCH).order_by("path")
    )
    rows = queries.totals(branches, month)
    return render(
        request,
        "dues/totals.html",
        {
            "org": org,
            "month": month,
            "rows": rows,
            "sum": sum((r.amount for r in rows), Decimal("0.00")),
            "can_publish": org.kind != OrgKind.BRANCH
            and scope_for(request.user).covers(org.path, Action.WRITE),
        },
    )


# ---- payroll import of bases ---------------------------------------------------------------

PAYROLL_SESSION = "dues_payroll"


@login_required
@require_http_methods(["GET", "POST"])
def payroll(request, pk: int):
    """Upload the payroll office's .xlsx and see every row checked (nothing written yet). The
    checked rows wait in the session, encrypted, for the confirmation."""
    branch = _branch_for_manager(request, pk)
    context: dict[str, object] = {"branch": branch, "kinds": _based_kinds(), "errors": {}}
    if request.method == "POST":
        upload = request.FILES.get("file")
        kind = request.POST.get("kind", DuesKind.SALARIED)
        try:
            if upload is None:
                raise ServiceValidationError({"file": "请选择工资表文件（.xlsx）"})
            rows = payroll_import.preview(Actor.from_request(request), branch, upload.read(), kind)
        except ServiceValidationError as exc:
            context["errors"] = exc.errors
            return render(request, "dues/payroll.html", context, status=400)
        keep = {
            "branch": branch.pk,
            "kind": kind,
            "rows": [
                [r.line, r.name, r.member.pk if r.member else None, str(r.base or ""), r.error]
                for r in rows
            ],
        }
        request.session[PAYROLL_SESSION] = default_keyring().encrypt(json.dumps(keep))
        context.update(
            rows=rows,
            kind=kind,
            bad=sum(1 for r in rows if r.error),
            month=month_start(today()),
        )
    return render(request, "dues/payroll.html", context)


def _based_kinds() -> list[tuple[str, str]]:
    return [(k.value, v) for k, v in KIND_LABELS.items() if k in BASED_KINDS]


@login_required
@require_POST
def payroll_confirm(request, pk: int):
    branch = _branch_for_manager(request, pk)
    sealed = request.session.get(PAYROLL_SESSION)
    kept = json.loads(default_keyring().decrypt(sealed)) if sealed else None
    url = reverse("dues:payroll", args=[branch.pk])
    if not kept or kept["branch"] != branch.pk:
        messages.error(request, "没有待确认的导入，请重新上传工资表")
        return redirect(url)
    members = {m.pk: m for m in Member.objects.filter(pk__in=[r[2] for r in kept["rows"] if r[2]])}
    rows = [
        payroll_import.PayrollRow(
            line,
            name,
            members.get(member_id) if member_id else None,
            Decimal(base) if base else None,
            None,
            error,
        )
        for line, name, member_id, base, error in kept["rows"]
    ]
    try:
        start = dt.date.fromisoformat(request.POST.get("effective_from", ""))
    except ValueError:
        start = month_start(today())
    try:
        count = payroll_import.apply(
            Actor.from_request(request),
            branch,
            rows,
            kind=kept["kind"],
            effective_from=start,
            mode=request.POST.get("mode", ""),
        )
    except ServiceValidationError as exc:
        for message in exc.errors.values():
            messages.error(request, message)
        return redirect(url)
    del request.session[PAYROLL_SESSION]
    messages.success(request, f"已导入{count}名党员的计算基数并核定党费")
    ledger_url = reverse("dues:ledger", args=[branch.pk])
    return redirect(f"{ledger_url}?month={month_start(start):%Y-%m}")


@login_required
@require_POST
def handover(request, pk: int):
    """Hand a month's dues to the level above (the amount comes from the records)."""
    org = get_org_for_user(request.user, pk)
    month = _month(request.POST.get("month"))
    try:
        done = services_handover.hand_over(Actor.from_request(request), org, month)
    except ServiceValidationError as exc:
        for message in exc.errors.values():
            messages.error(request, message)
    else:
        text = f"已上缴{month.year}年{month.month}月党费 {done.amount} 元（{done.payments}笔）"
        if done.extra_payments:
            text += (
                f"；自愿多交党费{done.extra_payments}笔：随党费上缴 {done.extra_amount} 元，"
                f"全额上缴中央 {done.to_centre_amount} 元；合计 {done.total} 元"
            )
        messages.success(request, text)
    name = "dues:ledger" if org.kind == OrgKind.BRANCH else "dues:totals"
    return redirect(f"{reverse(name, args=[org.pk])}?month={month:%Y-%m}")
