"""Study (学习): the materials library (学习资料库), monthly study topics, and meeting links.

A material (学习资料) is published by an organization to its subtree: members and role holders
inside that subtree read it, and the readers of the publishing organization (the levels above)
see it too. Its extracted text lives in `MaterialText` (kept apart so lists stay light) with the
search terms each database's full-text index reads (`docs/study.md`). Only a per-material total
of openings is kept: who opened what is never stored, nor for how long.
"""

from django.conf import settings
from django.db import models


class MaterialFormat(models.TextChoices):
    DOCX = "docx", "Word"
    PDF = "pdf", "PDF"
    TXT = "txt", "文本"
    DOC = "doc", "Word 97-2003"
    WPS = "wps", "WPS 文字"


class OcrState(models.TextChoices):
    """Text recognition of a scan (无文字层): queued on publishing when tesseract is installed,
    done in the background (`study.jobs`), never in a request."""

    NONE = "", "无"
    PENDING = "pending", "等待文字识别"
    RUNNING = "running", "正在识别文字"
    DONE = "done", "文字由识别得到"
    FAILED = "failed", "未能识别出文字"


# Suggested categories (分类); an organization may use any other name.
DEFAULT_CATEGORIES = (
    "党章党规",
    "理论学习",
    "讲话精神",
    "党史学习",
    "党建业务",
    "廉政教育",
    "业务知识",
)


class Material(models.Model):
    organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="materials",
        verbose_name="发布组织",
    )
    title = models.CharField("标题", max_length=200)
    author = models.CharField("作者", max_length=100, blank=True)
    category = models.CharField("分类", max_length=50, blank=True)
    abstract = models.TextField("摘要", blank=True)
    format = models.CharField("格式", max_length=8, choices=MaterialFormat.choices)
    file = models.FileField(upload_to="study/%Y/%m/", max_length=200)
    original_name = models.CharField("文件名", max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField("大小")
    # The file's SHA-256: the same content is one material per publishing organization, so a
    # folder imported twice adds nothing.
    sha256 = models.CharField(max_length=64)
    pages = models.PositiveIntegerField("页数", null=True, blank=True)
    char_count = models.PositiveIntegerField("字数", default=0)
    # False for a scanned PDF without a text layer (无文字层): kept, shown, but not searchable.
    has_text = models.BooleanField("有文字层", default=True)
    # A scan whose text came (or will come) from OCR: has_text turns True once it is done, and
    # the page says the text may contain recognition errors.
    ocr_state = models.CharField(
        "文字识别", max_length=8, choices=OcrState.choices, blank=True, default=""
    )
    ocr_claimed_at = models.DateTimeField(null=True, blank=True)
    # True when only the first part of a very long text was extracted.
    text_truncated = models.BooleanField(default=False)
    published_on = models.DateField("发布日期")
    # A total per material; no row ever says who opened it.
    open_count = models.PositiveIntegerField("打开次数", default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "学习资料"
        verbose_name_plural = "学习资料"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "sha256"], name="one_material_per_content_per_org"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "published_on"]),
            models.Index(fields=["published_on", "id"]),
            models.Index(fields=["category", "published_on"]),
            models.Index(fields=["ocr_state"]),
        ]

    def __str__(self) -> str:
        return self.title

    def audit_fields(self) -> dict:
        return {
            "organization": self.organization_id,
            "title": self.title,
            "author": self.author,
            "category": self.category,
            "abstract": self.abstract,
            "format": self.format,
            "original_name": self.original_name,
            "size": self.size,
            "sha256": self.sha256,
            "pages": self.pages,
            "has_text": self.has_text,
            "published_on": self.published_on,
        }


class MaterialText(models.Model):
    """The extracted text, the preview of the first pages, and the search terms.

    `title_terms` and `body_terms` hold the jieba tokens of the title and the text, each followed
    by "__" and separated by spaces (`study.text.terms`). SQLite's FTS5, PostgreSQL's tsvector
    and MariaDB's FULLTEXT all read that one format (`docs/study.md` says why the suffix).
    """

    material = models.OneToOneField(
        Material, on_delete=models.CASCADE, primary_key=True, related_name="text"
    )
    text = models.TextField(blank=True)
    # The first pages as blocks: [[{"t": "h"|"p", "x": text} | {"t": "table", "rows": [...]}]]
    preview = models.JSONField(default=list)
    title_terms = models.TextField(blank=True)
    body_terms = models.TextField(blank=True)

    class Meta:
        verbose_name = "资料全文"
        verbose_name_plural = "资料全文"

    def __str__(self) -> str:
        return str(self.material_id)


class MaterialKeyword(models.Model):
    """A material's top jieba TF-IDF keywords: 相关推荐 adds up the weights of shared words."""

    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="keywords")
    word = models.CharField(max_length=32)
    weight = models.FloatField()

    class Meta:
        verbose_name = "关键词"
        verbose_name_plural = "关键词"
        constraints = [
            models.UniqueConstraint(fields=["material", "word"], name="one_keyword_per_material")
        ]
        indexes = [models.Index(fields=["word", "material"])]

    def __str__(self) -> str:
        return self.word


class StudyTopic(models.Model):
    """A month's study topic (月度学习主题) of a 机关党委 or a branch, with its materials."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+", verbose_name="组织"
    )
    month = models.DateField("月份")  # the first day of the month
    title = models.CharField("学习主题", max_length=200)
    note = models.TextField("说明", blank=True)
    materials = models.ManyToManyField(Material, related_name="topics", verbose_name="学习资料")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "月度学习主题"
        verbose_name_plural = "月度学习主题"
        constraints = [
            models.UniqueConstraint(fields=["organization", "month"], name="one_topic_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y年%m月} {self.title}"


class MeetingMaterial(models.Model):
    """A material a meeting's topic studied (kept on the study side; meetings is not touched)."""

    meeting = models.ForeignKey("meetings.Meeting", on_delete=models.CASCADE, related_name="+")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="meeting_links")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "会议学习资料"
        verbose_name_plural = "会议学习资料"
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "material"], name="one_link_per_meeting_material"
            )
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.material_id}"


from dangjian.study.training_models import (  # noqa: E402  (the hours and training models)
    CONCENTRATED_KINDS,
    CadreTrainingPlan,
    ExpectedPost,
    ExternalStatus,
    ExternalTraining,
    MeetingStudyHours,
    Participant,
    Training,
    TrainingKind,
)

__all__ = [
    "CONCENTRATED_KINDS",
    "DEFAULT_CATEGORIES",
    "CadreTrainingPlan",
    "ExpectedPost",
    "ExternalStatus",
    "ExternalTraining",
    "Material",
    "MaterialFormat",
    "MaterialKeyword",
    "MaterialText",
    "MeetingMaterial",
    "MeetingStudyHours",
    "Participant",
    "StudyTopic",
    "Training",
    "TrainingKind",
]
