"""Member totals per subtree for the organization tree, kept per process while the audit log
shows no write that could change them.

The 机关工委's tree page groups the province's 60,000 current members by path prefix twice per
request (its root, then the root's children): about half of the page's CPU. Every write that
changes who belongs where goes through a service that leaves an audit event, and the audit log
is in the database, so every process sees every other's writes there (as the findings cache,
`meetings/findings/cache.py`, relies on). A cached grouping remembers the head of the log it was
read at; the next request reads the head (one row) and, when it moved, whether any event since
could change a count (one indexed query over the events added since). Events of the apps that
never write members or organizations (meetings, duties, study, dues, notices, assessment) and
reads, logins and tokens do not; every other event does, so an app not listed here errs on the
side of reading again. Writes that bypass the services are picked up after
DANGJIAN_COMPLIANCE_CACHE_SECONDS (settings.py; 0 turns the cache off).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import Substr

from dangjian.audit.models import NO_RECORD_CHANGED, AuditEvent, AuditHead
from dangjian.members.models import Member, MemberStatus

# Object types whose writes never touch a member's organization, status or leaving, nor an
# organization's place in the tree.
_UNRELATED = ("meetings.", "duties.", "study.", "dues.", "notices.", "assessment.")
_NOT_WRITES = NO_RECORD_CHANGED
_ENTRIES = 64
_lock = threading.Lock()
Counts = dict[str, tuple[int, int]]
# (parent path, prefix length) -> (audit head (seq, hash), monotonic time read, counts)
_cache: OrderedDict[tuple[str, int], tuple[tuple[int, str], float, Counts]] = OrderedDict()


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _head() -> tuple[int, str]:
    row = AuditHead.objects.filter(pk=1).values_list("seq", "last_hash").first()
    return (int(row[0]), row[1]) if row else (0, "")


def _changed_since(then: tuple[int, str], now: tuple[int, str]) -> bool:
    """Whether a write between two heads of the audit log may have changed a count (True also
    when that cannot be told: the log is not the one seen then)."""
    if then == now:
        return False
    if now[0] < then[0]:
        return True
    relevant = ~Q(action__in=_NOT_WRITES)
    for prefix in _UNRELATED:
        relevant &= ~Q(object_type__startswith=prefix)
    rows = list(
        AuditEvent.objects.filter(Q(seq=then[0]) | (Q(seq__gt=then[0], seq__lte=now[0]) & relevant))
        .order_by("seq")
        .values_list("seq", "hash")[:2]
    )
    # The event at `then` must still be the one seen then (not a rolled-back or new log's).
    return not rows or rows[0] != then or len(rows) > 1


def _read(parent_path: str, prefix_len: int) -> Counts:
    rows = (
        Member.objects.current()
        .filter(organization__path__startswith=parent_path)
        .annotate(prefix=Substr("organization__path", 1, prefix_len))
        .values("prefix")
        .annotate(n=Count("id"), n_full=Count("id", filter=Q(status=MemberStatus.FULL)))
    )
    return {row["prefix"]: (row["n"], row["n_full"]) for row in rows}


def counts_by_prefix(parent_path: str, prefix_len: int) -> Counts:
    """Current members (total, full) per path prefix of `prefix_len` under `parent_path`: the
    grouped query, or this process's last answer while no write since could change it."""
    seconds = int(settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS)
    if seconds <= 0:
        return _read(parent_path, prefix_len)
    key = (parent_path, prefix_len)
    now = _head()
    with _lock:
        cached = _cache.get(key)
    if cached is not None and now[0] > 0 and time.monotonic() - cached[1] < seconds:
        then, read_at, counts = cached
        if not _changed_since(then, now):
            with _lock:
                _cache[key] = (now, read_at, counts)  # later checks start from here
                _cache.move_to_end(key)
            return counts
    # The head is read before the counts: a write committed in between shows in both or only
    # in the counts, and either way the next check reads again from `now`.
    counts = _read(parent_path, prefix_len)
    if now[0] > 0:
        with _lock:
            _cache[key] = (now, time.monotonic(), counts)
            _cache.move_to_end(key)
            while len(_cache) > _ENTRIES:
                _cache.popitem(last=False)
    return counts
