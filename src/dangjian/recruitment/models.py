"""A development file (发展档案) per person and one dated record per step of the 25."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.crypto import default_keyring
from dangjian.regulations.identity import mask_id_number
from dangjian.regulations.recruitment import LEVEL_LABELS, STAGES, STEPS

STEP_CHOICES = [(s.number, f"{s.number}. {s.label}") for s in STEPS]
LEVEL_CHOICES = list(LEVEL_LABELS.items())


class Applicant(models.Model):
    """A person on the way into the party. Not a member: counted in no roster or statistic.

    The ID number is encrypted at rest with a blind index, as a member's is; `str()` never
    shows the name, so audit events and logs carry the file number only.
    """

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="applicants"
    )
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=8)
    birth_date = models.DateField("出生日期")
    id_number_encrypted = models.TextField(editable=False)
    id_number_index = models.CharField(max_length=64, db_index=True, editable=False)
    stage = models.CharField("阶段", max_length=16, choices=STAGES)
    next_step = models.PositiveSmallIntegerField("下一步骤", default=2)
    leaves_on = models.DateField("预计离开本单位日期", null=True, blank=True)
    member = models.OneToOneField(
        "members.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="development_file",
    )
    closed_on = models.DateField("结束日期", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "发展档案"
        verbose_name_plural = "发展档案"
        indexes = [models.Index(fields=["organization", "stage"])]

    def __str__(self) -> str:
        return f"发展档案#{self.pk}"

    @property
    def id_number(self) -> str:
        return default_keyring().decrypt(self.id_number_encrypted)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    def audit_fields(self) -> dict:
        """Masked, as the auditor may see them (birth year only, last digits of the ID)."""
        return {
            "organization": self.organization_id,
            "gender": self.gender,
            "birth_year": self.birth_date.year,
            "id_number": self.id_number_masked,
            "stage": self.stage,
            "next_step": self.next_step,
            "leaves_on": self.leaves_on,
            "member": self.member_id,
        }


class StepRecord(models.Model):
    """One step done: when, who decided, the proof (a meeting or its vote, linked), the level."""

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="steps")
    step = models.PositiveSmallIntegerField("步骤", choices=STEP_CHOICES)
    done_on = models.DateField("日期")
    decided_by = models.CharField("决定人或决定机构", max_length=100)
    level = models.CharField("办理层级", max_length=16, choices=LEVEL_CHOICES)
    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    vote = models.ForeignKey(
        "meetings.Vote", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Cultivators (step 5) or sponsors (step 9).
    people = models.ManyToManyField("members.Member", blank=True, related_name="+")
    training_days = models.PositiveSmallIntegerField("培训天数", null=True, blank=True)
    training_hours = models.PositiveSmallIntegerField("培训学时", null=True, blank=True)
    publicity_from = models.DateField("公示开始日期", null=True, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)
    warning_reason = models.CharField("例外理由", max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "发展步骤记录"
        verbose_name_plural = "发展步骤记录"
        ordering = ["applicant", "step"]
        constraints = [
            models.UniqueConstraint(fields=["applicant", "step"], name="one_record_per_step"),
            # NULLs do not collide in a unique index on SQLite, PostgreSQL and MariaDB alike;
            # a partial index would be ignored by MariaDB.
            models.UniqueConstraint(fields=["vote"], name="one_candidate_per_vote"),
        ]

    def __str__(self) -> str:
        return f"{self.applicant} 第{self.step}步"


class ProbationExtension(models.Model):
    """延长预备期: decided by the 支部党员大会 (its vote, linked), approved by the 基层党委 above;
    only then does the probation's end move. Once per file (a unique applicant)."""

    applicant = models.OneToOneField(
        Applicant, on_delete=models.CASCADE, related_name="probation_extension"
    )
    months = models.PositiveSmallIntegerField("延长月数")
    decided_on = models.DateField("支部大会决定日期")
    vote = models.OneToOneField(
        "meetings.Vote", on_delete=models.PROTECT, related_name="probation_extension"
    )
    reason = models.CharField("延长理由", max_length=500)
    approved_on = models.DateField("上级党委批准日期", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "延长预备期"
        verbose_name_plural = "延长预备期"

    def __str__(self) -> str:
        return f"{self.applicant} 延长预备期"

    def audit_fields(self) -> dict:
        return {
            "applicant": self.applicant_id,
            "months": self.months,
            "decided_on": self.decided_on,
            "vote": self.vote_id,
            "approved_on": self.approved_on,
        }
