"""A notice in a user's inbox. Generic: no foreign key to any domain app's records."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.notices.registry import KIND_LENGTH, kind_label


class NoticeQuerySet(models.QuerySet):
    def about(self, record: models.Model) -> NoticeQuerySet:
        """The notices about one record (a work item, a meeting...)."""
        return self.filter(subject_type=record._meta.label_lower, subject_id=record.pk)


class Notice(models.Model):
    """One line in a user's inbox. `key` makes every notice idempotent: `tick` twice sends once.

    `kind` is a code whose label the sending app registers (`registry.register_kinds`); `link`
    is the page the notice points at; `subject_type`/`subject_id` name the record it is about
    (`app_label.model`, as audit events do), when there is one.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    key = models.CharField(max_length=100)
    kind = models.CharField(max_length=KIND_LENGTH)
    subject_type = models.CharField(max_length=64, blank=True, default="")
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    link = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=200)
    body = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        # The table the notices had when they lived in `duties`: moving the model moved no row.
        db_table = "duties_notice"
        verbose_name = "消息"
        verbose_name_plural = "消息"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="unique_notice_key")
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="duties_noti_recipie_6b6f5b_idx")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)
