"""The dossier's first section: the organizations of the subtree existing in the period, their
terms and committees."""

from __future__ import annotations

from dangjian.core.dossier import Section, Table, register
from dangjian.orgs.models import Organization, OrganizationSpell, OrgKind, Post, PostKind


def org_tables(org, start, end) -> list[Table]:
    orgs = Table("组织", ["组织编码", "名称", "类型", "本届任期开始", "本届任期届满"])
    # The organizations that existed on at least one day of the period (their history,
    # docs/organization-history.md): one founded after it or dissolved before it is left out.
    existing = OrganizationSpell.objects.filter(
        organization__path__startswith=org.path, started_on__lte=end
    ).exclude(ended_on__lt=start)
    rows = Organization.objects.filter(pk__in=existing.values("organization_id")).order_by("path")
    for o in rows:
        orgs.rows.append([o.code, o.name, OrgKind(o.kind).label, o.term_started_on, o.term_ends_on])
    posts = Table("班子成员（期内在任）", ["组织", "职务", "姓名", "任职开始", "任职结束"])
    held = (
        Post.objects.filter(organization__path__startswith=org.path, started_on__lte=end)
        .exclude(ended_on__lt=start)
        .order_by("organization__path", "kind", "started_on", "pk")
        .values_list("organization__name", "kind", "member__name", "started_on", "ended_on")
    )
    for name, kind, member, started, ended in held:
        posts.rows.append([name, PostKind(kind).label, member, started, ended])
    return [orgs, posts]


register(Section("orgs", "组织与班子", org_tables, order=10))
