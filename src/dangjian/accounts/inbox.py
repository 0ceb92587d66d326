"""The accounts' notice kinds: grant requests and decisions (to the administrators)."""

from django.db import models

from dangjian.notices import registry


class NoticeKind(models.TextChoices):
    GRANT_REQUESTED = "grant_request", "授权申请"
    GRANT_DECIDED = "grant_decided", "授权审批结果"


registry.register_kinds(NoticeKind)
