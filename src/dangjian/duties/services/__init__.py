"""Every write of the responsibility system: sending work down and splitting it (`sending`), the
receiver's progress, evidence and submission (`work`), the sender's review and withdrawal
(`review`), duty-list edits (`duty_lists`), deadlines for the periodic job (`deadlines`), and who
is told (`telling`, through `dangjian.notices`).

Each function checks the actor's scope, validates everything first (one Chinese message per
field), then writes in one transaction with its audit events; a refused write leaves nothing.
"""

from dangjian.duties.services.deadlines import reminder_due
from dangjian.duties.services.duty_lists import DUTY_OWNER_KINDS, require_duty_editor, save_duty
from dangjian.duties.services.review import accept, return_item, withdraw
from dangjian.duties.services.sending import ITEM_FIELDS, MAX_TARGETS, SendResult, send_down, split
from dangjian.duties.services.telling import (
    notify_received,
    receivers_of,
    supervisors_for,
    supervisors_of,
)
from dangjian.duties.services.work import (
    add_document,
    add_figure,
    documents_in,
    earliest_evidence,
    held_meetings_in,
    items_in,
    link_meeting,
    linkable_meetings,
    missing_evidence,
    report_progress,
    submit,
)

__all__ = [
    "DUTY_OWNER_KINDS",
    "ITEM_FIELDS",
    "MAX_TARGETS",
    "SendResult",
    "accept",
    "add_document",
    "add_figure",
    "documents_in",
    "earliest_evidence",
    "held_meetings_in",
    "items_in",
    "link_meeting",
    "linkable_meetings",
    "missing_evidence",
    "notify_received",
    "receivers_of",
    "reminder_due",
    "report_progress",
    "require_duty_editor",
    "return_item",
    "save_duty",
    "send_down",
    "split",
    "submit",
    "supervisors_for",
    "supervisors_of",
    "withdraw",
]
