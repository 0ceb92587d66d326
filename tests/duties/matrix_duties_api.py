"""Permission-matrix entries for /api/v1/work-items and /api/v1/inbox (merged into MATRIX).

The objects each scope points at are work items made through the services by the URL fillers,
once for all the cases (the matrix's world): an item the 机关党委 of FGW (FGW-JGDW) sent to
the secretary's branch FGW-B01, to the sibling branch FGW-B02, FGW-JGDW's own plan item, an
item of CZJ-B01 sent by CZJ-JGDW (another department), and an item FGW-B01 split down to its
party group FGW-B01-G1 (which the branch itself reviews). Notices are addressed to a persona.
"""

from __future__ import annotations

from tests.duties.matrix_duties import (
    ADMINS_DENIED,
    INBOX,
    ITEM_LIST,
    ITEM_ORGS,
    ITEM_READ,
    ITEM_REVIEW,
    ITEM_SCOPES,
    ITEM_WORK,
    LIST_SCOPES,
    REVIEW_SCOPES,
    WORK_SCOPES,
    deadline,
    item_for,
)
from tests.matrix_helpers import NO_SCOPE, OK, Entry, Objects, rows

# The work items, their scopes and the policy are the pages' (tests/duties/matrix_duties.py):
# the API must answer as the pages do. What is the API's own follows.

# New items, by the sending organization: FGW-JGDW, CZJ-JGDW.
SEND_SCOPES = ("dept", "other_dept")
# A notice in the inbox of the `secretary` or of the `member` persona.
NOTICE_SCOPES = ("secretary", "member")
SENDERS = {"dept": "FGW-JGDW", "other_dept": "CZJ-JGDW"}

# fmt: off
ITEM_SEND = rows(SEND_SCOPES,
    member=404,
    secretary=404,
    committee=404,
    inspector=(403, 404),
    organ=    (OK,  404),
    **ADMINS_DENIED,
)
# A notice is its recipient's alone.
NOTICE_READ = rows(NOTICE_SCOPES,
    member=   (404, OK),
    secretary=(OK,  404),
    committee=404, inspector=404, organ=404, sysadmin=404, secadmin=404, auditor=404,
)
# fmt: on


# ---- objects per scope ---------------------------------------------------------------------


def _cache(objs: Objects) -> dict:
    if not hasattr(objs, "_work_item_notices"):
        objs._work_item_notices = {}
    return objs._work_item_notices


def notice_for(objs: Objects, scope: str):
    from dangjian.notices.models import Notice

    key = ("notice", scope)
    cache = _cache(objs)
    if key not in cache:
        cache[key] = Notice.objects.create(
            recipient=objs.demo.users[scope],
            key=f"matrix:{scope}",
            kind="reminder",
            title="矩阵测试消息",
        )
    return cache[key]


# URL fillers: (objects, scope) -> (URL kwargs, query parameters).


def item_kwarg(state: str = "open"):
    return lambda objs, scope: ({"item_id": item_for(objs, scope, state).pk}, {})


def notice_kwarg(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {"notice_id": notice_for(objs, scope).pk}, {}


def org_query(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {}, ({} if scope == "all" else {"org": objs.org(scope).code})


def no_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {}, {}


# Request bodies: valid data, so that the only reason for a refusal is the permission.


def send_json(objs: Objects, scope: str) -> dict:
    return {
        "organization": SENDERS[scope],
        "title": "矩阵测试下发",
        "deadline": deadline().isoformat(),
        "all_branches": True,
    }


def split_json(objs: Objects, scope: str) -> dict:
    return {"targets": [f"{ITEM_ORGS[scope]}-G1"]}


def progress_json(objs: Objects, scope: str) -> dict:
    return {"progress": 30, "note": "矩阵测试"}


def evidence_json(objs: Objects, scope: str) -> dict:
    return {"figure": 12, "note": "矩阵测试人数"}


def note_json(objs: Objects, scope: str) -> dict:
    return {"note": "矩阵测试"}


def reason_json(objs: Objects, scope: str) -> dict:
    return {"reason": "矩阵测试"}


def _post(table, scopes, url, body, audits, ok=200) -> Entry:
    return Entry("POST", table, scopes, ok=ok, url=url, body=body, audits=audits)


DUTIES_API_MATRIX: dict[str, tuple[Entry, ...]] = {
    "api:list_work_items": (Entry("GET", ITEM_LIST, LIST_SCOPES, url=org_query),),
    "api:create_work_item": (_post(ITEM_SEND, SEND_SCOPES, no_url, send_json, "create", ok=201),),
    "api:get_work_item": (Entry("GET", ITEM_READ, ITEM_SCOPES, url=item_kwarg()),),
    "api:split_work_item": (
        _post(ITEM_WORK, WORK_SCOPES, item_kwarg(), split_json, "create", ok=201),
    ),
    "api:work_item_progress": (
        _post(ITEM_WORK, WORK_SCOPES, item_kwarg(), progress_json, "update"),
    ),
    "api:work_item_evidence": (
        _post(ITEM_WORK, WORK_SCOPES, item_kwarg(), evidence_json, "create", ok=201),
    ),
    "api:submit_work_item": (_post(ITEM_WORK, WORK_SCOPES, item_kwarg(), note_json, "update"),),
    "api:accept_work_item": (
        _post(ITEM_REVIEW, REVIEW_SCOPES, item_kwarg("submitted"), note_json, "update"),
    ),
    "api:return_work_item": (
        _post(ITEM_REVIEW, REVIEW_SCOPES, item_kwarg("submitted"), reason_json, "update"),
    ),
    "api:withdraw_work_item": (
        _post(ITEM_REVIEW, REVIEW_SCOPES, item_kwarg(), reason_json, "update"),
    ),
    # The inbox: marking read changes only the user's own notices and is not audited.
    "api:inbox": (Entry("GET", INBOX),),
    "api:read_notice": (_post(NOTICE_READ, NOTICE_SCOPES, notice_kwarg, None, None),),
    "api:read_all_notices": (_post(INBOX, (NO_SCOPE,), no_url, None, None),),
}
