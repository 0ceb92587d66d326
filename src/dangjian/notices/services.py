"""Every write of the inbox: delivering notices (idempotent per recipient and key), marking them
read, and e-mailing them when SMTP is configured.

Notices are not audited: they are messages derived from audited writes, and reading one changes
no record of the party's work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.mail import send_mail
from django.db import models
from django.utils import timezone

from dangjian.notices.models import Notice


@dataclass(frozen=True)
class Message:
    """One notice to deliver to several users; `key` makes it idempotent per user.

    `kind` is a code the sending app registered (`registry.register_kinds`); `link` the page to
    open; `subject` the record it is about, if any.
    """

    user_ids: frozenset[int]
    key: str
    kind: str
    title: str
    body: str = ""
    link: str = ""
    subject: models.Model | None = None


def notify_many(messages: Iterable[Message]) -> int:
    """Deliver the messages, skipping (user, key) pairs already delivered. Two queries per 500
    keys and one insert per 500 notices, whatever the number of messages."""
    messages = [m for m in messages if m.user_ids]
    if not messages:
        return 0
    keys = sorted({m.key[:100] for m in messages})
    existing: set[tuple[int, str]] = set()
    for start in range(0, len(keys), 500):
        existing |= set(
            Notice.objects.filter(key__in=keys[start : start + 500]).values_list(
                "recipient_id", "key"
            )
        )
    fresh = []
    for m in messages:
        subject_type = m.subject._meta.label_lower if m.subject is not None else ""
        subject_id = m.subject.pk if m.subject is not None else None
        for uid in sorted(m.user_ids):
            if (uid, m.key[:100]) in existing:
                continue
            existing.add((uid, m.key[:100]))
            fresh.append(
                Notice(
                    recipient_id=uid,
                    key=m.key[:100],
                    kind=m.kind,
                    subject_type=subject_type,
                    subject_id=subject_id,
                    link=m.link[:200],
                    title=m.title[:200],
                    body=m.body[:500],
                )
            )
    Notice.objects.bulk_create(fresh, ignore_conflicts=True, batch_size=500)
    return len(fresh)


def notify(
    user_ids: Iterable[int],
    *,
    key: str,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    subject: models.Model | None = None,
) -> int:
    """One notice per user for `key`; a key already delivered to a user is skipped."""
    return notify_many([Message(frozenset(user_ids), key, kind, title, body, link, subject)])


def mark_read(user, notice_ids: Iterable[int] | None = None) -> int:
    qs = Notice.objects.filter(recipient=user, read_at__isnull=True)
    if notice_ids is not None:
        qs = qs.filter(pk__in=list(notice_ids))
    return qs.update(read_at=timezone.now())


def send_emails(limit: int = 500) -> int:
    """Email each unsent, unread notice to a recipient with an address; each is claimed once
    (a conditional update), so two ticks at once never send one twice."""
    sent = 0
    notices = list(
        Notice.objects.filter(emailed_at__isnull=True, read_at__isnull=True)
        .exclude(recipient__email="")
        .select_related("recipient")
        .order_by("pk")[:limit]
    )
    for notice in notices:
        claimed = Notice.objects.filter(pk=notice.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed:
            continue
        try:
            send_mail(
                f"【机关党建】{notice.title}",
                f"{notice.title}\n{notice.body}\n\n请登录机关党建工作管理平台查看。",
                None,
                [notice.recipient.email],
            )
            sent += 1
        except OSError:
            # The mail server is down: give the notice back, the next tick tries again.
            Notice.objects.filter(pk=notice.pk).update(emailed_at=None)
            break
    return sent
