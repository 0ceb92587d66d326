"""Reads of members, always scoped to what the user may see."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from dangjian.accounts.access import Action
from dangjian.core.pinyin import pinyin_keys
from dangjian.members.access import visible_members
from dangjian.members.models import Member, MemberCategory, MemberStatus
from dangjian.orgs.models import Organization, Post, PostKind

_ASCII = re.compile(r"^[A-Za-z]+$")
# A whole ID number (18 digits, or the old 15), possibly with spaces: never searched through `q`.
_ID_LIKE = re.compile(r"^(?:\d{17}[\dXx]|\d{15})$")


def looks_like_id_number(text: str) -> bool:
    return bool(_ID_LIKE.match("".join((text or "").split())))


@dataclass
class MemberFilter:
    org: Organization | None = None
    status: str = ""
    category: str = ""
    post: str = ""  # a PostKind, or "any" for anyone holding a current post
    q: str = ""
    # `q` held a whole ID number: it is dropped, not searched (a search by ID number is a
    # reveal, through services.find_by_id_number, and a number must not travel in a URL).
    id_number_dropped: bool = False

    @classmethod
    def from_params(cls, params, org: Organization | None) -> MemberFilter:
        def pick(name, allowed):
            value = (params.get(name) or "").strip()
            return value if value in allowed else ""

        q = (params.get("q") or "").strip()[:50]
        dropped = looks_like_id_number(q)
        return cls(
            org=org,
            status=pick("status", MemberStatus.values),
            category=pick("category", MemberCategory.values),
            post=pick("post", [*PostKind.values, "any"]),
            q="" if dropped else q,
            id_number_dropped=dropped,
        )

    def describe(self) -> str:
        parts = []
        if self.org:
            parts.append(f"组织={self.org.code}")
        for key in ("status", "category", "post", "q"):
            if getattr(self, key):
                parts.append(f"{key}={getattr(self, key)}")
        return "，".join(parts) or "全部"


def search_q(text: str) -> Q:
    """Name, pinyin or pinyin initials, for every reader (never an ID number: see MemberFilter)."""
    text = text.strip()
    if not text or looks_like_id_number(text):
        return Q() if not text else Q(pk__in=[])
    if _ASCII.match(text):
        low = text.lower()
        return (
            Q(name_initials__startswith=low)
            | Q(name_pinyin__startswith=low)
            | Q(name_pinyin__contains=low)
        )
    full, _ = pinyin_keys(text)
    return Q(name__contains=text) | (Q(name_pinyin=full) if full else Q(pk__in=[]))


def member_list(user, flt: MemberFilter, action: Action = Action.READ) -> QuerySet[Member]:
    # Members who left (Member.left_on) are in the history, not in the roster.
    qs = visible_members(user, action).current().select_related("organization", "party_group")
    if flt.id_number_dropped:
        return qs.none()
    if flt.org is not None:
        qs = qs.filter(organization__path__startswith=flt.org.path)
    if flt.status:
        qs = qs.filter(status=flt.status)
    if flt.category:
        qs = qs.filter(category=flt.category)
    if flt.post:
        posts = Post.objects.filter(member=OuterRef("pk"), ended_on__isnull=True)
        if flt.post != "any":
            posts = posts.filter(kind=flt.post)
        qs = qs.filter(Exists(posts))
    if flt.q:
        qs = qs.filter(search_q(flt.q))
    return qs.order_by("organization__path", "name_pinyin", "pk")
