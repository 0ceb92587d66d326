"""Permission-matrix entries for the desk's pages: the dashboard, the statistics and their export.

(The work desk itself is `home`, in the main matrix: every role gets its own desk.) The dashboard
and the statistics need a read scope (the branch roles, 纪检 and 机关党委 over their subtree);
members and the three administrators have none. The export needs the export right and is audited.
"""

from __future__ import annotations

from tests.matrix_helpers import DENIED, OK, Entry, Objects, rows

ADMINS_DENIED = {"sysadmin": DENIED, "secadmin": DENIED, "auditor": DENIED}
# `default` asks without `?org=` (the top of the caller's scope).
DESK_SCOPES = ("default", "own_branch", "sibling", "dept", "other_dept")

# fmt: off
DESK_READ = rows(DESK_SCOPES,
    member=403,
    secretary=(OK, OK, 404, 404, 404),
    committee=(OK, OK, 404, 404, 404),
    inspector=(OK, OK, OK,  OK,  404),
    organ=    (OK, OK, OK,  OK,  404),
    **ADMINS_DENIED,
)
DESK_EXPORT = rows(DESK_SCOPES,
    member=403,
    secretary=(OK, OK, 404, 404, 404),
    committee=(OK, OK, 404, 404, 404),
    inspector=(OK, OK, OK,  OK,  404),
    organ=    (OK, OK, OK,  OK,  404),
    **ADMINS_DENIED,
)
# fmt: on


def desk_query(objs: Objects, scope: str) -> tuple[dict, dict]:
    if scope == "default":
        return {}, {"year": "2026"}
    return {}, {"org": objs.org(scope).code, "year": "2026"}


DESK_MATRIX: dict[str, tuple[Entry, ...]] = {
    "desk:dashboard": (Entry("GET", DESK_READ, DESK_SCOPES, url=desk_query),),
    "desk:statistics": (Entry("GET", DESK_READ, DESK_SCOPES, url=desk_query),),
    "desk:statistics_export": (
        Entry("GET", DESK_EXPORT, DESK_SCOPES, url=desk_query, audits="export"),
    ),
}
