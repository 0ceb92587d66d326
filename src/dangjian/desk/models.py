"""An inspection dossier (台账) asked for: who asked, for which organization and period, how far
the background job got, and where its encrypted .zip is kept."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.regulations.periods import cn_date

NO_OFFICE = "服务器未安装 LibreOffice，无法转换为 PDF，仅提供 .docx 版本"
PDF_FAILED = "LibreOffice 未能将台账转换为 PDF，仅提供 .docx 版本"


class DossierStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    BUILDING = "building", "生成中"
    READY = "ready", "已生成"
    FAILED = "failed", "生成失败"
    REMOVED = "removed", "已清理"


class Dossier(models.Model):
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name="组织"
    )
    starts_on = models.DateField("起始日期")
    ends_on = models.DateField("截止日期")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(
        "状态", max_length=12, choices=DossierStatus.choices, default=DossierStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    stored_name = models.CharField(max_length=64, blank=True)
    sha256 = models.CharField("文件摘要", max_length=64, blank=True)
    # What the dossier was built from: per section its files' and its records' SHA-256, the audit
    # chain head at the time (the same JSON is manifest.json inside the .zip).
    manifest = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"台账 {self.organization_id} {self.starts_on}–{self.ends_on}"

    @property
    def period_label(self) -> str:
        return f"{cn_date(self.starts_on)}至{cn_date(self.ends_on)}"

    @property
    def pdf_note(self) -> str:
        """Why a built dossier has no PDF beside its .docx ("" when it has one)."""
        pdf = (self.manifest or {}).get("pdf")
        if pdf is None:
            return "该台账生成时尚未提供 PDF 版本，请重新生成"
        return "" if pdf.get("available") else pdf.get("note") or NO_OFFICE
