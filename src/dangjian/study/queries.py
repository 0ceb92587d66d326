"""Reads of the library, always scoped to the user.

A material published by organization O is read by everyone who stands inside O's subtree: a
member whose branch is there, a role holder whose organization is there. The readers of O
(the levels above, 纪检 included) see it too. So a user reads the materials published on the
path from the root down to each place they stand, and everything published inside their read
scope: an `IN` on a handful of ancestor paths plus the scope's prefix filters, index-friendly on
every engine. Monthly topics and a meeting's materials follow the same rule through their
organization.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet, Sum
from django.http import Http404

from dangjian.accounts.access import Action, can_write_into, scope_for
from dangjian.members.models import Member
from dangjian.orgs.models import Organization, OrgKind
from dangjian.study import search
from dangjian.study import text as textlib
from dangjian.study.models import (
    Material,
    MaterialKeyword,
    MaterialText,
    MeetingMaterial,
    StudyTopic,
)

# Who may set a month's study topic.
TOPIC_ORG_KINDS = (OrgKind.ORGAN_COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH)
PAGE_SIZE = 20


def _ancestors(path: str) -> list[str]:
    step = Organization.steplen
    return [path[:i] for i in range(step, len(path) + 1, step)]


def positions(user) -> list[str]:
    """The paths where the user stands: their own branch (and party group), and each
    organization a role of theirs is bound to."""
    cached = getattr(user, "_study_positions", None)
    if cached is not None:
        return cached
    scope = scope_for(user)
    paths = set(scope.paths.get(Action.READ, []))
    if scope.own_member_id:
        row = (
            Member.objects.filter(pk=scope.own_member_id)
            .values_list("organization__path", "party_group__path")
            .first()
        )
        if row:
            paths.update(p for p in row if p)
    result = sorted(paths)
    if user is not None and user.is_authenticated:
        user._study_positions = result
    return result


def is_reader(user) -> bool:
    return bool(positions(user))


def require_reader(user) -> None:
    if not is_reader(user):
        raise PermissionDenied("您没有查看学习资料的权限")


def org_reach_q(user, prefix: str = "organization__") -> Q:
    """Organizations whose publications the user reads (see the module docstring)."""
    scope = scope_for(user)
    ancestors = {a for p in positions(user) for a in _ancestors(p)}
    q = Q(**{f"{prefix}path__in": sorted(ancestors)}) if ancestors else Q(pk__in=[])
    return q | scope.org_q(Action.READ, prefix=prefix)


def org_in_reach(user, org: Organization) -> bool:
    scope = scope_for(user)
    if scope.covers(org.path, Action.READ):
        return True
    return any(p.startswith(org.path) for p in positions(user))


def get_reachable_org(user, code: str) -> Organization:
    """An organization the user stands in or reads, by code (404 otherwise)."""
    org = Organization.objects.filter(code=(code or "").strip().upper()).first()
    if org is None or not org_in_reach(user, org):
        raise Http404("组织不存在")
    return org


def visible_materials(user) -> QuerySet[Material]:
    if not is_reader(user):
        return Material.objects.none()
    return Material.objects.filter(org_reach_q(user))


def get_material_for_user(user, pk, action: Action = Action.READ) -> Material:
    """404 outside what the user reads, 403 when they read it but may not change it."""
    try:
        material = Material.objects.select_related("organization").get(pk=pk)
    except (Material.DoesNotExist, ValueError, TypeError):
        raise Http404("资料不存在") from None
    if not is_reader(user) or not org_in_reach(user, material.organization):
        raise Http404("资料不存在")
    if action != Action.READ and not can_write_into(user, material.organization):
        raise PermissionDenied("您不能修改该组织发布的资料")
    return material


def can_edit(user, material: Material) -> bool:
    return can_write_into(user, material.organization)


def publishing_orgs(user) -> QuerySet[Organization]:
    """Organizations the user may publish for (their write scope), top first."""
    scope = scope_for(user)
    if not scope.paths.get(Action.WRITE):
        return Organization.objects.none()
    return Organization.objects.filter(scope.org_q(Action.WRITE)).order_by("path")


# ---- lists and search ----------------------------------------------------------------------


@dataclass
class MaterialFilter:
    q: str = ""
    category: str = ""
    format: str = ""
    org: Organization | None = None  # the publishing organization
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass
class Result:
    material: Material
    passage: str = ""  # safe HTML: escaped text with the matches in <mark>


@dataclass
class SearchPage:
    results: list[Result]
    total: int
    page: int
    page_size: int
    tokens: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def filtered(user, flt: MaterialFilter) -> QuerySet[Material]:
    qs = visible_materials(user)
    if flt.category:
        qs = qs.filter(category=flt.category)
    if flt.format:
        qs = qs.filter(format=flt.format)
    if flt.org is not None:
        qs = qs.filter(organization=flt.org)
    if flt.date_from:
        qs = qs.filter(published_on__gte=flt.date_from)
    if flt.date_to:
        qs = qs.filter(published_on__lte=flt.date_to)
    return qs


def search_materials(
    user, flt: MaterialFilter, page: int = 1, page_size: int = PAGE_SIZE
) -> SearchPage:
    """A page of materials: by relevance with the matching passage when there is a query,
    newest first otherwise."""
    page = max(1, page)
    qs = filtered(user, flt)
    tokens = textlib.query_tokens(flt.q) if flt.q.strip() else []
    if flt.q.strip() and not tokens:
        return SearchPage([], 0, page, page_size, tokens)
    if not tokens:
        total = qs.count()
        rows = list(
            qs.select_related("organization").order_by("-published_on", "-pk")[
                (page - 1) * page_size : page * page_size
            ]
        )
        return SearchPage([Result(m) for m in rows], total, page, page_size)
    hits = search.ranked(qs, tokens, (page - 1) * page_size, page_size)
    by_id = Material.objects.select_related("organization").in_bulk(hits.ids)
    texts = dict(MaterialText.objects.filter(pk__in=hits.ids).values_list("material_id", "text"))
    results = []
    for pk in hits.ids:
        material = by_id.get(pk)
        if material is None:
            continue
        source = texts.get(pk, "")
        results.append(Result(material, textlib.highlight(source or material.abstract, tokens)))
    return SearchPage(results, hits.total, page, page_size, tokens)


def categories(user) -> list[str]:
    return sorted(
        set(
            visible_materials(user)
            .exclude(category="")
            .values_list("category", flat=True)
            .distinct()[:200]
        )
    )


def publishers(user) -> QuerySet[Organization]:
    """Organizations that published materials the user reads (for the filter)."""
    ids = visible_materials(user).values("organization_id").distinct()
    return Organization.objects.filter(pk__in=ids).order_by("path")


# ---- related materials ---------------------------------------------------------------------


@dataclass
class Related:
    material: Material
    reason: str  # 内容相近 / 同类资料


def related(user, material: Material, limit: int = 6) -> list[Related]:
    """Materials sharing the most keyword weight with this one, then the newest of its category."""
    words = dict(MaterialKeyword.objects.filter(material=material).values_list("word", "weight"))
    visible = visible_materials(user).exclude(pk=material.pk)
    out: list[Related] = []
    seen = {material.pk}
    if words:
        scored = (
            MaterialKeyword.objects.filter(word__in=list(words))
            .exclude(material_id=material.pk)
            .filter(material__in=visible.values("pk"))
            .values("material_id")
            .annotate(score=Sum("weight"))
            .order_by("-score", "-material_id")[: limit * 3]
        )
        candidates = [row["material_id"] for row in scored]
        if candidates:
            weights: dict[int, dict[str, float]] = {}
            for mid, word, weight in MaterialKeyword.objects.filter(
                material_id__in=candidates
            ).values_list("material_id", "word", "weight"):
                weights.setdefault(mid, {})[word] = weight
            ordered = sorted(
                candidates,
                key=lambda mid: (-textlib.similarity(words, weights.get(mid, {})), -mid),
            )
            chosen = [mid for mid in ordered if textlib.similarity(words, weights.get(mid, {}))]
            by_id = Material.objects.select_related("organization").in_bulk(chosen[:limit])
            for mid in chosen[:limit]:
                if mid in by_id:
                    out.append(Related(by_id[mid], "内容相近"))
                    seen.add(mid)
    if len(out) < limit and material.category:
        same = (
            visible.filter(category=material.category)
            .exclude(pk__in=seen)
            .select_related("organization")
            .order_by("-published_on", "-pk")[: limit - len(out)]
        )
        out.extend(Related(m, "同类资料") for m in same)
    return out


# ---- monthly topics ------------------------------------------------------------------------


def topic_orgs(user) -> QuerySet[Organization]:
    """Organizations whose monthly topics the user sees: those on the way down to where they
    stand, and those in their read scope that may set topics."""
    scope = scope_for(user)
    ancestors = {a for p in positions(user) for a in _ancestors(p)}
    q = Q(path__in=sorted(ancestors)) | scope.org_q(Action.READ)
    return Organization.objects.filter(q, kind__in=TOPIC_ORG_KINDS)


def topics_for(user, org: Organization | None = None, year: int | None = None):
    qs = StudyTopic.objects.filter(organization__in=topic_orgs(user).values("pk"))
    if org is not None:
        qs = qs.filter(organization=org)
    if year is not None:
        qs = qs.filter(month__year=year)
    return (
        qs.select_related("organization")
        .prefetch_related("materials")
        .order_by("-month", "organization__path")
    )


def current_topics(user, month: dt.date) -> list[StudyTopic]:
    """This month's topics on the user's own way down (their branch, organ committee…)."""
    ancestors = {a for p in positions(user) for a in _ancestors(p)}
    return list(
        StudyTopic.objects.filter(organization__path__in=sorted(ancestors), month=month)
        .select_related("organization")
        .prefetch_related("materials")
        .order_by("organization__path")
    )


def get_topic_for_user(user, pk, action: Action = Action.READ) -> StudyTopic:
    topic = StudyTopic.objects.select_related("organization").filter(pk=pk).first()
    if topic is None or not org_in_reach(user, topic.organization):
        raise Http404("学习主题不存在")
    if action != Action.READ and not can_write_into(user, topic.organization):
        raise PermissionDenied("您不能修改该组织的学习主题")
    return topic


def materials_for_org(org: Organization) -> QuerySet[Material]:
    """Materials every member of `org` reads: published by it or above it."""
    return Material.objects.filter(organization__path__in=_ancestors(org.path))


# ---- a meeting's materials -----------------------------------------------------------------


def meeting_model():
    return MeetingMaterial._meta.get_field("meeting").related_model


def get_meeting_for_user(user, pk, action: Action = Action.READ):
    """The meeting whose studied materials are asked for: read by the readers of its
    organization and by those standing inside it; changed by its organization's writers."""
    meeting = meeting_model().objects.select_related("organization").filter(pk=pk).first()
    if meeting is None or not is_reader(user) or not org_in_reach(user, meeting.organization):
        raise Http404("会议不存在")
    if action != Action.READ and not can_write_into(user, meeting.organization):
        raise PermissionDenied("您不能修改该会议")
    return meeting


def meeting_materials(meeting) -> QuerySet[Material]:
    """What a meeting studied (for the meeting page and, later, the dossier)."""
    return (
        Material.objects.filter(meeting_links__meeting=meeting)
        .select_related("organization")
        .order_by("meeting_links__linked_at", "pk")
    )


def meetings_studying(user, material: Material):
    """The meetings the user may see that studied this material."""
    return (
        meeting_model()
        .objects.filter(pk__in=MeetingMaterial.objects.filter(material=material).values("meeting"))
        .filter(org_reach_q(user))
        .select_related("organization")
        .order_by("-starts_at")
    )
