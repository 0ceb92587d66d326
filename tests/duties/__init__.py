"""Tests of the responsibility system (duty lists, work items, the inbox); shared helpers.

The audit helpers (`last_seq`, `events_since`, `assert_audited`) are `tests.helpers`'; meeting
planning (`plan`) is the organizational-life tests' (`tests.meetings`).
"""

from __future__ import annotations

import datetime as dt

# A minimal PDF: evidence files are checked by content.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def workday(days: int) -> dt.date:
    """The `days`-th working day from today (the services' clock): a deadline that draws no
    holiday warning and passes the services' checks."""
    from dangjian.core.clock import today
    from dangjian.regulations import workdays

    return workdays.add_workdays(today(), days)
