"""A scheme of the demo's organ committee (FGW-JGDW) over its branches, built through the
audited services."""

from __future__ import annotations

from dangjian.assessment import services
from dangjian.audit.services import Actor

GRADES = [["好", "90"], ["较好", "80"], ["一般", "60"], ["差", "0"]]


def organ(demo) -> Actor:
    return Actor(user=demo.users["organ"])


def draft(demo, *, party=70, business=30, year=2026, grades=GRADES):
    return services.create_scheme(
        organ(demo),
        demo.organ_committee,
        year=year,
        title="党支部年度考核",
        target_kind="branch",
        party_weight=party,
        business_weight=business,
        grades=grades,
    )


def full_scheme(demo):
    """Party: meetings 40, dues 30, manual 30 ; business: imported 100 ... no: votes 100."""
    scheme = draft(demo)
    actor = organ(demo)
    add = services.add_indicator
    ind = {
        "meetings": add(
            actor,
            scheme,
            title="组织生活",
            part="party",
            weight=40,
            source_kind="computed",
            source_key="meetings_held",
        ),
        "dues": add(
            actor,
            scheme,
            title="党费交纳",
            part="party",
            weight=30,
            source_kind="computed",
            source_key="dues_on_time",
        ),
        "manual": add(
            actor,
            scheme,
            title="特色工作",
            part="party",
            weight=30,
            source_kind="manual",
            max_score="10",
        ),
        "votes": add(
            actor, scheme, title="述职评议", part="business", weight=100, source_kind="votes"
        ),
    }
    return scheme, ind
