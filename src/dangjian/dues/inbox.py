"""What dues put in the inbox: the arrears early warning and the six-month lapse."""

from __future__ import annotations

from django.db import models

from dangjian.notices.registry import register_kinds


class NoticeKind(models.TextChoices):
    ARREARS = "dues_arrears", "党费欠交提醒"
    LAPSE = "dues_lapse", "连续6个月未交党费"


register_kinds(NoticeKind)
