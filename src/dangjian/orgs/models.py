"""Organization tree (materialized path), its dated history, posts and committee terms."""

from django.db import models
from treebeard.mp_tree import MP_Node

from dangjian.core.models import DatedSpell


class OrgKind(models.TextChoices):
    WORKING_COMMITTEE = "working_committee", "机关工委"
    LEADING_GROUP = "leading_group", "部门党组（党委）"
    ORGAN_COMMITTEE = "organ_committee", "机关党委"
    ORGAN_DISCIPLINE_COMMITTEE = "organ_discipline_committee", "机关纪委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    PARTY_GROUP = "party_group", "党小组"


# Members' organization relationship (组织关系) is held by a branch; party groups subdivide it.
MEMBER_HOLDING_KINDS = {OrgKind.BRANCH}


class Organization(MP_Node):
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("组织类型", max_length=32, choices=OrgKind.choices)
    code = models.CharField("组织编码", max_length=32, unique=True)
    term_started_on = models.DateField("本届任期开始", null=True, blank=True)
    term_ends_on = models.DateField("本届任期届满", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    node_order_by = ["code"]

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"

    def __str__(self) -> str:
        return self.name

    @property
    def is_branch(self) -> bool:
        return self.kind == OrgKind.BRANCH

    def audit_fields(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "code": self.code,
            "parent": self.path[: -self.steplen] if self.depth > 1 else "",
            "term_started_on": self.term_started_on,
            "term_ends_on": self.term_ends_on,
        }


class OrgEvent(models.TextChoices):
    """What opened or closed a spell of an organization (docs/organization-history.md)."""

    FOUNDED = "founded", "成立"
    KIND_CHANGED = "kind_changed", "调整组织类型"
    DISSOLVED = "dissolved", "撤销"
    MERGED = "merged", "合并撤销"


class OrganizationSpell(DatedSpell):
    """One stretch of time during which an organization existed with one kind.

    Both ends are days inside the spell (`ended_on` is the last day, null while it lasts), as for
    posts and membership spells: an organization founded on D exists from D; a change of kind on
    D closes the spell on D − 1 and opens the next on D; dissolved on D, it exists up to D − 1.
    An organization's spells never overlap; its current kind is the open spell's kind
    (`Organization.kind`), and one without an open spell is dissolved. Written only by the
    audited services (`orgs.services.create_organization`, `structure.services`) and the demo.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="spells")
    kind = models.CharField("组织类型", max_length=32, choices=OrgKind.choices)
    start_reason = models.CharField(max_length=16, choices=OrgEvent.choices)
    end_reason = models.CharField(max_length=16, choices=OrgEvent.choices, blank=True)

    class Meta:
        verbose_name = "党组织设置记录"
        verbose_name_plural = "党组织设置记录"
        indexes = [
            models.Index(fields=["organization", "started_on"]),
            models.Index(fields=["started_on", "ended_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.kind} {self.started_on}–{self.ended_on or ''}"

    def audit_fields(self) -> dict:
        return {
            "kind": self.kind,
            "started_on": self.started_on,
            "ended_on": self.ended_on,
            "start_reason": self.start_reason,
            "end_reason": self.end_reason,
        }


class PostKind(models.TextChoices):
    SECRETARY = "secretary", "书记"
    DEPUTY_SECRETARY = "deputy_secretary", "副书记"
    ORGANIZATION_OFFICER = "organization_officer", "组织委员"
    PUBLICITY_OFFICER = "publicity_officer", "宣传委员"
    DISCIPLINE_OFFICER = "discipline_officer", "纪检委员"
    COMMITTEE_MEMBER = "committee_member", "委员"
    GROUP_LEADER = "group_leader", "党小组组长"


# Posts that make up an elected committee (支部委员会 etc.); a group leader is not a committee seat.
COMMITTEE_POSTS = {
    PostKind.SECRETARY,
    PostKind.DEPUTY_SECRETARY,
    PostKind.ORGANIZATION_OFFICER,
    PostKind.PUBLICITY_OFFICER,
    PostKind.DISCIPLINE_OFFICER,
    PostKind.COMMITTEE_MEMBER,
}


class Post(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="posts", verbose_name="组织"
    )
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="posts", verbose_name="党员"
    )
    kind = models.CharField("职务", max_length=32, choices=PostKind.choices)
    started_on = models.DateField("任职开始")
    ended_on = models.DateField("任职结束", null=True, blank=True)
    full_time = models.BooleanField("专职党务干部", default=False)

    class Meta:
        verbose_name = "职务"
        verbose_name_plural = "职务"
        indexes = [models.Index(fields=["organization", "ended_on"])]

    def __str__(self) -> str:
        return f"{self.organization} {self.get_kind_display()}"

    def audit_fields(self) -> dict:
        return {
            "organization": self.organization_id,
            "member": self.member_id,
            "kind": self.kind,
            "started_on": self.started_on,
            "ended_on": self.ended_on,
            "full_time": self.full_time,
        }
