"""Permission-matrix entries for the compliance (findings) pages and the compliance API.

`COMPLIANCE_MATRIX` has the shape of `tests/test_permission_matrix.py`'s MATRIX (route name →
entries) and is merged into it there. Reading findings needs a read scope (the branch roles,
纪检 and 机关党委 over their subtree; members and the three administrators have none, so
they are refused outright); explaining a warning needs write access to the organization, so
the 纪检 reader gets 403 inside its subtree. Explanations target warnings the demo organ is
built with, so an allowed request always finds something to explain and leaves an audit event:
FGW-B01 missed its 2026 Q3 党员大会, FGW-B02 its February 2026 支委会.
"""

from __future__ import annotations

from tests.matrix_helpers import DENIED, OK, ORG_SCOPES, Entry, Objects, org_kwarg, rows

YEAR = "2026"
ADMINS_DENIED = {"sysadmin": DENIED, "secadmin": DENIED, "auditor": DENIED}

# The findings page and the API by `?org=<code>`; `default` asks without it (the caller's
# own scope root).
FINDINGS_SCOPES = ("default", "own_branch", "sibling", "dept", "other_dept")
EXPLAIN_SCOPES = ("own_branch", "sibling", "other_dept")

# fmt: off
FINDINGS_READ = rows(FINDINGS_SCOPES,
    member=403,
    secretary=(OK, OK, 404, 404, 404),
    committee=(OK, OK, 404, 404, 404),
    inspector=(OK, OK, OK,  OK,  404),
    organ=    (OK, OK, OK,  OK,  404),
    **ADMINS_DENIED,
)
ORG_FINDINGS_READ = rows(ORG_SCOPES,
    member=403,
    secretary=(OK, OK, 404, 404, 404, 404),
    committee=(OK, OK, 404, 404, 404, 404),
    inspector=(OK, OK, OK,  OK,  OK,  404),
    organ=    (OK, OK, OK,  OK,  OK,  404),
    **ADMINS_DENIED,
)
EXPLAIN = rows(EXPLAIN_SCOPES,
    member=   (404, 404, 404),
    secretary=(OK,  404, 404),
    committee=(OK,  404, 404),
    inspector=(403, 403, 404),
    organ=    (OK,  OK,  404),
    **ADMINS_DENIED,
)
# fmt: on

# A warning-level finding per organization, to explain.
EXPLAINABLE = {
    "own_branch": ("general_meeting_freq", "2026-Q3"),
    "sibling": ("committee_meeting_freq", "2026-02"),
    "other_dept": ("general_meeting_freq", "2026-Q3"),
}
EXPLAIN_ORGS = {"own_branch": "own_branch", "sibling": "sibling", "other_dept": "other_dept"}


def findings_query(objs: Objects, scope: str) -> tuple[dict, dict]:
    if scope == "default":
        return {}, {"year": YEAR}
    return {}, {"org": objs.org(scope).code, "year": YEAR}


def explain_kwarg(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {"pk": objs.org(EXPLAIN_ORGS[scope]).pk}, {}


def explain_form(objs: Objects, scope: str) -> dict:
    rule_id, period = EXPLAINABLE[scope]
    return {"rule_id": rule_id, "period": period, "reason": "矩阵测试：书记出差，已补开"}


def org_year_kwarg(objs: Objects, scope: str) -> tuple[dict, dict]:
    kwargs, _ = org_kwarg("pk")(objs, scope)
    return kwargs, {"year": YEAR}


COMPLIANCE_MATRIX: dict[str, tuple[Entry, ...]] = {
    "compliance:findings": (Entry("GET", FINDINGS_READ, FINDINGS_SCOPES, url=findings_query),),
    "compliance:org": (Entry("GET", ORG_FINDINGS_READ, ORG_SCOPES, url=org_year_kwarg),),
    "compliance:explain": (
        Entry(
            "POST",
            EXPLAIN,
            EXPLAIN_SCOPES,
            ok=302,
            url=explain_kwarg,
            body=explain_form,
            audits="create",
        ),
    ),
    "api:compliance_report": (Entry("GET", FINDINGS_READ, FINDINGS_SCOPES, url=findings_query),),
}
