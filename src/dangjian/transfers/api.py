"""Transfer endpoints under /api/v1/transfers (read only): the transfers the user may see, one
transfer with its steps, and those waiting for the user. Same access as the pages: a transfer
outside what the user may read answers 404."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from ninja import Router, Schema

from dangjian.accounts.access import Action, get_org_for_user, require_scope, scope_for
from dangjian.core.clock import today
from dangjian.transfers import queries
from dangjian.transfers.models import Transfer

router = Router(tags=["组织关系转接"])


class TransferOut(Schema):
    id: int
    kind: str
    status: str
    status_label: str
    name: str
    member_id: int | None
    from_organization_code: str | None
    from_label: str
    to_organization_code: str | None
    to_label: str
    reason: str
    applied_on: dt.date
    approved_on: dt.date | None
    letter_number: str
    valid_until: dt.date | None
    letter_state: str
    dues_paid_until: dt.date | None
    received_on: dt.date | None
    closed_on: dt.date | None
    return_reason: str

    @staticmethod
    def resolve_status_label(obj: Transfer) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_from_organization_code(obj: Transfer) -> str | None:
        return obj.from_organization.code if obj.from_organization else None

    @staticmethod
    def resolve_to_organization_code(obj: Transfer) -> str | None:
        return obj.to_organization.code if obj.to_organization else None

    @staticmethod
    def resolve_letter_state(obj: Transfer) -> str:
        return queries.letter_state(obj, today()).code


class StepOut(Schema):
    action: str
    label: str
    done_on: dt.date
    actor_name: str
    note: str


class TransferDetailOut(Schema):
    transfer: TransferOut
    steps: list[StepOut]


@router.get("/", response=list[TransferOut], summary="组织关系转接（可按组织编码、状态筛选）")
def transfer_list(request, org: str = "", status: str = ""):
    scope = scope_for(request.user)
    if not scope.paths.get(Action.READ) and not scope.own_member_id:
        raise PermissionDenied("您没有查看组织关系转接的权限")
    transfers = queries.transfers_for(request.user).select_related(*queries.RELATED)
    if org:
        require_scope(request.user)
        found = get_org_for_user(request.user, org.strip().upper(), field_name="code")
        transfers = transfers.filter(
            from_organization__path__startswith=found.path
        ) | transfers.filter(to_organization__path__startswith=found.path)
    if status:
        transfers = transfers.filter(status=status)
    return list(transfers.order_by("-applied_on", "-pk")[:500])


@router.get("/waiting", response=list[TransferOut], summary="待我审核或接收的组织关系转接")
def transfer_waiting(request):
    require_scope(request.user, Action.WRITE, "您没有办理组织关系转接的权限")
    return list(queries.waiting_for(request.user)[:500])


@router.get("/{transfer_id}", response=TransferDetailOut, summary="一次组织关系转接及其办理步骤")
def transfer_detail(request, transfer_id: int):
    transfer = queries.get_transfer_for_user(request.user, transfer_id)
    steps = [
        {"action": s.action, "label": s.label, "done_on": s.done_on, "actor_name": s.actor_name,
         "note": s.note}
        for s in transfer.steps.all()
    ]  # fmt: skip
    return {"transfer": transfer, "steps": steps}
