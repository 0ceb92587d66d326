"""Dues documents: a member's receipt (.docx) and the branch's yearly publication (.xlsx).
Built in memory, streamed, every one audited as an export (messages without names or amounts).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from dangjian.accounts.access import get_member_for_user, scope_for
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core.clock import today
from dangjian.dues import receipts, services
from dangjian.dues.models import Payment

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@login_required
@require_GET
def receipt(request, pk: int):
    """The receipt for one payment: for the member who paid and the branch that recorded it."""
    payment = Payment.objects.select_related("member", "organization").filter(pk=pk).first()
    if payment is None:
        raise Http404("该党费记录不存在")
    get_member_for_user(request.user, payment.member_id)  # 404 outside the reader's scope
    own = payment.member_id == scope_for(request.user).own_member_id
    if not own and not services.is_dues_manager(request.user, payment.organization):
        raise PermissionDenied("党费收据只提供给交纳人本人和所在支部")
    body = receipts.receipt(payment, today())
    record(
        Actor.from_request(request),
        AuditAction.EXPORT,
        payment,
        message="生成党费收据",
        object_repr=f"党费交纳#{payment.pk}",
    )
    response = HttpResponse(body, content_type=DOCX)
    response["Content-Disposition"] = f'attachment; filename="dues-receipt-{payment.pk}.docx"'
    return response
