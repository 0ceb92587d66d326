"""Every write to organizational life: plans, series, records, leave, attachments, check-in.

Each function checks the actor's scope, validates everything first (one Chinese message per
field), then writes in one transaction with its audit event; a refused write leaves nothing.
One module per part: `planning` (meetings, cancellations, series), `recording` (minutes,
attendance, votes), `attachments`, `leave`, `self_checkin`; `common` holds the form readers.
"""

from __future__ import annotations

from dangjian.meetings.services.attachments import (
    add_attachments,
    check_attachments,
    max_attachment_bytes,
    remove_attachment,
)
from dangjian.meetings.services.leave import decide_leave, request_leave, withdraw_leave
from dangjian.meetings.services.planning import (
    MAX_ATTENDEES,
    cancel_meeting,
    extend_series,
    plan_meeting,
    plan_series,
)
from dangjian.meetings.services.recording import (
    MARKABLE,
    RecordResult,
    VoteInput,
    parse_votes,
    record_meeting,
)
from dangjian.meetings.services.self_checkin import check_in

__all__ = [
    "MARKABLE",
    "MAX_ATTENDEES",
    "RecordResult",
    "VoteInput",
    "add_attachments",
    "cancel_meeting",
    "check_attachments",
    "check_in",
    "decide_leave",
    "extend_series",
    "max_attachment_bytes",
    "parse_votes",
    "plan_meeting",
    "plan_series",
    "record_meeting",
    "remove_attachment",
    "request_leave",
    "withdraw_leave",
]
