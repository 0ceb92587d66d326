"""Today on the wall calendar in China: every deadline, period and "today" the services use.

The server may run in UTC; between 00:00 and 08:00 Beijing time its own date is yesterday's.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dangjian.regulations.periods import local_date


def today() -> dt.date:
    return local_date(timezone.now())
