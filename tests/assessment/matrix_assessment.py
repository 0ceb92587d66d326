"""Permission-matrix entries for the assessment pages (issue 14).

The assessing organization (the demo's FGW-JGDW) manages its schemes: its committee (`organ`)
creates, fills, publishes, freezes, finalizes, scores and sees the list ordered by score; its
discipline inspector reads every target but manages nothing and sees no order. A target's own
readers (the FGW-B01 secretary and committee) see a published scheme and their own target only;
a draft is hidden from them (404). Members and administrators see nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools

from tests.matrix_helpers import DENIED, NO_SCOPE, OK, Entry, Objects, rows

ADMINS_DENIED = {"sysadmin": DENIED, "secadmin": DENIED, "auditor": DENIED}
ADMINS_403 = {"sysadmin": 403, "secadmin": 403, "auditor": 403}
SCHEME_SCOPES = ("dept", "other_dept")
TARGET_SCOPES = ("own_branch", "sibling", "other_dept")
_n = itertools.count(1)

# fmt: off
LIST = rows((NO_SCOPE,),
    member=403, secretary=OK, committee=OK, inspector=OK, organ=OK, **ADMINS_403,
)
CREATE = rows((NO_SCOPE,),
    member=403, secretary=403, committee=403, inspector=403, organ=OK, **ADMINS_403,
)
READ_PUBLISHED = rows(SCHEME_SCOPES,
    member=(404, 404), secretary=(OK, 404), committee=(OK, 404), inspector=(OK, 404),
    organ=(OK, 404), **ADMINS_DENIED,
)
MANAGE_DRAFT = rows(SCHEME_SCOPES,
    member=(404, 404), secretary=(404, 404), committee=(404, 404), inspector=(403, 404),
    organ=(OK, 404), **ADMINS_DENIED,
)
MANAGE_PUBLISHED = rows(SCHEME_SCOPES,
    member=(404, 404), secretary=(403, 404), committee=(403, 404), inspector=(403, 404),
    organ=(OK, 404), **ADMINS_DENIED,
)
TARGET = rows(TARGET_SCOPES,
    member=(404, 404, 404), secretary=(OK, 404, 404), committee=(OK, 404, 404),
    inspector=(OK, OK, 404), organ=(OK, OK, 404), **ADMINS_DENIED,
)
SCORE = rows(TARGET_SCOPES,
    member=(404, 404, 404), secretary=(403, 404, 404), committee=(403, 404, 404),
    inspector=(403, 403, 404), organ=(OK, OK, 404), **ADMINS_DENIED,
)
APPEAL = rows(TARGET_SCOPES,
    member=(404, 404, 404), secretary=(OK, 404, 404), committee=(OK, 404, 404),
    inspector=(403, 403, 404), organ=(403, 403, 404), **ADMINS_DENIED,
)
SELF = APPEAL
# 手机评议: every member of the assessing organization's subtree votes (an account linked to a
# member; the `committee` persona has none); only its committee opens and closes; nobody else
# learns the sitting exists.
SITTING = rows(SCHEME_SCOPES,
    member=(OK, 404), secretary=(OK, 404), committee=404, inspector=(OK, 404),
    organ=(OK, 404), sysadmin=404, secadmin=404, auditor=404,
)
SITTING_CLOSE = rows(SCHEME_SCOPES,
    member=(403, 404), secretary=(403, 404), committee=404, inspector=(403, 404),
    organ=(OK, 404), sysadmin=404, secadmin=404, auditor=404,
)
# fmt: on


def _scheme(objs: Objects, org_scope: str, status: str, results_on=None):
    """A scheme of the scope's organ committee over its branches: one manual indicator, party
    100 %, in `status` (made directly: the other department has no manager among the
    personas)."""
    from dangjian.assessment.models import Indicator, Scheme, Target
    from dangjian.orgs.models import Organization

    org = Organization.objects.get(code="FGW-JGDW" if org_scope == "dept" else "CZJ-JGDW")
    scheme = Scheme.objects.create(
        organization=org,
        year=2026,
        title=f"矩阵方案{next(_n)}",
        target_kind="branch",
        party_weight=100,
        business_weight=0,
        grades=[["好", "90"], ["差", "0"]],
        vote_points={"好": "100", "较好": "80", "一般": "60", "差": "0"},
        status=status,
        results_published_on=results_on,
    )
    Indicator.objects.create(
        scheme=scheme, part="party", title="特色工作", weight=100, source_kind="manual"
    )
    branches = Organization.objects.filter(path__startswith=org.path, kind="branch")
    Target.objects.bulk_create([Target(scheme=scheme, organization=b) for b in branches])
    return scheme


def _scheme_url(status: str, results_on=None):
    def fill(objs: Objects, scope: str) -> tuple[dict, dict]:
        return {"pk": _scheme(objs, scope, status, results_on).pk}, {}

    return fill


def _votes_scheme(objs: Objects, scope: str):
    from dangjian.assessment.models import Indicator

    scheme = _scheme(objs, scope, "published")
    scheme.indicators.update(weight=50)
    Indicator.objects.create(
        scheme=scheme, part="party", title="述职评议", weight=50, source_kind="votes"
    )
    return scheme


def _votes_scheme_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {"pk": _votes_scheme(objs, scope).pk}, {}


def _votes_indicator_form(objs: Objects, scope: str) -> dict:
    from dangjian.assessment.models import Indicator

    return {"indicator": Indicator.objects.filter(source_kind="votes").latest("pk").pk}


_last_sitting: list = []


def _sitting_url(objs: Objects, scope: str, *, voted: bool = False) -> tuple[dict, dict]:
    """An open sitting over the scope's branches (with one ballot counted when `voted`)."""
    from dangjian.assessment.models import Sitting, SittingCount, SittingVoter
    from dangjian.regulations.assessment import VOTE_CHOICES
    from tests.conftest import TODAY

    scheme = _votes_scheme(objs, scope)
    sitting = Sitting.objects.create(
        scheme=scheme, indicator=scheme.indicators.get(source_kind="votes"), held_on=TODAY
    )
    SittingCount.objects.bulk_create(
        SittingCount(sitting=sitting, target=t, choice=c, n=int(voted and c == VOTE_CHOICES[0]))
        for t in scheme.targets.all()
        for c in VOTE_CHOICES
    )
    if voted:
        from dangjian.accounts.models import User

        SittingVoter.objects.create(sitting=sitting, user=User.objects.get(username="auditor"))
    _last_sitting[:] = [sitting]
    return {"pk": sitting.pk}, {}


def _ballot_form(objs: Objects, scope: str) -> dict:
    sitting = _last_sitting[0]
    return {f"t_{t.pk}": "好" for t in sitting.scheme.targets.all()}


def _target(objs: Objects, scope: str, status: str = "published", results_on=None):
    org = objs.org(scope)
    scheme = _scheme(objs, "dept" if scope != "other_dept" else "other_dept", status, results_on)
    return scheme.targets.get(organization=org)


def _target_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {"pk": _target(objs, scope).pk}, {}


def _appealable_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    from tests.conftest import TODAY

    return {"pk": _target(objs, scope, "frozen", TODAY).pk}, {}


def _appeal_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    from dangjian.assessment.models import Appeal
    from tests.conftest import TODAY

    target = _target(objs, scope, "frozen", TODAY)
    return {"pk": Appeal.objects.create(target=target, reason="矩阵申诉").pk}, {}


def _scope_meeting(objs: Objects, scope: str):
    from dangjian.meetings.models import Meeting

    return Meeting.objects.filter(
        organization=objs.org(scope), status="held", held_on__year=2026
    ).latest("pk")


def _evidence_form(objs: Objects, scope: str) -> dict:
    return {"kind": "meeting", "record": _scope_meeting(objs, scope).pk}


def _self_evidence_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    from dangjian.assessment.models import SelfEvidence

    target = _target(objs, scope)
    row = SelfEvidence.objects.create(
        target=target, kind="meeting", meeting=_scope_meeting(objs, scope)
    )
    return {"pk": row.pk}, {}


_last_scheme: list = []


def _published_indicator_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {"pk": _scheme(objs, scope, "published").indicators.get().pk}, {}


def _edit_form(objs: Objects, scope: str) -> dict:
    return {"title": "特色工作（修改）", "weight": "100", "max_score": "100"}


def _two_weights_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    scheme = _votes_scheme(objs, scope)
    _last_scheme[:] = [scheme]
    return {"pk": scheme.pk}, {}


def _reweigh_form(objs: Objects, scope: str) -> dict:
    first, second = _last_scheme[0].indicators.order_by("pk")
    return {f"weight_{first.pk}": "60", f"weight_{second.pk}": "40"}


def _target_api_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {"target_id": _target_url(objs, scope)[0]["pk"]}, {}


def _indicator_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {"pk": _scheme(objs, scope, "draft").indicators.get().pk}, {}


def _create_form(objs: Objects, scope: str) -> dict:
    return {
        "organization": objs.org("dept").pk,
        "year": "2026",
        "title": f"新方案{next(_n)}",
        "target_kind": "branch",
        "party_weight": "60",
        "business_weight": "40",
        "grades": "好:90, 较好:80, 一般:60, 差:0",
    }


def _indicator_form(objs: Objects, scope: str) -> dict:
    return {"title": "组织生活", "part": "business", "weight": "100", "source_kind": "manual"}


def _veto_form(objs: Objects, scope: str) -> dict:
    return {"kind": "veto", "cap": "差", "reason": "矩阵测试"}


ASSESSMENT_MATRIX: dict[str, tuple[Entry, ...]] = {
    "assessment:list": (Entry("GET", LIST),),
    "assessment:create": (
        Entry("GET", CREATE),
        Entry("POST", CREATE, ok=302, body=_create_form, audits="create"),
    ),
    "assessment:detail": (
        Entry("GET", READ_PUBLISHED, SCHEME_SCOPES, url=_scheme_url("published")),
    ),
    "assessment:indicator_add": (
        Entry(
            "POST",
            MANAGE_DRAFT,
            SCHEME_SCOPES,
            ok=302,
            url=_scheme_url("draft"),
            body=_indicator_form,
            audits="create",
        ),
    ),
    "assessment:indicator_edit": (
        Entry(
            "POST",
            MANAGE_PUBLISHED,
            SCHEME_SCOPES,
            ok=302,
            url=_published_indicator_url,
            body=_edit_form,
            audits="update",
        ),
    ),
    "assessment:reweigh": (
        Entry(
            "POST",
            MANAGE_PUBLISHED,
            SCHEME_SCOPES,
            ok=302,
            url=_two_weights_url,
            body=_reweigh_form,
            audits="update",
        ),
    ),
    "assessment:indicator_remove": (
        Entry("POST", MANAGE_DRAFT, SCHEME_SCOPES, ok=302, url=_indicator_url, audits="delete"),
    ),
    "assessment:publish": (
        Entry(
            "POST", MANAGE_DRAFT, SCHEME_SCOPES, ok=302, url=_scheme_url("draft"), audits="update"
        ),
    ),
    "assessment:freeze": (
        Entry(
            "POST",
            MANAGE_PUBLISHED,
            SCHEME_SCOPES,
            ok=302,
            url=_scheme_url("published"),
            audits="update",
        ),
    ),
    "assessment:finalize": (
        Entry(
            "POST",
            MANAGE_PUBLISHED,
            SCHEME_SCOPES,
            ok=302,
            url=_scheme_url("frozen", dt.date(2026, 10, 9)),
            audits="update",
        ),
    ),
    "assessment:publish_results": (
        Entry(
            "POST",
            MANAGE_PUBLISHED,
            SCHEME_SCOPES,
            ok=302,
            url=_scheme_url("frozen"),
            audits="update",
        ),
    ),
    "assessment:self_assessment": (
        Entry(
            "POST",
            SELF,
            TARGET_SCOPES,
            ok=302,
            url=_target_url,
            body=lambda objs, scope: {"self_assessment": "按期完成各项工作"},
            audits="update",
        ),
    ),
    "assessment:evidence_link": (
        Entry(
            "POST",
            SELF,
            TARGET_SCOPES,
            ok=302,
            url=_target_url,
            body=_evidence_form,
            audits="create",
        ),
    ),
    "assessment:evidence_unlink": (
        Entry("POST", SELF, TARGET_SCOPES, ok=302, url=_self_evidence_url, audits="delete"),
    ),
    "assessment:appeal": (
        Entry(
            "POST",
            APPEAL,
            TARGET_SCOPES,
            ok=302,
            url=_appealable_url,
            body=lambda objs, scope: {"reason": "述职评议计票有误"},
            audits="create",
        ),
    ),
    "assessment:appeal_decide": (
        Entry(
            "POST",
            SCORE,
            TARGET_SCOPES,
            ok=302,
            url=_appeal_url,
            body=lambda objs, scope: {"upheld": "0", "decision": "经核对计票无误"},
            audits="update",
        ),
    ),
    "assessment:ranking": (
        Entry("GET", MANAGE_PUBLISHED, SCHEME_SCOPES, url=_scheme_url("published")),
    ),
    # The upload itself is tested in tests/assessment/test_import.py; without a preview waiting
    # in the session the confirmation only sends the committee back, writing nothing.
    "assessment:import": (
        Entry("GET", MANAGE_PUBLISHED, SCHEME_SCOPES, url=_scheme_url("published")),
    ),
    "assessment:import_confirm": (
        Entry("POST", MANAGE_PUBLISHED, SCHEME_SCOPES, ok=302, url=_scheme_url("published")),
    ),
    "assessment:sitting_open": (
        Entry(
            "POST",
            MANAGE_PUBLISHED,
            SCHEME_SCOPES,
            ok=302,
            url=_votes_scheme_url,
            body=_votes_indicator_form,
            audits="create",
        ),
    ),
    "assessment:sitting": (
        Entry("GET", SITTING, SCHEME_SCOPES, url=_sitting_url),
        Entry(
            "POST",
            SITTING,
            SCHEME_SCOPES,
            ok=302,
            url=_sitting_url,
            body=_ballot_form,
            audits="create",
        ),
    ),
    "assessment:sitting_close": (
        Entry(
            "POST",
            SITTING_CLOSE,
            SCHEME_SCOPES,
            ok=302,
            url=lambda objs, scope: _sitting_url(objs, scope, voted=True),
            audits="update",
        ),
    ),
    "assessment:target": (Entry("GET", TARGET, TARGET_SCOPES, url=_target_url),),
    "assessment:target_report": (
        Entry("GET", TARGET, TARGET_SCOPES, url=_target_url, audits="export"),
    ),
    "api:assessment_target": (Entry("GET", TARGET, TARGET_SCOPES, url=_target_api_url),),
    "assessment:target_score": (
        Entry(
            "POST", SCORE, TARGET_SCOPES, ok=302, url=_target_url, body=_veto_form, audits="create"
        ),
    ),
}
