"""The inbox's periodic job: e-mail the notices the other jobs (and the day's work) created."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from dangjian.core.jobs import job
from dangjian.notices.services import send_emails


# Runs after every job that creates notices, so a reminder goes out by e-mail in the same tick.
@job("notices.email", order=900, report_order=40, counters={"emails": "邮件 {} 封"})
def email(now: dt.datetime) -> dict[str, int]:
    return {"emails": send_emails() if settings.EMAIL_ENABLED else 0}
