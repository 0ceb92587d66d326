"""Permission-matrix entries for the discipline pages: the 纪检 and the 机关党委 covering the
member see and write (FGW-JGDW covers FGW-B01, FGW-B02 and the member's own branch); everyone
else, the branch and the member themselves included, is answered 404 (the records' existence
is not revealed)."""

from __future__ import annotations

from tests.matrix_helpers import MEMBER_SCOPES, NO_SCOPE, OK, Entry, member_kwarg, rows

# fmt: off
MEMBER_PAGE = rows(MEMBER_SCOPES,
    member=404, secretary=404, committee=404,
    inspector=(OK, OK, 404, OK),
    organ=    (OK, OK, 404, OK),
    sysadmin=404, secadmin=404, auditor=404,
)
INDEX = rows((NO_SCOPE,),
    member=404, secretary=404, committee=404, inspector=OK, organ=OK,
    sysadmin=404, secadmin=404, auditor=404,
)
# fmt: on


def decision_form(objs, scope: str) -> dict:
    return {"action": "decide", "kind": "warning", "started_on": "2026-11-02"}


DISCIPLINE_MATRIX: dict[str, tuple[Entry, ...]] = {
    "discipline:index": (Entry("GET", INDEX),),
    "discipline:member": (
        Entry("GET", MEMBER_PAGE, MEMBER_SCOPES, url=member_kwarg("pk")),
        Entry(
            "POST",
            MEMBER_PAGE,
            MEMBER_SCOPES,
            ok=302,
            url=member_kwarg("pk"),
            body=decision_form,
            audits="create",
        ),
    ),  # fmt: skip
}
