"""Permission-matrix entries for the member development pages and /api/v1/recruitment.

A development file is read by the readers of its branch and written by its writers (the branch's
secretary and committee, the 机关党委 above); the 纪检 reader reads but never writes; a member
without a role and the three administrators see no file. Files by scope: one in the secretary's
branch FGW-B01, one in the sibling FGW-B02, one in CZJ-B01 (another department), each waiting
for step 2 (the talk), which every case records in its own rolled-back transaction.
"""

from __future__ import annotations

import datetime as dt
import random

from tests.matrix_helpers import DENIED, NO_SCOPE, OK, Entry, Objects, rows

FILE_SCOPES = ("own_branch", "sibling", "other_dept")
FILE_ORGS = {"own_branch": "FGW-B01", "sibling": "FGW-B02", "other_dept": "CZJ-B01"}
SEEDS = {"own_branch": 101, "sibling": 102, "other_dept": 103}

ADMINS_DENIED = {"sysadmin": DENIED, "secadmin": DENIED, "auditor": DENIED}
ADMINS_403 = {"sysadmin": 403, "secadmin": 403, "auditor": 403}

# fmt: off
FILE_READ = rows(FILE_SCOPES,
    member=404,
    secretary=(OK, 404, 404),
    committee=(OK, 404, 404),
    inspector=(OK, OK,  404),
    organ=    (OK, OK,  404),
    **ADMINS_DENIED,
)
FILE_WRITE = rows(FILE_SCOPES,
    member=404,
    secretary=(OK,  404, 404),
    committee=(OK,  404, 404),
    inspector=(403, 403, 404),
    organ=    (OK,  OK,  404),
    **ADMINS_DENIED,
)
# Pages by `?org=`: a read scope is needed, without one the page is refused outright.
PIPELINE = rows(FILE_SCOPES,
    member=403,
    secretary=(OK, 404, 404),
    committee=(OK, 404, 404),
    inspector=(OK, OK,  404),
    organ=    (OK, OK,  404),
    **ADMINS_403,
)
NEW_FILE = rows(FILE_SCOPES,
    member=403,
    secretary=(OK,  404, 404),
    committee=(OK,  404, 404),
    inspector=(403, 403, 404),
    organ=    (OK,  OK,  404),
    **ADMINS_403,
)
NEW_FILE_API = rows(FILE_SCOPES,
    member=404,
    secretary=(OK,  404, 404),
    committee=(OK,  404, 404),
    inspector=(403, 403, 404),
    organ=    (OK,  OK,  404),
    **ADMINS_DENIED,
)
# 延长预备期 approved by the 机关党委 above the branch only.
COMMITTEE_ABOVE = rows(FILE_SCOPES,
    member=404,
    secretary=(403, 404, 404),
    committee=(403, 404, 404),
    inspector=(403, 403, 404),
    organ=    (OK,  OK,  404),
    **ADMINS_DENIED,
)
READERS = rows((NO_SCOPE,),
    member=403, secretary=OK, committee=OK, inspector=OK, organ=OK, **ADMINS_403,
)
WRITERS = rows((NO_SCOPE,),
    member=403, secretary=OK, committee=OK, inspector=403, organ=OK, **ADMINS_403,
)
# fmt: on


def _id(seed: int) -> str:
    from dangjian.regulations.synth import make_id_number

    return make_id_number(random.Random(seed), dt.date(1999, 3, 4), "female")


def file_for(objs: Objects, scope: str):
    from dangjian.audit.services import Actor
    from dangjian.recruitment import services

    cache = objs.__dict__.setdefault("_recruitment_files", {})
    if scope not in cache:
        cache[scope] = services.open_file(
            Actor.system("matrix"),
            objs.demo.org[FILE_ORGS[scope]],
            name="矩阵申请人",
            id_number=_id(SEEDS[scope]),
            received_on=dt.date(2026, 10, 9),
        )
    return cache[scope]


def _file_kw(name: str):
    return lambda objs, scope: ({name: file_for(objs, scope).pk}, {})


def _org_query(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {}, {"org": objs.demo.org[FILE_ORGS[scope]].pk}


def talk_form(objs: Objects, scope: str) -> dict:
    return {"done_on": "2026-10-20", "decided_by": "支部组织委员"}


def talk_json(objs: Objects, scope: str) -> dict:
    return {"step": 2, **talk_form(objs, scope)}


def new_form(objs: Objects, scope: str) -> dict:
    return {"name": "矩阵新申请人", "id_number": _id(201), "received_on": "2026-11-02"}


def new_json(objs: Objects, scope: str) -> dict:
    return {**new_form(objs, scope), "organization": FILE_ORGS[scope]}


RECRUITMENT_MATRIX: dict[str, tuple[Entry, ...]] = {
    "recruitment:pipeline": (Entry("GET", PIPELINE, FILE_SCOPES, url=_org_query),),
    "recruitment:pending": (Entry("GET", WRITERS),),
    "recruitment:new": (
        Entry("GET", NEW_FILE, FILE_SCOPES, url=_org_query),
        Entry(
            "POST", NEW_FILE, FILE_SCOPES, ok=302, url=_org_query, body=new_form, audits="create"
        ),
    ),  # fmt: skip
    "recruitment:file": (Entry("GET", FILE_READ, FILE_SCOPES, url=_file_kw("pk")),),
    "recruitment:document": (
        Entry(
            "GET",
            FILE_READ,
            FILE_SCOPES,
            audits="export",
            url=lambda objs, scope: ({"pk": file_for(objs, scope).pk, "form": "data_sheet"}, {}),
        ),
    ),  # fmt: skip
    "recruitment:step": (
        Entry(
            "POST",
            FILE_WRITE,
            FILE_SCOPES,
            ok=302,
            url=_file_kw("pk"),
            body=talk_form,
            audits="update",
        ),
    ),  # fmt: skip
    # The matrix files wait for step 2: an extension is refused with a message (400: the file
    # again, with what was typed); tests/recruitment/test_extension.py records and approves real
    # ones.
    "recruitment:extension": (
        Entry(
            "POST",
            FILE_WRITE,
            FILE_SCOPES,
            ok=400,
            url=_file_kw("pk"),
            body=lambda objs, scope: {"months": "6", "decided_on": "2026-11-20", "reason": "矩阵"},
        ),
    ),
    "recruitment:extension_approve": (
        Entry(
            "POST",
            COMMITTEE_ABOVE,
            FILE_SCOPES,
            ok=302,
            url=_file_kw("pk"),
            body=lambda objs, scope: {"approved_on": "2026-11-20"},
        ),
    ),
    "api:recruitment_files": (Entry("GET", READERS),),
    "api:open_recruitment_file": (
        Entry("POST", NEW_FILE_API, FILE_SCOPES, ok=201, body=new_json, audits="create"),
    ),
    "api:recruitment_timeline": (Entry("GET", FILE_READ, FILE_SCOPES, url=_file_kw("file_id")),),
    "api:record_recruitment_step": (
        Entry(
            "POST",
            FILE_WRITE,
            FILE_SCOPES,
            ok=201,
            url=_file_kw("file_id"),
            body=talk_json,
            audits="update",
        ),
    ),  # fmt: skip
    "api:recruitment_pending": (Entry("GET", WRITERS),),
    # The extension by the API: the pages' policy; the matrix files wait for step 2, so an
    # allowed request is refused with a Chinese message (422) and writes nothing
    # (tests/transfers/test_api_writes.py records and approves a real one).
    "api:propose_probation_extension": (
        Entry(
            "POST",
            FILE_WRITE,
            FILE_SCOPES,
            ok=422,
            url=_file_kw("file_id"),
            body=lambda objs, scope: {
                "months": 6,
                "decided_on": "2026-11-20",
                "vote_id": 0,
                "reason": "矩阵",
            },
        ),
    ),
    "api:approve_probation_extension": (
        Entry(
            "POST",
            COMMITTEE_ABOVE,
            FILE_SCOPES,
            ok=422,
            url=_file_kw("file_id"),
            body=lambda objs, scope: {"approved_on": "2026-11-20"},
        ),
    ),  # fmt: skip
}
