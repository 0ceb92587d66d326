"""Anchoring the audit chain outside the database (docs/audit.md "The anchor").

The head row and the events live in one database: someone who can write it can delete the newest
events and set the head back to an earlier event, and the chain still verifies. So the head
(sequence, hash, time) is also written, daily and on demand, to a place the database cannot
reach: an append-only file of JSON lines (one head per line), and optionally syslog. A later
`verify_anchors` fails if the chain is shorter than, or differs from, any head written there.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import syslog
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from dangjian.audit.models import AuditEvent, AuditHead

GENESIS = "0" * 64


class AnchorError(Exception):
    """An anchor file that cannot be written or read; the message is Chinese, for the operator."""


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: str  # ISO time the head was read, Beijing time

    def line(self) -> str:
        return json.dumps({"seq": self.seq, "hash": self.hash, "at": self.at}, sort_keys=True)


def current_head() -> Anchor:
    head = AuditHead.objects.filter(pk=1).first()
    at = timezone.localtime().replace(microsecond=0).isoformat()
    if head is None:
        return Anchor(0, GENESIS, at)
    return Anchor(head.seq, head.last_hash, at)


def configured_path() -> Path | None:
    raw = getattr(settings, "AUDIT_ANCHOR_FILE", "") or ""
    return Path(raw) if raw else None


def write_anchor(path: Path | None = None, *, to_syslog: bool | None = None) -> Anchor:
    """Append the current head to `path` (default: the setting) and, if asked, to syslog."""
    path = path or configured_path()
    use_syslog = settings.AUDIT_ANCHOR_SYSLOG if to_syslog is None else to_syslog
    if path is None and not use_syslog:
        raise AnchorError("未配置锚定位置：请用 --file 指定文件，或设置 DANGJIAN_AUDIT_ANCHOR_FILE")
    anchor = current_head()
    if path is not None:
        try:
            # O_APPEND: an anchor is only ever added; 0600: the file names no person but is the
            # auditor's evidence.
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as out:
                out.write(anchor.line() + "\n")
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise AnchorError(f"无法写入锚定文件 {path}：{exc.strerror}") from None
    if use_syslog:
        syslog.openlog("dangjian-audit", 0, syslog.LOG_AUTHPRIV)
        syslog.syslog(syslog.LOG_NOTICE, f"audit anchor {anchor.line()}")
    return anchor


def read_anchors(path: Path) -> list[Anchor]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AnchorError(f"无法读取锚定文件 {path}：{exc.strerror}") from None
    anchors = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            anchors.append(Anchor(int(data["seq"]), str(data["hash"]), str(data.get("at", ""))))
        except (ValueError, KeyError, TypeError):
            raise AnchorError(f"锚定文件 {path} 第 {number} 行格式不正确") from None
    return anchors


def anchored_today(path: Path, now: dt.datetime) -> bool:
    """Whether the file already holds a head written on `now`'s Beijing date."""
    if not path.exists():
        return False
    day = timezone.localtime(now).date().isoformat()
    return any(a.at.startswith(day) for a in read_anchors(path))


def check_anchors(anchors: list[Anchor]) -> str:
    """The first anchored head the chain does not reach or does not match ("" when all fit)."""
    if not anchors:
        return ""
    wanted = {a.seq: a for a in anchors if a.seq > 0}
    last_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    for seq, anchor in sorted(wanted.items()):
        if seq > last_seq:
            return (
                f"锚定记录（{anchor.at}）的链尾为 #{seq}，数据库中只到 #{last_seq}"
                "（末尾事件被删除）"
            )
    found = dict(AuditEvent.objects.filter(seq__in=list(wanted)).values_list("seq", "hash"))
    for seq, anchor in sorted(wanted.items()):
        if found.get(seq) != anchor.hash:
            return f"事件 #{seq} 与锚定记录（{anchor.at}）的哈希不一致（被改写或删除）"
    return ""
