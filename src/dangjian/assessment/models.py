"""Assessment (考核评价): a yearly scheme of an assessing organization, its indicator tree, its
targets, and what scores them: frozen snapshots of computed indicators, manual scores, 述职评议
vote tallies, imported business scores and veto items (docs/assessment.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.orgs.models import OrgKind, PostKind

# Posts whose holders a scheme may assess (one holder per organization).
TARGET_POSTS = [(PostKind.SECRETARY.value, PostKind.SECRETARY.label)]


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    FROZEN = "frozen", "已冻结"
    FINAL = "final", "已定档"


class Part(models.TextChoices):
    PARTY = "party", "党建工作"
    BUSINESS = "business", "业务绩效"


class SourceKind(models.TextChoices):
    GROUP = "group", "分组（由下级指标合成）"
    COMPUTED = "computed", "记录自动计算"
    MANUAL = "manual", "考核组评分"
    VOTES = "votes", "述职评议投票"
    IMPORTED = "imported", "业务绩效导入"


class Scheme(models.Model):
    """One assessing organization's assessment of a year (考核方案)."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="assessment_schemes"
    )
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("方案名称", max_length=100)
    target_kind = models.CharField("考核对象", max_length=32, choices=OrgKind.choices)
    # Blank: the organizations of `target_kind` are assessed. A post (书记): the holders of that
    # post in those organizations are (述职评议), each graded only, never ranked.
    target_post = models.CharField(
        "考核对象（按职务）", max_length=16, blank=True, choices=TARGET_POSTS
    )
    party_weight = models.PositiveSmallIntegerField("党建工作权重（%）")
    business_weight = models.PositiveSmallIntegerField("业务绩效权重（%）")
    # [[name, minimum], ...] best first, minimums strictly decreasing, the last 0.
    grades = models.JSONField("等次分数线")
    # {"好": 100, "较好": 80, "一般": 60, "差": 0}: a ballot's points on 0–100.
    vote_points = models.JSONField("评议票分值")
    status = models.CharField(
        "状态", max_length=16, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    frozen_at = models.DateTimeField("冻结时间", null=True, blank=True)
    # The day the results were shown to the targets: appeals run from it (working days).
    results_published_on = models.DateField("结果公布日期", null=True, blank=True)
    finalized_at = models.DateTimeField("定档时间", null=True, blank=True)

    class Meta:
        verbose_name = "考核方案"
        verbose_name_plural = "考核方案"
        ordering = ["-year", "pk"]
        indexes = [models.Index(fields=["organization", "year"])]

    def __str__(self) -> str:
        return f"考核方案#{self.pk}"

    def audit_fields(self) -> dict:
        return {
            "organization": self.organization_id,
            "year": self.year,
            "title": self.title,
            "target_kind": self.target_kind,
            "target_post": self.target_post,
            "party_weight": self.party_weight,
            "business_weight": self.business_weight,
            "grades": self.grades,
            "vote_points": self.vote_points,
            "status": self.status,
        }

    @property
    def of_people(self) -> bool:
        """Post holders are assessed (述职评议): grades only, no order by score."""
        return bool(self.target_post)

    @property
    def targets_label(self) -> str:
        kind = self.get_target_kind_display()
        return f"{kind}{self.get_target_post_display()}" if self.target_post else kind

    @property
    def grade_names(self) -> list[str]:
        return [str(name) for name, _ in self.grades]


class Indicator(models.Model):
    """A node of the indicator tree. Siblings' weights sum to 100 (the top level per part);
    a group is scored from its children, a leaf from its source."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="indicators")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    part = models.CharField("类别", max_length=16, choices=Part.choices)
    title = models.CharField("指标", max_length=100)
    description = models.CharField("说明", max_length=500, blank=True)
    weight = models.DecimalField("权重（%）", max_digits=5, decimal_places=2)
    max_score = models.DecimalField("满分", max_digits=6, decimal_places=2, default=100)
    source_kind = models.CharField("评分方式", max_length=16, choices=SourceKind.choices)
    source_key = models.CharField("数据来源", max_length=40, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "考核指标"
        verbose_name_plural = "考核指标"
        ordering = ["scheme", "part", "position", "pk"]

    def __str__(self) -> str:
        return f"考核指标#{self.pk}"

    def audit_fields(self) -> dict:
        return {
            "scheme": self.scheme_id,
            "parent": self.parent_id,
            "part": self.part,
            "title": self.title,
            "description": self.description,
            "weight": self.weight,
            "max_score": self.max_score,
            "source_kind": self.source_kind,
            "source_key": self.source_key,
        }


class Target(models.Model):
    """An organization the scheme assesses, with its result once the scheme is final."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="targets")
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="assessment_targets"
    )
    # When the scheme assesses a post's holders: the holder when the scheme was made.
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    self_assessment = models.TextField("自评", max_length=2000, blank=True)
    # Kept when the scheme is finalized (the result as published).
    score = models.DecimalField("综合得分", max_digits=6, decimal_places=2, null=True, blank=True)
    grade = models.CharField("等次", max_length=10, blank=True)

    class Meta:
        verbose_name = "考核对象"
        verbose_name_plural = "考核对象"
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "organization"], name="assessment_one_target_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"考核对象#{self.pk}"

    @property
    def label(self) -> str:
        """The organization, or the post holder and their post (names for those who may see
        the target at all: the person and the assessing organization)."""
        if self.member_id is None:
            return self.organization.name
        post = self.scheme.get_target_post_display()
        return f"{self.organization.name}{post}{self.member.name}"


class Snapshot(models.Model):
    """A computed source's value for a target as frozen, with the inputs behind it. Kept once
    per source: every indicator of the scheme built on that source reads it."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="snapshots")
    source_key = models.CharField("数据来源", max_length=40)
    value = models.DecimalField("数值", max_digits=7, decimal_places=2, null=True)
    method = models.CharField("计算方法", max_length=300)
    inputs = models.JSONField("依据记录", default=list)
    frozen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "指标快照"
        verbose_name_plural = "指标快照"
        constraints = [
            models.UniqueConstraint(fields=["target", "source_key"], name="assessment_one_snapshot")
        ]

    def __str__(self) -> str:
        return f"指标快照#{self.pk}"


class ManualScore(models.Model):
    """The assessing group's score of a manual indicator for a target, with its comment."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="manual_scores")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    score = models.DecimalField("得分", max_digits=6, decimal_places=2)
    comment = models.CharField("评分说明", max_length=500)
    evidence = models.CharField("佐证记录", max_length=200, blank=True)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    scored_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "考核评分"
        verbose_name_plural = "考核评分"
        constraints = [
            models.UniqueConstraint(fields=["target", "indicator"], name="assessment_one_manual")
        ]

    def __str__(self) -> str:
        return f"考核评分#{self.pk}"


class ReportAppraisalTally(models.Model):
    """述职评议: the ballots of a sitting for a target, entered as tallies (as on paper)."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="tallies")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    attendees = models.PositiveIntegerField("到会人数")
    good = models.PositiveIntegerField("好", default=0)
    fairly_good = models.PositiveIntegerField("较好", default=0)
    average = models.PositiveIntegerField("一般", default=0)
    poor = models.PositiveIntegerField("差", default=0)
    held_on = models.DateField("评议日期")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "述职评议计票"
        verbose_name_plural = "述职评议计票"
        constraints = [
            models.UniqueConstraint(fields=["target", "indicator"], name="assessment_one_tally")
        ]

    def __str__(self) -> str:
        return f"述职评议计票#{self.pk}"

    @property
    def counts(self) -> dict[str, int]:
        return {"好": self.good, "较好": self.fairly_good, "一般": self.average, "差": self.poor}


class ImportedScore(models.Model):
    """A business-performance score (业务绩效) from the organ's own appraisal system."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="imported")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    value = models.DecimalField("得分", max_digits=6, decimal_places=2)
    source_name = models.CharField("来源文件", max_length=200, blank=True)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "业务绩效得分"
        verbose_name_plural = "业务绩效得分"
        constraints = [
            models.UniqueConstraint(fields=["target", "indicator"], name="assessment_one_import")
        ]

    def __str__(self) -> str:
        return f"业务绩效得分#{self.pk}"


class Veto(models.Model):
    """一票否决: caps a target's grade, with its reason recorded."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="vetoes")
    cap = models.CharField("最高等次", max_length=10)
    reason = models.CharField("否决事由", max_length=500)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "一票否决"
        verbose_name_plural = "一票否决"

    def __str__(self) -> str:
        return f"一票否决#{self.pk}"


class AppealStatus(models.TextChoices):
    PENDING = "pending", "待处理"
    UPHELD = "upheld", "申诉成立"
    REJECTED = "rejected", "维持原结果"


class Appeal(models.Model):
    """申诉: a target's objection to its result, filed within the pack's working days of the
    results' publication and decided by the assessing committee with a reason."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="appeals")
    reason = models.CharField("申诉理由", max_length=1000)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    filed_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        "处理结果", max_length=16, choices=AppealStatus.choices, default=AppealStatus.PENDING
    )
    decision = models.CharField("处理意见", max_length=1000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "考核申诉"
        verbose_name_plural = "考核申诉"

    def __str__(self) -> str:
        return f"考核申诉#{self.pk}"


class Sitting(models.Model):
    """A 述职评议 sitting whose ballots are cast on phones (手机评议): open while the sitting is
    held, closed by the assessing committee, which turns its counts into each target's tally.

    Anonymous by construction: who voted (`SittingVoter`, to allow one ballot each) and what was
    voted (`SittingCount`, counters only, no row per ballot and no time) are kept apart, so no
    record links a person to a choice."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="sittings")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    held_on = models.DateField("评议日期")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "手机评议"
        verbose_name_plural = "手机评议"

    def __str__(self) -> str:
        return f"手机评议#{self.pk}"


class SittingVoter(models.Model):
    """That a user has voted in a sitting (never what)."""

    sitting = models.ForeignKey(Sitting, on_delete=models.CASCADE, related_name="voters")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sitting", "user"], name="assessment_one_ballot_each")
        ]

    def __str__(self) -> str:
        return f"评议投票人#{self.pk}"


class SittingCount(models.Model):
    """How many ballots gave `choice` to `target` in a sitting (a counter, never a ballot)."""

    sitting = models.ForeignKey(Sitting, on_delete=models.CASCADE, related_name="counts")
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="+")
    choice = models.CharField(max_length=8)
    n = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sitting", "target", "choice"], name="assessment_one_counter_per_choice"
            )
        ]

    def __str__(self) -> str:
        return f"评议计数#{self.pk}"


class EvidenceKind(models.TextChoices):
    MEETING = "meeting", "会议记录"
    WORK_ITEM = "work_item", "工作任务"
    DOCUMENT = "document", "上传材料"


class SelfEvidence(models.Model):
    """A record the target's self-assessment rests on, linked (never retyped or uploaded again):
    a held meeting, a work item, or a file uploaded as a work item's evidence, each of the
    target organization's subtree (`assessment.evidence`)."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="self_evidence")
    kind = models.CharField("类型", max_length=16, choices=EvidenceKind.choices)
    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    work_item = models.ForeignKey(
        "duties.WorkItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    document = models.ForeignKey(
        "duties.Evidence", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField("说明", max_length=200, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "自评佐证"
        verbose_name_plural = "自评佐证"
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"自评佐证#{self.pk}"

    @property
    def record_id(self) -> int | None:
        return self.meeting_id or self.work_item_id or self.document_id

    def audit_fields(self) -> dict:
        return {
            "target": self.target_id,
            "kind": self.kind,
            "record": self.record_id,
            "note": self.note,
        }
