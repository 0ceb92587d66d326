"""Permission-matrix entries for the desk's pages: the dashboard, the statistics and their export.

(The work desk itself is `home`, in the main matrix: every role gets its own desk.) The dashboard
and the statistics need a read scope (the branch roles, 纪检 and 机关党委 over their subtree);
members and the three administrators have none. The export needs the export right and is audited.
"""

from __future__ import annotations

from tests.matrix_helpers import DENIED, NO_SCOPE, OK, Entry, Objects, rows

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


# ---- dossiers: one built per scope (own_branch, sibling, other_dept) --------------------------
DOSSIER_SCOPES = ("own_branch", "sibling", "other_dept")
REQUEST_SCOPES = ("own_branch", "sibling", "other_dept")

# fmt: off
DOSSIER_LIST = rows((NO_SCOPE,),
    member=403, secretary=OK, committee=OK, inspector=OK, organ=OK, **ADMINS_DENIED,
)
DOSSIER_READ = rows(DOSSIER_SCOPES,
    member=   DENIED,
    secretary=(OK,  404, 404),
    committee=(OK,  404, 404),
    inspector=(OK,  OK,  404),
    organ=    (OK,  OK,  404),
    **ADMINS_DENIED,
)
DOSSIER_REQUEST = rows(REQUEST_SCOPES,
    member=   403,
    secretary=(OK,  404, 404),
    committee=(OK,  404, 404),
    inspector=(OK,  OK,  404),
    organ=    (OK,  OK,  404),
    **ADMINS_DENIED,
)
# fmt: on


def dossier_for(objs: Objects, scope: str):
    """A dossier of the scope's branch for this year, built (outside any task queue)."""
    import datetime as dt

    from dangjian.audit.services import Actor
    from dangjian.core import clock
    from dangjian.desk import dossiers

    cache = objs.__dict__.setdefault("_dossiers", {})
    if scope not in cache:
        today = clock.today()
        org = objs.org(scope)
        made = dossiers.request_dossier(
            Actor.system("matrix"), org, dt.date(today.year, 1, 1), today
        )
        cache[scope] = dossiers.build(made.pk)
    return cache[scope]


def dossier_kwarg(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {"pk": dossier_for(objs, scope).pk}, {}


def dossier_form(objs: Objects, scope: str) -> dict:
    return {"org": objs.org(scope).code}


def manifest_upload(objs: Objects, scope: str) -> dict:
    """The manifest.json of the scope's dossier, as an inspector would upload it."""
    import io
    import zipfile

    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangjian.audit.services import Actor
    from dangjian.desk import dossiers

    data = dossiers.open_dossier(Actor.system("matrix"), dossier_for(objs, scope))
    manifest = zipfile.ZipFile(io.BytesIO(data)).read("manifest.json")
    return {"manifest": SimpleUploadedFile("manifest.json", manifest)}


DESK_MATRIX.update(
    {
        # verification against an uploaded manifest: 404 for an organization outside the scope
        "desk:dossier_manifest": (
            Entry("GET", DOSSIER_LIST),
            Entry("POST", DOSSIER_READ, DOSSIER_SCOPES, body=manifest_upload),
        ),
        "desk:dossiers": (
            Entry("GET", DOSSIER_LIST),
            Entry(
                "POST",
                DOSSIER_REQUEST,
                REQUEST_SCOPES,
                ok=302,
                body=dossier_form,
                audits="create",
            ),
        ),
        "desk:dossier_status": (Entry("GET", DOSSIER_READ, DOSSIER_SCOPES, url=dossier_kwarg),),
        "desk:dossier_verify": (Entry("GET", DOSSIER_READ, DOSSIER_SCOPES, url=dossier_kwarg),),
        "desk:dossier_download": (
            Entry("GET", DOSSIER_READ, DOSSIER_SCOPES, url=dossier_kwarg, audits="export"),
        ),
        "desk:dossier_document": (
            Entry("GET", DOSSIER_READ, DOSSIER_SCOPES, url=dossier_kwarg, audits="export"),
        ),
        # the PDF is there when LibreOffice is (CI installs it); without, the page says why
        "desk:dossier_pdf": (
            Entry("GET", DOSSIER_READ, DOSSIER_SCOPES, url=dossier_kwarg, audits="export"),
        ),
    }
)
