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


class BulkIn(Schema):
    source: str  # the branch's organization code
    target: str
    on: dt.date
    reason: str
    members: list[int] | None = None  # None: every current member of the source branch
    preview: bool = True  # True: check and list who would move, write nothing


class BulkMemberOut(Schema):
    id: int
    name: str


class BulkOut(Schema):
    preview: bool
    count: int
    members: list[BulkMemberOut]


@router.post(
    "/bulk", response=BulkOut, summary="整建制转移（先预览，再确认执行；全部成功或全部不动）"
)
def transfer_bulk(request, payload: BulkIn):
    """The 机关党委 above the branch moves its members (all, or those chosen) to another branch
    on a day: `preview` lists who would move; without it the move is made, all or nothing."""
    from dangjian.audit.services import Actor
    from dangjian.transfers import services

    require_scope(request.user, Action.READ, "您没有办理整建制转移的权限")
    source = get_org_for_user(request.user, payload.source.strip().upper(), field_name="code")
    if not services.may_bulk_move(request.user, source):
        raise PermissionDenied("整建制转移应由上级党委（机关党委）办理")
    target = get_org_for_user(request.user, payload.target.strip().upper(), field_name="code")
    actor = Actor.from_request(request)
    args = (actor, source, target, payload.on, payload.reason, payload.members)
    members = services.check_bulk_move(*args) if payload.preview else services.bulk_move(*args)
    return {
        "preview": payload.preview,
        "count": len(members),
        "members": [{"id": m.pk, "name": m.name} for m in members],
    }


@router.get("/{transfer_id}", response=TransferDetailOut, summary="一次组织关系转接及其办理步骤")
def transfer_detail(request, transfer_id: int):
    transfer = queries.get_transfer_for_user(request.user, transfer_id)
    steps = [
        {"action": s.action, "label": s.label, "done_on": s.done_on, "actor_name": s.actor_name,
         "note": s.note}
        for s in transfer.steps.all()
    ]  # fmt: skip
    return {"transfer": transfer, "steps": steps}
