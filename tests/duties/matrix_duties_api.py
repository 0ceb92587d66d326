"""Permission-matrix entries for /api/v1/work-items and /api/v1/inbox (merged into MATRIX).

The objects each scope points at are work items made through the services when a case builds
its URL (before the matrix takes its snapshot): an item the 机关党委 of FGW (FGW-JGDW) sent to
the secretary's branch FGW-B01, to the sibling branch FGW-B02, FGW-JGDW's own plan item, an
item of CZJ-B01 sent by CZJ-JGDW (another department), and an item FGW-B01 split down to its
party group FGW-B01-G1 (which the branch itself reviews). Notices are addressed to a persona.
"""

from __future__ import annotations

import datetime as dt

from tests.matrix_helpers import DENIED, NO_SCOPE, OK, Entry, Objects, rows

# Items by the organization that must do them; `dept` is the sender's own plan item.
ITEM_SCOPES = ("own_branch", "sibling", "dept", "other_dept")
# Received items still open (progress, evidence, split, submit).
WORK_SCOPES = ("own_branch", "sibling", "other_dept")
# Submitted items (accept, return); `own_group`'s sender is the secretary's branch.
REVIEW_SCOPES = ("own_group", "own_branch", "sibling", "other_dept")
# New items, by the sending organization: FGW-JGDW, CZJ-JGDW.
SEND_SCOPES = ("dept", "other_dept")
# The list filtered by `?org=<code>` (FGW-B01, FGW-B02, CZJ-B01); `all` filters nothing.
LIST_SCOPES = ("all", "own_branch", "sibling", "other_dept")
# A notice in the inbox of the `secretary` or of the `member` persona.
NOTICE_SCOPES = ("secretary", "member")

ITEM_ORGS = {
    "own_branch": "FGW-B01",
    "sibling": "FGW-B02",
    "other_dept": "CZJ-B01",
    "own_group": "FGW-B01-G1",
}
SENDERS = {"dept": "FGW-JGDW", "other_dept": "CZJ-JGDW"}

ADMINS_DENIED = {"sysadmin": DENIED, "secadmin": DENIED, "auditor": DENIED}

# fmt: off
# Work items are the organizations' business: a member without a role reads none.
ITEM_READ = rows(ITEM_SCOPES,
    member=404,
    secretary=(OK, 404, 404, 404),
    committee=(OK, 404, 404, 404),
    inspector=(OK, OK,  OK,  404),
    organ=    (OK, OK,  OK,  404),
    **ADMINS_DENIED,
)
ITEM_WORK = rows(WORK_SCOPES,
    member=404,
    secretary=(OK,  404, 404),
    committee=(OK,  404, 404),
    inspector=(403, 403, 404),
    organ=    (OK,  OK,  404),
    **ADMINS_DENIED,
)
# Review belongs to the sending organization: the branch reads its own item but may not accept it.
ITEM_REVIEW = rows(REVIEW_SCOPES,
    member=404,
    secretary=(OK,  403, 404, 404),
    committee=(OK,  403, 404, 404),
    inspector=(403, 403, 403, 404),
    organ=    (OK,  OK,  OK,  404),
    **ADMINS_DENIED,
)
ITEM_SEND = rows(SEND_SCOPES,
    member=404,
    secretary=404,
    committee=404,
    inspector=(403, 404),
    organ=    (OK,  404),
    **ADMINS_DENIED,
)
ITEM_LIST = rows(LIST_SCOPES,
    member=403,
    secretary=(OK, OK, 404, 404),
    committee=(OK, OK, 404, 404),
    inspector=(OK, OK, OK,  404),
    organ=    (OK, OK, OK,  404),
    sysadmin=403, secadmin=403, auditor=403,
)
# Everyone signed in has an inbox (possibly empty).
INBOX = rows((NO_SCOPE,),
    member=OK, secretary=OK, committee=OK, inspector=OK, organ=OK,
    sysadmin=OK, secadmin=OK, auditor=OK,
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
    if not hasattr(objs, "_work_items"):
        objs._work_items = {}
    return objs._work_items


def _deadline() -> dt.date:
    from dangjian.duties.services import today
    from dangjian.regulations import workdays

    return workdays.add_workdays(today(), 20)


def _send(objs: Objects, sender: str, targets: list[str], title: str):
    from dangjian.audit.services import Actor
    from dangjian.duties import services

    return services.send_down(
        Actor.system("matrix"),
        objs.demo.org[sender],
        {"title": title, "deadline": _deadline()},
        targets=targets,
    )


def item_for(objs: Objects, scope: str, state: str = "open"):
    """The scope's work item: `open` (just received) or `submitted` (waiting for review)."""
    from dangjian.audit.services import Actor
    from dangjian.duties import services

    key = (scope, state)
    cache = _cache(objs)
    if key not in cache:
        actor = Actor.system("matrix")
        if scope == "dept":
            item = _send(objs, "FGW-JGDW", ["FGW-B01"], "矩阵测试计划").item
        elif scope == "own_group":
            received = _send(objs, "FGW-JGDW", ["FGW-B01"], "矩阵测试（分解）").children[0]
            item = services.split(actor, received, {}, targets=["FGW-B01-G1"]).children[0]
        else:
            code = ITEM_ORGS[scope]
            sender = "CZJ-JGDW" if code.startswith("CZJ") else "FGW-JGDW"
            item = _send(objs, sender, [code], f"矩阵测试（{state}）").children[0]
        if state == "submitted":
            item = services.submit(actor, item, "矩阵测试")
        cache[key] = item
    return cache[key]


def notice_for(objs: Objects, scope: str):
    from dangjian.duties.models import Notice

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
        "deadline": _deadline().isoformat(),
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
