"""Permission-matrix entries for the study hours and training pages and /api/v1/study.

Who sees hours: the member their own, the branch's secretary and committee their members (the
roster), the levels above counts and cadres only (coverage). Trainings are planned by the
机关党委 (`organ`); external trainings are recorded by the member or the branch and approved by
the branch.
"""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.matrix_helpers import DENIED, MEMBER_SCOPES, NO_SCOPE, OK, Entry, Objects, rows
from tests.meetings.matrix_meetings import meeting_for, meeting_kwarg
from tests.study.matrix_study import MEETING_SCOPES, MEETING_WRITE

ADMINS_DENIED = {"sysadmin": DENIED, "secadmin": DENIED, "auditor": DENIED}
ADMINS_403 = {"sysadmin": 403, "secadmin": 403, "auditor": 403}
HOURS_ORG_SCOPES = ("own_branch", "sibling", "dept", "other_dept")
DEPT = ("dept",)
PLAN_SCOPES = ("dept", "root")

# fmt: off
MINE = rows((NO_SCOPE,),
    member=OK, secretary=OK, committee=OK, inspector=OK, organ=OK, **ADMINS_403,
)
MINE_API = rows((NO_SCOPE,),
    member=OK, secretary=OK, committee=403, inspector=OK, organ=OK, **ADMINS_403,
)
MEMBER_HOURS = rows(MEMBER_SCOPES,
    member=   (404, 404, 404, OK),
    secretary=(OK,  404, 404, OK),
    committee=(OK,  404, 404, OK),
    inspector=(403, 403, 404, 403),
    organ=    (403, 403, 404, 403),
    **ADMINS_DENIED,
)
ORG_HOURS = rows(HOURS_ORG_SCOPES,
    member=   (404, 404, 404, 404),
    secretary=(OK,  404, 404, 404),
    committee=(OK,  404, 404, 404),
    inspector=(OK,  OK,  OK,  404),
    organ=    (OK,  OK,  OK,  404),
    **ADMINS_DENIED,
)
PLANNERS = rows((NO_SCOPE,),
    member=403, secretary=403, committee=403, inspector=403, organ=OK, **ADMINS_403,
)
PLANNERS_API = rows((NO_SCOPE,),
    member=404, secretary=404, committee=404, inspector=403, organ=OK, **ADMINS_DENIED,
)
TRAINING_READ = rows(DEPT,
    member=OK, secretary=OK, committee=404, inspector=OK, organ=OK, **ADMINS_DENIED,
)
TRAINING_WRITE = rows(DEPT,
    member=403, secretary=403, committee=404, inspector=403, organ=OK, **ADMINS_DENIED,
)
TRAINING_WRITE_API = rows(DEPT,
    member=404, secretary=404, committee=404, inspector=403, organ=OK, **ADMINS_DENIED,
)
CERTIFICATE = rows(DEPT,
    member=OK, secretary=404, committee=404, inspector=OK, organ=OK, **ADMINS_DENIED,
)
EXTERNALS = rows((NO_SCOPE,),
    member=OK, secretary=OK, committee=OK, inspector=OK, organ=OK, **ADMINS_403,
)
EXTERNAL_RECORD = rows((NO_SCOPE,),
    member=OK, secretary=OK, committee=OK, inspector=403, organ=403, **ADMINS_403,
)
EXTERNAL_DECIDE = rows((NO_SCOPE,),
    member=403, secretary=OK, committee=OK, inspector=404, organ=404, **ADMINS_DENIED,
)
EXTERNAL_EVIDENCE = rows((NO_SCOPE,),
    member=OK, secretary=OK, committee=OK, inspector=404, organ=404, **ADMINS_DENIED,
)
PLAN_READ = rows(PLAN_SCOPES,
    member=   (404, 404),
    secretary=(404, 404),
    committee=(404, 404),
    inspector=(OK,  404),
    organ=    (OK,  404),
    **ADMINS_DENIED,
)
PLAN_WRITE = rows(PLAN_SCOPES,
    member=   (404, 404),
    secretary=(404, 404),
    committee=(404, 404),
    inspector=(403, 404),
    organ=    (OK,  404),
    **ADMINS_DENIED,
)
# fmt: on

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _org(objs: Objects, scope: str):
    return objs.demo.org["GW"] if scope == "root" else objs.org(scope)


def _cache(objs: Objects) -> dict:
    if not hasattr(objs, "_hours"):
        objs._hours = {}
    return objs._hours


def training_for(objs: Objects, scope: str):
    from dangjian.audit.services import Actor
    from dangjian.study import services_training

    cache = _cache(objs)
    if "training" not in cache:
        people = [objs.member("own").pk, objs.demo.users["secretary"].member_id]
        cache["training"] = services_training.plan_training(
            Actor.system("matrix"),
            _org(objs, scope),
            {
                "title": "矩阵培训班",
                "organizer": "机关党委",
                "kind": "concentrated",
                "starts_on": "2026-11-02",
                "ends_on": "2026-11-04",
                "hours": "24",
                "members": people,
            },
        )
    return cache["training"]


def seat_for(objs: Objects, scope: str):
    from dangjian.audit.services import Actor
    from dangjian.study import services_training

    cache = _cache(objs)
    if "seat" not in cache:
        training = training_for(objs, scope)
        seat = training.participants.get(member=objs.member("own"))
        upload = SimpleUploadedFile("证书.pdf", PDF)
        cache["seat"] = services_training.attach_certificate(Actor.system("matrix"), seat, upload)
    return cache["seat"]


def external_for(objs: Objects, scope: str):
    from dangjian.audit.services import Actor
    from dangjian.study import services_training

    cache = _cache(objs)
    if "external" not in cache:
        cache["external"] = services_training.record_external(
            Actor.system("matrix"), objs.member("own"), external_data(objs), evidence()
        )
    return cache["external"]


def evidence() -> SimpleUploadedFile:
    return SimpleUploadedFile("证明.pdf", PDF)


def external_data(objs: Objects, scope: str = NO_SCOPE) -> dict:
    return {
        "member": objs.member("own").pk,
        "title": "党校专题培训",
        "provider": "市委党校",
        "starts_on": "2026-10-10",
        "ends_on": "2026-10-12",
        "hours": "16",
    }


def external_form(objs: Objects, scope: str) -> dict:
    return {**external_data(objs), "evidence": evidence()}


def training_form(objs: Objects, scope: str) -> dict:
    return {
        "org": _org(objs, "dept").pk,
        "title": "矩阵新培训班",
        "organizer": "机关党委",
        "kind": "induction",
        "starts_on": "2026-12-01",
        "ends_on": "2026-12-02",
        "hours": "16",
        "members": [objs.member("own").pk],
    }


def training_json(objs: Objects, scope: str) -> dict:
    data = training_form(objs, scope)
    return {**data, "organization_id": data.pop("org")}


def ends_at_form(objs: Objects, scope: str) -> dict:
    start = meeting_for(objs, scope, "past").starts_at
    return {"ends_at": (start + dt.timedelta(hours=2)).isoformat()}


def _kw(name: str, make):
    return lambda objs, scope: ({name: make(objs, scope).pk}, {})


def _member_kw(name: str):
    return lambda objs, scope: ({name: objs.member(scope).pk}, {})


def _org_kw(name: str):
    return lambda objs, scope: ({name: _org(objs, scope).pk}, {})


def _post(table, scopes, url, body, audits, ok=302, method="POST") -> Entry:
    return Entry(method, table, scopes, ok=ok, url=url, body=body, audits=audits)


HOURS_MATRIX: dict[str, tuple[Entry, ...]] = {
    "study_hours:hours_mine": (Entry("GET", MINE),),
    "study_hours:member_hours": (Entry("GET", MEMBER_HOURS, MEMBER_SCOPES, url=_member_kw("pk")),),
    "study_hours:org_hours": (Entry("GET", ORG_HOURS, HOURS_ORG_SCOPES, url=_org_kw("pk")),),
    "study_hours:meeting_hours": (
        _post(MEETING_WRITE, MEETING_SCOPES, meeting_kwarg("meeting_id"), ends_at_form, "update"),
    ),
    "study_hours:trainings": (Entry("GET", MINE),),
    "study_hours:training_new": (
        Entry("GET", PLANNERS),
        _post(PLANNERS, (NO_SCOPE,), lambda o, s: ({}, {}), training_form, "create"),
    ),
    "study_hours:training_detail": (
        Entry("GET", TRAINING_READ, DEPT, url=_kw("pk", training_for)),
        _post(TRAINING_WRITE, DEPT, _kw("pk", training_for), None, "update"),
    ),
    "study_hours:certificate": (Entry("GET", CERTIFICATE, DEPT, url=_kw("pk", seat_for)),),
    "study_hours:externals": (
        Entry("GET", EXTERNALS),
        _post(EXTERNAL_RECORD, (NO_SCOPE,), lambda o, s: ({}, {}), external_form, "create"),
    ),
    "study_hours:external_decide": (
        _post(
            EXTERNAL_DECIDE,
            (NO_SCOPE,),
            _kw("pk", external_for),
            lambda o, s: {"decision": "approve"},
            "update",
        ),
    ),
    "study_hours:external_evidence": (
        Entry("GET", EXTERNAL_EVIDENCE, url=_kw("pk", external_for)),
    ),
    "study_hours:plan": (
        Entry("GET", PLAN_READ, PLAN_SCOPES, url=_org_kw("pk")),
        _post(
            PLAN_WRITE,
            PLAN_SCOPES,
            _org_kw("pk"),
            lambda o, s: {"secretaries": "任职培训"},
            "create",
        ),
    ),
    # The API.
    "api:my_hours": (Entry("GET", MINE_API),),
    "api:member_hours": (Entry("GET", MEMBER_HOURS, MEMBER_SCOPES, url=_member_kw("member_id")),),
    "api:org_hours": (Entry("GET", ORG_HOURS, HOURS_ORG_SCOPES, url=_org_kw("org_id")),),
    "api:set_meeting_hours": (
        _post(
            MEETING_WRITE,
            MEETING_SCOPES,
            meeting_kwarg("meeting_id"),
            ends_at_form,
            "update",
            ok=200,
            method="PUT",
        ),
    ),
    "api:plan_training": (
        _post(PLANNERS_API, (NO_SCOPE,), lambda o, s: ({}, {}), training_json, "create", ok=201),
    ),
    "api:record_completion": (
        _post(TRAINING_WRITE_API, DEPT, _kw("training_id", training_for), None, "update", ok=200),
    ),
}
