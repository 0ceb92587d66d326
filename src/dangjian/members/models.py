"""Party members: identity (encrypted at rest), membership dates, and where they belong."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.core.clock import today
from dangjian.core.models import DatedSpell
from dangjian.crypto import default_keyring
from dangjian.regulations.identity import mask_id_number, mask_phone


class Gender(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class MemberStatus(models.TextChoices):
    FULL = "full", "正式党员"
    PROBATIONARY = "probationary", "预备党员"


class MemberCategory(models.TextChoices):
    EMPLOYED = "employed", "在职"
    RETIRED = "retired", "离退休"
    OTHER = "other", "其他"


class Education(models.TextChoices):
    POSTGRADUATE = "postgraduate", "研究生"
    UNIVERSITY = "university", "大学本科"
    COLLEGE = "college", "大学专科"
    SECONDARY = "secondary", "中专/高中"
    BASIC = "basic", "初中及以下"


class DatePrecision(models.TextChoices):
    DAY = "day", "日"
    MONTH = "month", "月"


class LeaveReason(models.TextChoices):
    """Why a member no longer counts anywhere on the platform (党籍 ended or held in abeyance)."""

    DIED = "died", "去世"
    EXPELLED = "expelled", "开除党籍"
    REMOVED = "removed", "除名"
    WITHDREW = "withdrew", "退党"
    SUSPENDED = "suspended", "停止党籍"
    TRANSFERRED_OUT = "transferred_out", "组织关系转出"


class MemberQuerySet(models.QuerySet):
    def current(self) -> MemberQuerySet:
        """Members who belong today: not left (see `Member.left_on`)."""
        return self.filter(left_on__isnull=True)


class Member(models.Model):
    name = models.CharField("姓名", max_length=50)
    # Search keys derived from the name: full pinyin and initials ("zs" finds 张三).
    name_pinyin = models.CharField(max_length=200, db_index=True, editable=False)
    name_initials = models.CharField(max_length=50, db_index=True, editable=False)
    gender = models.CharField("性别", max_length=8, choices=Gender.choices)
    birth_date = models.DateField("出生日期")
    ethnicity = models.CharField("民族", max_length=20, default="汉族")
    education = models.CharField("学历", max_length=20, choices=Education.choices, blank=True)
    # SM4-encrypted values and HMAC-SM3 blind indexes; plaintext never touches the database.
    id_number_encrypted = models.TextField(editable=False)
    id_number_index = models.CharField(max_length=64, unique=True, editable=False)
    phone_encrypted = models.TextField(blank=True, editable=False)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    # 工号 from the organ's payroll office (optional): an identifier that links the member to
    # HR and payroll records, so it is kept like the phone (SM4 + blind index, docs/privacy.md).
    # Not unique: two organs' payroll offices may hand out the same number.
    employee_number_encrypted = models.TextField(blank=True, default="", editable=False)
    employee_number_index = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name="所在支部",
    )
    party_group = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="group_members",
        verbose_name="党小组",
    )
    status = models.CharField("党员状态", max_length=16, choices=MemberStatus.choices)
    category = models.CharField(
        "人员类别", max_length=16, choices=MemberCategory.choices, default=MemberCategory.EMPLOYED
    )
    admitted_on = models.DateField("入党时间")
    confirmed_on = models.DateField("转正时间", null=True, blank=True)
    # Old rosters often know only the month ("1990年5月"); the date then holds the 1st and the
    # precision says so, so no day is invented.
    admitted_on_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    confirmed_on_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    probation_ends_on = models.DateField("预备期满", null=True, blank=True)
    job_title = models.CharField("工作岗位", max_length=100, blank=True)
    # Since when this organization keeps the member's organizational life: the day the record
    # entered the platform or the member moved in. The 党章 第九条 six-month count starts no
    # earlier, so a roster imported today does not make every long-standing member "lapsed".
    org_since = models.DateField("本组织记录起始日", default=today)
    # The day the member stopped counting (death, 除名, 退党, 停止党籍, transfer out): from this
    # day on they are in no roster; the history (MembershipSpell) keeps where they were before.
    left_on = models.DateField("离开日期", null=True, blank=True)
    left_reason = models.CharField(
        "离开原因", max_length=16, choices=LeaveReason.choices, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The roster import's proof that this record is what a given row makes of it: a keyed
    # HMAC-SM3 over the row's cells *and* the record's imported fields as written
    # (members/roster/digest.py). A re-import skips a row whose digest matches; any later
    # write to those fields, by any path, makes the digest stop matching. Never personal data.
    import_digest = models.CharField(
        max_length=64, blank=True, default="", db_default="", editable=False
    )

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = "党员"
        verbose_name_plural = "党员"
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return self.name

    @property
    def admitted_on_display(self) -> str:
        return _partial(self.admitted_on, self.admitted_on_precision)

    @property
    def confirmed_on_display(self) -> str:
        return _partial(self.confirmed_on, self.confirmed_on_precision)

    def remember_plaintext(self, id_number: str, phone: str) -> None:
        """Keep the values just encrypted, so masking them for the audit log needs no decryption."""
        self._plaintext = (self.id_number_encrypted, id_number, self.phone_encrypted, phone)

    @property
    def id_number(self) -> str:
        cached = getattr(self, "_plaintext", None)
        if cached is not None and cached[0] == self.id_number_encrypted:
            return cached[1]
        return default_keyring().decrypt(self.id_number_encrypted)

    @property
    def phone(self) -> str:
        cached = getattr(self, "_plaintext", None)
        if cached is not None and cached[2] == self.phone_encrypted:
            return cached[3]
        return default_keyring().decrypt(self.phone_encrypted)

    @property
    def employee_number(self) -> str:
        if not self.employee_number_encrypted:
            return ""
        return default_keyring().decrypt(self.employee_number_encrypted)

    # What the edit form shows for a stored 工号 (no digit of it); sent back unchanged it means
    # "keep the stored one".
    EMPLOYEE_NUMBER_MASK = "******"

    @property
    def employee_number_state(self) -> str:
        """What the audit log and readers without the reveal permission learn: whether there is
        one. No digit is shown: a short number with a few digits kept is most of the number."""
        return "已登记" if self.employee_number_encrypted else ""

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone) if self.phone_encrypted else ""

    @property
    def birth_year(self) -> int:
        """What a reader without the reveal permission is shown of the birth date: the full
        date is digits 7–14 of the ID number (docs/privacy.md)."""
        return self.birth_date.year

    def audit_fields(self) -> dict:
        """The fields an audit event records; sensitive values are masked here, once.

        The auditor may not reveal, so the log shows what such a reader sees: the ID number's
        last 4 digits and the birth year (the full birth date would give digits 7–14 away).
        """
        fields = {
            "name": self.name,
            "gender": self.gender,
            "birth_year": self.birth_year,
            "ethnicity": self.ethnicity,
            "education": self.education,
            "id_number": self.id_number_masked,
            "phone": self.phone_masked,
            "organization": self.organization_id,
            "party_group": self.party_group_id,
            "status": self.status,
            "category": self.category,
            "admitted_on": self.admitted_on_display,
            "confirmed_on": self.confirmed_on_display,
            "job_title": self.job_title,
            "left_on": self.left_on,
            "left_reason": self.left_reason,
        }
        if self.employee_number_encrypted:
            # Whether there is one, never the number (docs/privacy.md).
            fields["employee_number"] = self.employee_number_state
        return fields


def _partial(value, precision: str) -> str:
    if value is None:
        return ""
    if precision == DatePrecision.MONTH:
        return value.strftime("%Y-%m")
    return value.isoformat()


class SpellEvent(models.TextChoices):
    """What opened or closed a spell of membership."""

    ADMITTED = "admitted", "接收为预备党员"
    CONFIRMED = "confirmed", "转为正式党员"
    EXTENDED = "extended", "延长预备期"
    MOVED = "moved", "调动"
    TRANSFERRED_IN = "transferred_in", "组织关系转入"
    RESTORED = "restored", "恢复党籍"
    CORRECTED = "corrected", "更正"
    # Why a spell closed when the member left: the LeaveReason codes.
    DIED = "died", "去世"
    EXPELLED = "expelled", "开除党籍"
    REMOVED = "removed", "除名"
    WITHDREW = "withdrew", "退党"
    SUSPENDED = "suspended", "停止党籍"
    TRANSFERRED_OUT = "transferred_out", "组织关系转出"


class MembershipSpell(DatedSpell):
    """One stretch of time during which a member belonged to one organization with one status.

    Both ends are days inside the spell (`ended_on` is the last day, null while it lasts), as for
    posts. A member's spells never overlap; a confirmation, an extension of probation or a move
    closes one spell on the day before and opens the next on the day itself. Written only by
    members.services and the roster import (docs/membership-history.md).
    """

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="spells")
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=16, choices=MemberStatus.choices)
    start_reason = models.CharField(max_length=16, choices=SpellEvent.choices)
    end_reason = models.CharField(max_length=16, choices=SpellEvent.choices, blank=True)

    class Meta:
        verbose_name = "党籍与组织关系记录"
        verbose_name_plural = "党籍与组织关系记录"
        indexes = [
            models.Index(fields=["member", "started_on"]),
            models.Index(fields=["started_on", "ended_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.organization_id} {self.status} {self.started_on}–{self.ended_on or ''}"


class ImportMode(models.TextChoices):
    STRICT = "strict", "严格模式（有任何错误行则全部不导入）"
    PARTIAL = "partial", "部分导入（导入正确的行，错误行可下载修改后重新导入）"


class ImportStatus(models.TextChoices):
    PREVIEWING = "previewing", "正在检查"
    PREVIEWED = "previewed", "检查完成，待确认"
    IMPORTING = "importing", "正在导入"
    DONE = "done", "导入完成"
    FAILED = "failed", "失败"
    CANCELLED = "cancelled", "已取消"


class ImportJob(models.Model):
    """One roster upload: its preview (dry run), the user's confirmation and the result."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(max_length=255)
    stored_name = models.CharField(max_length=100)
    sheet = models.CharField(max_length=100, blank=True)
    mode = models.CharField(max_length=10, choices=ImportMode.choices, default=ImportMode.STRICT)
    allow_moves = models.BooleanField(default=False)
    status = models.CharField(
        max_length=12, choices=ImportStatus.choices, default=ImportStatus.PREVIEWING
    )
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    preview = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "花名册导入"
        verbose_name_plural = "花名册导入"

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def running(self) -> bool:
        return self.status in {ImportStatus.PREVIEWING, ImportStatus.IMPORTING}

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, int(self.progress_done * 100 / self.progress_total))
