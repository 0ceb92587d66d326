"""Permission-matrix entries for the library pages and /api/v1/materials.

Materials are published (through the services, when a case builds its URL) by the 机关工委
(`root`), the secretary's 机关党委 (`dept`), the secretary's branch, its sibling branch and a
branch of another department. A material reaches everyone standing inside its publisher's
subtree and the publisher's readers above; its publisher's writers change it.
"""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.matrix_helpers import DENIED, NO_SCOPE, OK, Entry, Objects, rows
from tests.meetings.matrix_meetings import meeting_kwarg

MATERIAL_SCOPES = ("root", "dept", "own_branch", "sibling", "other_dept")
# New materials and topics, by the organization in `?org=` (or the body).
ORG_SCOPES = ("own_branch", "sibling", "dept", "other_dept")
MEETING_SCOPES = ("own_branch", "sibling", "other_dept")

ADMINS_DENIED = {"sysadmin": DENIED, "secadmin": DENIED, "auditor": DENIED}

# fmt: off
MATERIAL_READ = rows(MATERIAL_SCOPES,
    member=   (OK, OK, OK, 404, 404),
    secretary=(OK, OK, OK, 404, 404),
    committee=(OK, OK, OK, 404, 404),
    inspector=(OK, OK, OK, OK,  404),
    organ=    (OK, OK, OK, OK,  404),
    **ADMINS_DENIED,
)
MATERIAL_WRITE = rows(MATERIAL_SCOPES,
    member=   (403, 403, 403, 404, 404),
    secretary=(403, 403, OK,  404, 404),
    committee=(403, 403, OK,  404, 404),
    inspector=(403, 403, 403, 403, 404),
    organ=    (403, OK,  OK,  OK,  404),
    **ADMINS_DENIED,
)
PUBLISH = rows(ORG_SCOPES,
    member=   (404, 404, 404, 404),
    secretary=(OK,  404, 404, 404),
    committee=(OK,  404, 404, 404),
    inspector=(403, 403, 403, 404),
    organ=    (OK,  OK,  OK,  404),
    **ADMINS_DENIED,
)
READERS = rows((NO_SCOPE,),
    member=OK, secretary=OK, committee=OK, inspector=OK, organ=OK,
    sysadmin=403, secadmin=403, auditor=403,
)
TOPIC_READ = rows(ORG_SCOPES,
    member=   (OK, 404, OK, 404),
    secretary=(OK, 404, OK, 404),
    committee=(OK, 404, OK, 404),
    inspector=(OK, OK,  OK, 404),
    organ=    (OK, OK,  OK, 404),
    **ADMINS_DENIED,
)
TOPIC_WRITE = rows(ORG_SCOPES,
    member=   (403, 404, 403, 404),
    secretary=(OK,  404, 403, 404),
    committee=(OK,  404, 403, 404),
    inspector=(403, 403, 403, 404),
    organ=    (OK,  OK,  OK,  404),
    **ADMINS_DENIED,
)
MEETING_READ = rows(MEETING_SCOPES,
    member=   (OK, 404, 404),
    secretary=(OK, 404, 404),
    committee=(OK, 404, 404),
    inspector=(OK, OK,  404),
    organ=    (OK, OK,  404),
    **ADMINS_DENIED,
)
MEETING_WRITE = rows(MEETING_SCOPES,
    member=   (403, 404, 404),
    secretary=(OK,  404, 404),
    committee=(OK,  404, 404),
    inspector=(403, 403, 404),
    organ=    (OK,  OK,  404),
    **ADMINS_DENIED,
)
# fmt: on

TEXT = "矩阵测试资料：加强机关党支部建设，落实三会一课制度。".encode()


def _org(objs: Objects, scope: str):
    return objs.demo.org["GW"] if scope == "root" else objs.org(scope)


def _cache(objs: Objects) -> dict:
    if not hasattr(objs, "_study"):
        objs._study = {}
    return objs._study


def material_for(objs: Objects, scope: str):
    from dangjian.audit.services import Actor
    from dangjian.study import services

    cache = _cache(objs)
    key = ("material", scope)
    if key not in cache:
        org = _org(objs, scope)
        body = TEXT + f"（{org.code}）".encode()
        cache[key] = services.publish(
            Actor.system("matrix"), org, io.BytesIO(body), f"矩阵{scope}.txt", {"category": "矩阵"}
        )
    return cache[key]


def topic_for(objs: Objects, scope: str):
    from dangjian.audit.services import Actor
    from dangjian.study import services

    cache = _cache(objs)
    key = ("topic", scope)
    if key not in cache:
        topic, _ = services.save_topic(
            Actor.system("matrix"), _org(objs, scope), {"month": "2026-11", "title": "矩阵测试主题"}
        )
        cache[key] = topic
    return cache[key]


def material_kwarg(name: str):
    return lambda objs, scope: ({name: material_for(objs, scope).pk}, {})


def topic_kwarg(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {"pk": topic_for(objs, scope).pk}, {}


def org_query(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {}, {"org": _org(objs, scope).code}


def no_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {}, {}


def publish_form(objs: Objects, scope: str) -> dict:
    return {
        "org": _org(objs, scope).code,
        "file": SimpleUploadedFile("矩阵发布.txt", TEXT + scope.encode()),
        "title": "矩阵发布",
        "category": "矩阵",
    }


def publish_multipart(objs: Objects, scope: str) -> dict:
    return {**publish_form(objs, scope), "organization": _org(objs, scope).code}


def edit_form(objs: Objects, scope: str) -> dict:
    return {"title": "矩阵修改后的标题", "author": "", "category": "矩阵", "abstract": ""}


def edit_json(objs: Objects, scope: str) -> dict:
    return {"title": "矩阵修改后的标题"}


def topic_form(objs: Objects, scope: str) -> dict:
    return {"org": _org(objs, scope).code, "month": "2026-12", "title": "矩阵学习主题"}


def topic_json(objs: Objects, scope: str) -> dict:
    return {"organization": _org(objs, scope).code, "month": "2026-12", "title": "矩阵学习主题"}


def meeting_links(objs: Objects, scope: str) -> dict:
    # The 机关工委's material: every branch's members read it.
    return {"materials": [material_for(objs, "root").pk]}


def _post(table, scopes, url, body, audits, ok=302, method="POST") -> Entry:
    return Entry(method, table, scopes, ok=ok, url=url, body=body, audits=audits)


STUDY_MATRIX: dict[str, tuple[Entry, ...]] = {
    "study:library": (Entry("GET", READERS),),
    "study:material_create": (
        Entry("GET", PUBLISH, ORG_SCOPES, url=org_query),
        _post(PUBLISH, ORG_SCOPES, org_query, publish_form, "create"),
    ),
    "study:material_detail": (
        Entry("GET", MATERIAL_READ, MATERIAL_SCOPES, url=material_kwarg("pk")),
    ),
    "study:material_edit": (
        Entry("GET", MATERIAL_WRITE, MATERIAL_SCOPES, url=material_kwarg("pk")),
        _post(MATERIAL_WRITE, MATERIAL_SCOPES, material_kwarg("pk"), edit_form, "update"),
    ),
    "study:material_delete": (
        _post(MATERIAL_WRITE, MATERIAL_SCOPES, material_kwarg("pk"), None, "delete"),
    ),
    "study:material_download": (
        Entry("GET", MATERIAL_READ, MATERIAL_SCOPES, url=material_kwarg("pk")),
    ),
    "study:topics": (Entry("GET", TOPIC_READ, ORG_SCOPES, url=org_query),),
    "study:topic_save": (
        Entry("GET", PUBLISH, ORG_SCOPES, url=org_query),
        _post(PUBLISH, ORG_SCOPES, org_query, topic_form, "create"),
    ),
    "study:topic_delete": (_post(TOPIC_WRITE, ORG_SCOPES, topic_kwarg, None, "delete"),),
    "study:meeting_materials": (
        Entry("GET", MEETING_READ, MEETING_SCOPES, url=meeting_kwarg("meeting_id")),
        _post(MEETING_WRITE, MEETING_SCOPES, meeting_kwarg("meeting_id"), meeting_links, "update"),
    ),
    # The API.
    "api:list_materials": (Entry("GET", READERS),),
    "api:create_material": (
        _post(PUBLISH, ORG_SCOPES, no_url, publish_multipart, "create", ok=201),
    ),
    "api:get_material": (
        Entry("GET", MATERIAL_READ, MATERIAL_SCOPES, url=material_kwarg("material_id")),
    ),
    "api:update_material": (
        _post(
            MATERIAL_WRITE,
            MATERIAL_SCOPES,
            material_kwarg("material_id"),
            edit_json,
            "update",
            ok=200,
            method="PATCH",
        ),
    ),
    "api:delete_material": (
        _post(
            MATERIAL_WRITE,
            MATERIAL_SCOPES,
            material_kwarg("material_id"),
            None,
            "delete",
            ok=204,
            method="DELETE",
        ),
    ),
    "api:download_material": (
        Entry("GET", MATERIAL_READ, MATERIAL_SCOPES, url=material_kwarg("material_id")),
    ),
    "api:related_materials": (
        Entry("GET", MATERIAL_READ, MATERIAL_SCOPES, url=material_kwarg("material_id")),
    ),
    "api:list_topics": (Entry("GET", TOPIC_READ, ORG_SCOPES, url=org_query),),
    "api:save_topic": (
        _post(PUBLISH, ORG_SCOPES, no_url, topic_json, "create", ok=200, method="PUT"),
    ),
    "api:get_meeting_materials": (
        Entry("GET", MEETING_READ, MEETING_SCOPES, url=meeting_kwarg("meeting_id")),
    ),
    "api:set_meeting_materials": (
        _post(
            MEETING_WRITE,
            MEETING_SCOPES,
            meeting_kwarg("meeting_id"),
            meeting_links,
            "update",
            ok=200,
            method="PUT",
        ),
    ),
}
