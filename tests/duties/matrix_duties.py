"""Permission-matrix entries for the responsibility-system pages (merged into MATRIX).

`DUTIES_MATRIX` has the shape of `tests/test_permission_matrix.py`'s MATRIX (route name →
entries). The objects each scope points at are work items made through the services by the URL
fillers below, once for all the cases (the matrix's world): an item the 机关党委 of FGW (FGW-JGDW)
sent to the secretary's branch FGW-B01, one it sent to the sibling branch FGW-B02, FGW-JGDW's
own plan item (`dept`), an item CZJ-JGDW (another department) sent to CZJ-B01, and an item
FGW-B01 split down to its party group FGW-B01-G1 (which the branch itself reviews).

The policy: readers of an item's organization read it, writers of it work on it (progress,
evidence, split, submit); only writers of the sending organization review it; the 纪检 reader
reads but never writes; the three administrators and a member without a role see nothing of
the work items (a member is refused the lists outright, and gets 404 for an item).
"""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.duties import PDF
from tests.matrix_helpers import DENIED, NO_SCOPE, OK, Entry, Objects, rows

# Items by the organization that must do them; `dept` is FGW-JGDW's own plan item.
ITEM_SCOPES = ("own_branch", "sibling", "dept", "other_dept")
# Received items still open (split, progress, evidence, submit) and their documents.
WORK_SCOPES = ("own_branch", "sibling", "other_dept")
# Submitted items (验收); `own_group`'s sender is the secretary's branch.
REVIEW_SCOPES = ("own_group", "own_branch", "sibling", "other_dept")
# The form that sends items down, by `?org=`: a branch (never a sender), FGW-JGDW, CZJ-JGDW.
SEND_SCOPES = ("own_branch", "dept", "other_dept")
# Lists filtered by `?org=<code>` (FGW-B01, FGW-B02, CZJ-B01); `all` filters nothing.
LIST_SCOPES = ("all", "own_branch", "sibling", "other_dept")
# Duty lists and statistics by `?org=`; `default` asks without it (the caller's own org).
ORG_PAGE_SCOPES = ("default", "own_branch", "sibling", "dept", "other_dept")
# Editing the duty list, by `?org=`: a branch (never an owner), FGW-JGDW, CZJ-JGDW.
DUTY_EDIT_SCOPES = ("own_branch", "dept", "other_dept")

ITEM_ORGS = {
    "own_branch": "FGW-B01",
    "sibling": "FGW-B02",
    "other_dept": "CZJ-B01",
    "own_group": "FGW-B01-G1",
}
SENDER_ORGS = {"own_branch": "FGW-B01", "dept": "FGW-JGDW", "other_dept": "CZJ-JGDW"}
PAGE_ORGS = {
    "own_branch": "FGW-B01",
    "sibling": "FGW-B02",
    "dept": "FGW-JGDW",
    "other_dept": "CZJ-B01",
}

ADMINS_DENIED = {"sysadmin": DENIED, "secadmin": DENIED, "auditor": DENIED}
ADMINS_REFUSED = {"sysadmin": 403, "secadmin": 403, "auditor": 403}

# fmt: off
ITEM_READ = rows(ITEM_SCOPES,
    member=404,
    secretary=(OK, 404, 404, 404),
    committee=(OK, 404, 404, 404),
    inspector=(OK, OK,  OK,  404),
    organ=    (OK, OK,  OK,  404),
    **ADMINS_DENIED,
)
# A document attached to the scope's item: the item's readers.
EVIDENCE_READ = rows(WORK_SCOPES,
    member=404,
    secretary=(OK, 404, 404),
    committee=(OK, 404, 404),
    inspector=(OK, OK,  404),
    organ=    (OK, OK,  404),
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
# Sending down: writers of a 机关党委 (or above); a branch splits what it receives instead.
ITEM_SEND = rows(SEND_SCOPES,
    member=404,
    secretary=(403, 404, 404),
    committee=(403, 404, 404),
    inspector=(403, 403, 404),
    organ=    (403, OK,  404),
    **ADMINS_DENIED,
)
# The item list and 督办: a read scope is needed; without one the page is refused outright.
ITEM_LIST = rows(LIST_SCOPES,
    member=403,
    secretary=(OK, OK, 404, 404),
    committee=(OK, OK, 404, 404),
    inspector=(OK, OK, OK,  404),
    organ=    (OK, OK, OK,  404),
    **ADMINS_REFUSED,
)
# Duty lists name the post holders: the organization's readers.
DUTY_LIST = rows(ORG_PAGE_SCOPES,
    member=   (403, 404, 404, 404, 404),
    secretary=(OK,  OK,  404, 404, 404),
    committee=(OK,  OK,  404, 404, 404),
    inspector=(OK,  OK,  OK,  OK,  404),
    organ=    (OK,  OK,  OK,  OK,  404),
    sysadmin= (403, 404, 404, 404, 404),
    secadmin= (403, 404, 404, 404, 404),
    auditor=  (403, 404, 404, 404, 404),
)
# Only the 机关党委 edits the duty list, for its own subtree.
DUTY_EDIT = rows(DUTY_EDIT_SCOPES,
    member=404,
    secretary=(403, 404, 404),
    committee=(403, 404, 404),
    inspector=(403, 403, 404),
    organ=    (403, OK,  404),
    **ADMINS_DENIED,
)
# Statistics and their export: the organization's readers (every reader may also export).
STATISTICS = rows(ORG_PAGE_SCOPES,
    member=403,
    secretary=(OK, OK, 404, 404, 404),
    committee=(OK, OK, 404, 404, 404),
    inspector=(OK, OK, OK,  OK,  404),
    organ=    (OK, OK, OK,  OK,  404),
    **ADMINS_REFUSED,
)
# Everyone signed in has an inbox (possibly empty); marking read touches only one's own notices.
INBOX = rows((NO_SCOPE,),
    member=OK, secretary=OK, committee=OK, inspector=OK, organ=OK,
    sysadmin=OK, secadmin=OK, auditor=OK,
)
# fmt: on


# ---- objects per scope ---------------------------------------------------------------------


def _cache(objs: Objects) -> dict:
    if not hasattr(objs, "_duty_pages"):
        objs._duty_pages = {}
    return objs._duty_pages


def deadline() -> dt.date:
    from dangjian.core.clock import today
    from dangjian.regulations import workdays

    return workdays.add_workdays(today(), 20)


def _send(objs: Objects, sender: str, targets: list[str], title: str):
    from dangjian.audit.services import Actor
    from dangjian.duties import services

    return services.send_down(
        Actor.system("matrix"),
        objs.demo.org[sender],
        {"title": title, "deadline": deadline()},
        targets=targets,
    )


def item_for(objs: Objects, scope: str, state: str = "open"):
    """The scope's work item: `open` (just received) or `submitted` (waiting for review)."""
    from dangjian.audit.services import Actor
    from dangjian.duties import services

    key = ("item", scope, state)
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


def document_for(objs: Objects, scope: str):
    """A PDF uploaded as evidence to the scope's open item."""
    from dangjian.audit.services import Actor
    from dangjian.duties import services
    from dangjian.duties.models import Evidence, EvidenceKind

    key = ("document", scope)
    cache = _cache(objs)
    if key not in cache:
        item = item_for(objs, scope)
        services.add_document(
            Actor.system("matrix"), item, [SimpleUploadedFile("矩阵测试.pdf", PDF)]
        )
        cache[key] = Evidence.objects.filter(item=item, kind=EvidenceKind.DOCUMENT).latest("pk")
    return cache[key]


# URL fillers: (objects, scope) -> (URL kwargs, query parameters).


def item_kwarg(state: str = "open"):
    return lambda objs, scope: ({"pk": item_for(objs, scope, state).pk}, {})


def document_kwarg(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {"pk": document_for(objs, scope).pk}, {}


def list_query(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {}, ({} if scope == "all" else {"org": ITEM_ORGS[scope]})


def sender_query(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {}, {"org": SENDER_ORGS[scope]}


def org_page_query(objs: Objects, scope: str) -> tuple[dict, dict]:
    year = str(deadline().year)
    if scope == "default":
        return {}, {"year": year}
    return {}, {"org": PAGE_ORGS[scope], "year": year}


# Request bodies: valid data, so that the only reason for a refusal is the permission.


def send_form(objs: Objects, scope: str) -> dict:
    return {"title": "矩阵测试下发", "deadline": deadline().isoformat(), "mode": "branches"}


def split_form(objs: Objects, scope: str) -> dict:
    return {"mode": "chosen", "targets": f"{ITEM_ORGS[scope]}-G1"}


def progress_form(objs: Objects, scope: str) -> dict:
    return {"progress": "30", "note": "矩阵测试"}


def evidence_form(objs: Objects, scope: str) -> dict:
    return {"figure": "12", "note": "矩阵测试人数"}


def note_form(objs: Objects, scope: str) -> dict:
    return {"note": "矩阵测试"}


def accept_form(objs: Objects, scope: str) -> dict:
    return {"decision": "accept", "note": "矩阵测试"}


def withdraw_form(objs: Objects, scope: str) -> dict:
    return {"reason": "矩阵测试撤回"}


def duty_form(objs: Objects, scope: str) -> dict:
    return {
        "org_kind": "branch",
        "post_kind": "secretary",
        "responsibility": "direct",
        "title": "矩阵测试职责",
        "active": "1",
    }


def _post(table, scopes, url, body, audits, ok=302) -> Entry:
    return Entry("POST", table, scopes, ok=ok, url=url, body=body, audits=audits)


DUTIES_MATRIX: dict[str, tuple[Entry, ...]] = {
    "duties:items": (Entry("GET", ITEM_LIST, LIST_SCOPES, url=list_query),),
    "duties:create": (
        Entry("GET", ITEM_SEND, SEND_SCOPES, url=sender_query),
        _post(ITEM_SEND, SEND_SCOPES, sender_query, send_form, "create"),
    ),
    "duties:detail": (Entry("GET", ITEM_READ, ITEM_SCOPES, url=item_kwarg()),),
    "duties:split": (
        Entry("GET", ITEM_WORK, WORK_SCOPES, url=item_kwarg()),
        _post(ITEM_WORK, WORK_SCOPES, item_kwarg(), split_form, "create"),
    ),
    "duties:progress": (_post(ITEM_WORK, WORK_SCOPES, item_kwarg(), progress_form, "update"),),
    "duties:evidence": (_post(ITEM_WORK, WORK_SCOPES, item_kwarg(), evidence_form, "create"),),
    "duties:submit": (_post(ITEM_WORK, WORK_SCOPES, item_kwarg(), note_form, "update"),),
    "duties:review": (
        _post(ITEM_REVIEW, REVIEW_SCOPES, item_kwarg("submitted"), accept_form, "update"),
    ),
    # Withdrawing belongs to the sender, like review (an open item here).
    "duties:withdraw": (_post(ITEM_REVIEW, REVIEW_SCOPES, item_kwarg(), withdraw_form, "update"),),
    "duties:evidence_file": (Entry("GET", EVIDENCE_READ, WORK_SCOPES, url=document_kwarg),),
    "duties:overdue": (Entry("GET", ITEM_LIST, LIST_SCOPES, url=list_query),),
    "duties:duty_list": (Entry("GET", DUTY_LIST, ORG_PAGE_SCOPES, url=org_page_query),),
    "duties:duty_edit": (
        Entry("GET", DUTY_EDIT, DUTY_EDIT_SCOPES, url=sender_query),
        _post(DUTY_EDIT, DUTY_EDIT_SCOPES, sender_query, duty_form, "create"),
    ),
    "duties:statistics": (Entry("GET", STATISTICS, ORG_PAGE_SCOPES, url=org_page_query),),
    "duties:statistics_export": (
        Entry("GET", STATISTICS, ORG_PAGE_SCOPES, url=org_page_query, audits="export"),
    ),
    # The inbox (the notices app's pages, at /duties/inbox/).
    "notices:inbox": (Entry("GET", INBOX),),
    "notices:inbox_read": (_post(INBOX, (NO_SCOPE,), lambda o, s: ({}, {}), None, None),),
    "notices:inbox_badge": (Entry("GET", INBOX),),
}
