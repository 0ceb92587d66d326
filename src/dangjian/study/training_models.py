"""Study hours and training (培训): a meeting's own hours, trainings, external trainings and
the yearly cadre training plan. Imported by models.py (one app, two files to stay short)."""

from django.conf import settings
from django.db import models


class MeetingStudyHours(models.Model):
    """A meeting's own study hours from its start and end (over the pack's default per kind).

    Kept on the study side, like MeetingMaterial: the meetings code is not touched."""

    meeting = models.OneToOneField(
        "meetings.Meeting", on_delete=models.CASCADE, related_name="study_hours"
    )
    ends_at = models.DateTimeField("结束时间")
    hours = models.DecimalField("学时", max_digits=4, decimal_places=1)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "会议学时"
        verbose_name_plural = "会议学时"

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.hours}"


class TrainingKind(models.TextChoices):
    INDUCTION = "induction", "任职培训"
    CONCENTRATED = "concentrated", "集中培训"
    OTHER = "other", "专题培训"


# Kinds that are a concentrated training for the cadres' "至少参加1次集中培训".
CONCENTRATED_KINDS = (TrainingKind.INDUCTION, TrainingKind.CONCENTRATED)


class ExpectedPost(models.TextChoices):
    NONE = "", "按姓名指定"
    NEW_SECRETARY = "new_secretary", "新任书记"
    SECRETARY = "secretary", "书记"
    ORGANIZATION_OFFICER = "organization_officer", "组织委员"
    PUBLICITY_OFFICER = "publicity_officer", "宣传委员"
    DISCIPLINE_OFFICER = "discipline_officer", "纪检委员"
    COMMITTEE = "committee", "全体支委"


class Training(models.Model):
    """A training course (培训班) planned by a 机关党委 or the 机关工委."""

    organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="trainings",
        verbose_name="组织单位",
    )
    title = models.CharField("培训班名称", max_length=200)
    organizer = models.CharField("主办单位", max_length=100)
    kind = models.CharField("类别", max_length=16, choices=TrainingKind.choices)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    hours = models.DecimalField("学时", max_digits=5, decimal_places=1)
    place = models.CharField("地点", max_length=200, blank=True)
    capacity = models.PositiveIntegerField("名额", null=True, blank=True)
    expected_post = models.CharField(
        "参训对象（按职务）", max_length=24, choices=ExpectedPost.choices, blank=True
    )
    completed_at = models.DateTimeField("结业登记时间", null=True, blank=True)
    # Sent down for nominations (推荐参训): each branch of the subtree gets a work item and may
    # name up to `nomination_quota` of its members by `nominations_due` (services_nominations).
    nomination_quota = models.PositiveSmallIntegerField("各支部推荐名额", null=True, blank=True)
    nominations_due = models.DateField("推荐截止日期", null=True, blank=True)
    nomination_item = models.ForeignKey(
        "duties.WorkItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "培训班"
        verbose_name_plural = "培训班"
        indexes = [models.Index(fields=["organization", "starts_on"])]

    def __str__(self) -> str:
        return self.title

    def audit_fields(self) -> dict:
        return {
            "organization": self.organization_id,
            "title": self.title,
            "organizer": self.organizer,
            "kind": self.kind,
            "starts_on": self.starts_on,
            "ends_on": self.ends_on,
            "hours": str(self.hours),
            "place": self.place,
            "capacity": self.capacity,
            "expected_post": self.expected_post,
            "nomination_quota": self.nomination_quota,
            "nominations_due": self.nominations_due,
        }


class Participant(models.Model):
    """One person expected at a training; completed unless marked otherwise (by exception)."""

    training = models.ForeignKey(Training, on_delete=models.CASCADE, related_name="participants")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    completed = models.BooleanField("结业", default=True)
    note = models.CharField("说明", max_length=200, blank=True)
    certificate = models.CharField(max_length=200, blank=True)  # stored file name
    certificate_name = models.CharField("结业证书", max_length=255, blank=True)
    certificate_type = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = "参训人员"
        verbose_name_plural = "参训人员"
        constraints = [
            models.UniqueConstraint(fields=["training", "member"], name="one_seat_per_member")
        ]
        indexes = [models.Index(fields=["member", "completed"])]

    def __str__(self) -> str:
        return f"{self.training_id}:{self.member_id}"


class ExternalStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已认定"
    REJECTED = "rejected", "未认定"


class ExternalTraining(models.Model):
    """A training outside the platform (党校, 干部学院, a recognised online course): recorded
    by the member or the secretary with evidence; its hours count once the branch approves."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("培训名称", max_length=200)
    provider = models.CharField("举办机构", max_length=100)
    concentrated = models.BooleanField("集中培训", default=False)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    hours = models.DecimalField("学时", max_digits=5, decimal_places=1)
    evidence = models.CharField(max_length=200)  # stored file name
    evidence_name = models.CharField("证明材料", max_length=255)
    evidence_type = models.CharField(max_length=100)
    status = models.CharField(
        "状态", max_length=10, choices=ExternalStatus.choices, default=ExternalStatus.PENDING
    )
    decision_note = models.CharField("审核意见", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "外部培训"
        verbose_name_plural = "外部培训"
        indexes = [models.Index(fields=["member", "status"])]

    def __str__(self) -> str:
        return self.title

    def audit_fields(self) -> dict:
        return {
            "member": self.member_id,
            "title": self.title,
            "provider": self.provider,
            "concentrated": self.concentrated,
            "starts_on": self.starts_on,
            "ends_on": self.ends_on,
            "hours": str(self.hours),
            "status": self.status,
        }


class CadreTrainingPlan(models.Model):
    """The yearly party-affairs cadre training plan (党务干部培训规划) of a 机关党委."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name="机关党委"
    )
    year = models.PositiveSmallIntegerField("年度")
    secretaries = models.TextField("支部书记培训安排", blank=True)
    committee_members = models.TextField("支委培训安排", blank=True)
    staff = models.TextField("专职党务干部培训安排", blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "党务干部培训规划"
        verbose_name_plural = "党务干部培训规划"
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="one_plan_per_org_year")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}:{self.year}"

    def audit_fields(self) -> dict:
        return {
            "organization": self.organization_id,
            "year": self.year,
            "secretaries": self.secretaries,
            "committee_members": self.committee_members,
            "staff": self.staff,
        }
