"""The end of the year: the results shown to the targets, appeals (申诉) within the pack's
working days, decided with a reason, then the results fixed (定档). Each step audited, nothing
half-written."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from dangjian.accounts.access import Action, scope_for
from dangjian.assessment import tell
from dangjian.assessment.models import Appeal, AppealStatus, Scheme, SchemeStatus, Target
from dangjian.assessment.scoring import results
from dangjian.assessment.services import FINAL_MESSAGE, can_manage, require_manager
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings.packs import rules_in_force
from dangjian.regulations.workdays import add_workdays


def appeal_days() -> int:
    return int(rules_in_force().params.get("assessment_appeal_working_days", 5))


def appeal_deadline(scheme: Scheme) -> dt.date | None:
    """The last day to appeal: the pack's working days after the results' publication."""
    if scheme.results_published_on is None:
        return None
    return add_workdays(scheme.results_published_on, appeal_days())


def _label(scheme: Scheme) -> str:
    return f"{scheme.year}年{scheme.title}"[:200]


@transaction.atomic
def publish_results(actor: Actor, scheme: Scheme) -> Scheme:
    """Show the results (score, grade, explanation) to the targets; the appeal window opens."""
    require_manager(actor, scheme.organization)
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if scheme.status != SchemeStatus.FROZEN:
        raise ServiceValidationError(
            FINAL_MESSAGE if scheme.status == SchemeStatus.FINAL else "请先冻结考核数据"
        )
    if scheme.results_published_on is not None:
        raise ServiceValidationError("考核结果已公布")
    scheme.results_published_on = today()
    scheme.save(update_fields=["results_published_on"])
    record(
        actor,
        AuditAction.UPDATE,
        scheme,
        changes={"results_published_on": [None, scheme.results_published_on]},
        message=f"公布考核结果（申诉期{appeal_days()}个工作日）",
        object_repr=_label(scheme),
    )
    deadline = appeal_deadline(scheme)
    tell.tell_targets(
        scheme,
        tell.NoticeKind.RESULTS,
        f"{_label(scheme)}结果已公布",
        f"对结果有异议的，可在{deadline:%Y-%m-%d}前提出申诉。" if deadline else "",
    )
    return scheme


def may_appeal(user, target: Target) -> bool:
    """The target's own writers (its secretary and committee), or the assessed post holder in
    person; not the assessing committee."""
    if can_manage(user, target.scheme.organization):
        return False
    if target.member_id is not None:
        return scope_for(user).own_member_id == target.member_id
    return scope_for(user).covers(target.organization.path, Action.WRITE)


@transaction.atomic
def file_appeal(actor: Actor, target: Target, *, reason: str) -> Appeal:
    scheme = Scheme.objects.select_for_update().get(pk=target.scheme_id)
    if actor.user is None or not may_appeal(actor.user, target):
        raise PermissionDenied("只有被考核人本人或考核对象本单位的书记、委员可以提出申诉")
    deadline = appeal_deadline(scheme)
    if scheme.status == SchemeStatus.FINAL:
        raise ServiceValidationError(FINAL_MESSAGE)
    if deadline is None:
        raise ServiceValidationError("考核结果尚未公布，不能申诉")
    if today() > deadline:
        raise ServiceValidationError(
            f"申诉期为结果公布后{appeal_days()}个工作日，已于{deadline:%Y-%m-%d}截止"
        )
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = "请写明申诉理由（对哪项指标、依据什么记录）"
    elif len(reason) > 1000:
        errors["reason"] = "申诉理由不超过1000个字"
    if Appeal.objects.filter(target=target, status=AppealStatus.PENDING).exists():
        errors["reason"] = "已有待处理的申诉，请等待处理结果"
    if errors:
        raise ServiceValidationError(errors)
    appeal = Appeal.objects.create(target=target, reason=reason, filed_by=actor.user)
    record(
        actor,
        AuditAction.CREATE,
        appeal,
        changes={"target": [None, target.pk], "reason": [None, reason]},
        message=f"考核申诉：{target.organization.name}",
    )
    return appeal


@transaction.atomic
def decide_appeal(actor: Actor, appeal: Appeal, *, upheld: bool, decision: str) -> Appeal:
    """The committee's decision with its reason (an upheld appeal is acted on by correcting the
    score it concerns, itself audited)."""
    scheme = Scheme.objects.select_for_update().get(pk=appeal.target.scheme_id)
    require_manager(actor, scheme.organization)
    if scheme.status == SchemeStatus.FINAL:
        raise ServiceValidationError(FINAL_MESSAGE)
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if appeal.status != AppealStatus.PENDING:
        raise ServiceValidationError("该申诉已处理")
    decision = (decision or "").strip()
    if not decision:
        raise ServiceValidationError({"decision": "请写明处理意见和理由"})
    if len(decision) > 1000:
        raise ServiceValidationError({"decision": "处理意见不超过1000个字"})
    appeal.status = AppealStatus.UPHELD if upheld else AppealStatus.REJECTED
    appeal.decision = decision
    appeal.decided_by = actor.user
    appeal.decided_at = timezone.now()
    appeal.save(update_fields=["status", "decision", "decided_by", "decided_at"])
    record(
        actor,
        AuditAction.UPDATE,
        appeal,
        changes={"status": [AppealStatus.PENDING, appeal.status], "decision": [None, decision]},
        message=f"处理考核申诉：{appeal.target.organization.name}",
    )
    tell.tell_targets(
        scheme,
        tell.NoticeKind.APPEAL,
        f"{_label(scheme)}：申诉已处理（{AppealStatus(appeal.status).label}）"[:200],
        targets=[appeal.target],
    )
    return appeal


@transaction.atomic
def finalize(actor: Actor, scheme: Scheme) -> Scheme:
    """Fix the results once the appeal window has closed and every appeal is decided: each
    target's combined score and grade are kept, nothing changes after."""
    require_manager(actor, scheme.organization)
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if scheme.status != SchemeStatus.FROZEN:
        raise ServiceValidationError(
            FINAL_MESSAGE if scheme.status == SchemeStatus.FINAL else "请先冻结考核数据"
        )
    deadline = appeal_deadline(scheme)
    if deadline is None:
        raise ServiceValidationError("请先公布考核结果，申诉期满后再定档")
    if today() <= deadline:
        raise ServiceValidationError(f"申诉期至{deadline:%Y-%m-%d}，期满后才能定档")
    pending = Appeal.objects.filter(target__scheme=scheme, status=AppealStatus.PENDING).count()
    if pending:
        raise ServiceValidationError(f"还有{pending}件申诉未处理")
    targets = list(scheme.targets.select_related("organization"))
    for result in results(scheme, targets, inputs=False):
        result.target.score = result.score
        result.target.grade = result.grade
    Target.objects.bulk_update(targets, ["score", "grade"], batch_size=1000)
    scheme.status = SchemeStatus.FINAL
    scheme.finalized_at = timezone.now()
    scheme.save(update_fields=["status", "finalized_at"])
    record(
        actor,
        AuditAction.UPDATE,
        scheme,
        changes={"status": [SchemeStatus.FROZEN, SchemeStatus.FINAL]},
        message=f"考核结果定档（{len(targets)}个考核对象）",
        object_repr=_label(scheme),
    )
    tell.tell_targets(scheme, tell.NoticeKind.FINAL, f"{_label(scheme)}结果已定档", targets=targets)
    return scheme


@transaction.atomic
def write_self_assessment(actor: Actor, target: Target, *, text: str) -> Target:
    """The target's short self-assessment (自评), shown beside its result."""
    scheme = Scheme.objects.select_for_update().get(pk=target.scheme_id)
    if actor.user is None or not may_appeal(actor.user, target):
        raise PermissionDenied("只有被考核人本人或考核对象本单位的书记、委员可以填写自评")
    if scheme.status == SchemeStatus.FINAL:
        raise ServiceValidationError(FINAL_MESSAGE)
    if scheme.status == SchemeStatus.DRAFT:
        raise ServiceValidationError("考核方案尚未发布")
    text = (text or "").strip()
    if len(text) > 2000:
        raise ServiceValidationError({"self_assessment": "自评不超过2000个字"})
    before = target.self_assessment
    target.self_assessment = text
    target.save(update_fields=["self_assessment"])
    record(
        actor,
        AuditAction.UPDATE,
        target,
        changes={"self_assessment": [before, text]},
        message=f"填写考核自评：{target.organization.name}",
    )
    return target


def export_explanation(actor: Actor, target: Target) -> bytes:
    """The target's explanation as .docx (every indicator: value, method, linked records,
    comment, weight, contribution), audited as an export. The caller has scoped `target`."""
    from dangjian.assessment import evidence, report

    result = results(target.scheme, [target])[0]
    body = report.render(result, list(target.appeals.order_by("pk")), evidence.linked(target))
    record(
        actor,
        AuditAction.EXPORT,
        target,
        message="导出考核说明（Word）",
        object_repr=f"考核对象：{target.organization.name}"[:200],
    )
    return body
