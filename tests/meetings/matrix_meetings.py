"""Permission-matrix entries for the meeting pages and the meetings API.

`MEETING_MATRIX` has the shape of `tests/test_permission_matrix.py`'s MATRIX (route name →
entries) and is merged into it there. The objects each scope points at (a meeting of the
secretary's branch, of the sibling branch, of another department; a leave request, an
attachment, a series, a check-in token for each) are made through the services by the URL
fillers below, once for all the cases (the matrix's world, in tests/matrix_helpers.py).

Every persona with a member record (member, secretary, inspector, organ) belongs to FGW-B01,
so each is expected at a general meeting of the secretary's branch.
"""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.matrix_helpers import DENIED, NO_SCOPE, OK, Entry, Objects, rows

# Meetings and their objects by organization: FGW-B01, FGW-B02, CZJ-B01.
MEETING_SCOPES = ("own_branch", "sibling", "other_dept")
# New meetings and series, by the organization in `?org=`.
PLAN_SCOPES = ("own_branch", "sibling", "other_dept")
# Lists filtered by `?org=<code>`; `all` filters nothing.
LIST_SCOPES = ("all", "own_branch", "sibling", "other_dept")

ADMINS_DENIED = {"sysadmin": DENIED, "secadmin": DENIED, "auditor": DENIED}

# fmt: off
# Reading a meeting: its organization's readers, and the members expected at it.
MEETING_READ = rows(MEETING_SCOPES,
    member=   (OK,  404, 404),
    secretary=(OK,  404, 404),
    committee=(OK,  404, 404),
    inspector=(OK,  OK,  404),
    organ=    (OK,  OK,  404),
    **ADMINS_DENIED,
)
# Attachments and everyone's attendance: the organization's readers only.
MEETING_RECORDS = rows(MEETING_SCOPES,
    member=   (404, 404, 404),
    secretary=(OK,  404, 404),
    committee=(OK,  404, 404),
    inspector=(OK,  OK,  404),
    organ=    (OK,  OK,  404),
    **ADMINS_DENIED,
)
# Recording, cancelling, approving leave, attachments, the check-in screen.
MEETING_WRITE = rows(MEETING_SCOPES,
    member=   (403, 404, 404),
    secretary=(OK,  404, 404),
    committee=(OK,  404, 404),
    inspector=(403, 403, 404),
    organ=    (OK,  OK,  404),
    **ADMINS_DENIED,
)
# Asking for leave: a member expected at the meeting (the 支委 account has no member record).
LEAVE_REQUEST = rows(MEETING_SCOPES,
    member=   (OK,  404, 404),
    secretary=(OK,  404, 404),
    committee=(403, 404, 404),
    inspector=(OK,  403, 404),
    organ=    (OK,  403, 404),
    **ADMINS_DENIED,
)
# Checking in with a valid token: only members expected at that meeting.
CHECK_IN = rows(MEETING_SCOPES,
    member=   (OK,  403, 403),
    secretary=(OK,  403, 403),
    committee=403,
    inspector=(OK,  403, 403),
    organ=    (OK,  403, 403),
    sysadmin=403, secadmin=403, auditor=403,
)
# Planning, by the organization asked for.
MEETING_PLAN = rows(PLAN_SCOPES,
    member=   (404, 404, 404),
    secretary=(OK,  404, 404),
    committee=(OK,  404, 404),
    inspector=(403, 403, 404),
    organ=    (OK,  OK,  404),
    **ADMINS_DENIED,
)
# The calendar: an ordinary member without `?org=` is sent to their own page.
CALENDAR = rows(LIST_SCOPES,
    member=   (302, 404, 404, 404),
    secretary=(OK,  OK,  404, 404),
    committee=(OK,  OK,  404, 404),
    inspector=(OK,  OK,  OK,  404),
    organ=    (OK,  OK,  OK,  404),
    **ADMINS_DENIED,
)
MEETING_LIST = rows(LIST_SCOPES,
    member=   (OK,  404, 404, 404),
    secretary=(OK,  OK,  404, 404),
    committee=(OK,  OK,  404, 404),
    inspector=(OK,  OK,  OK,  404),
    organ=    (OK,  OK,  OK,  404),
    **ADMINS_DENIED,
)
# A member's own page: anyone whose account has a member record.
MINE = rows((NO_SCOPE,),
    member=OK, secretary=OK, committee=403, inspector=OK, organ=OK,
    sysadmin=403, secadmin=403, auditor=403,
)
# fmt: on

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# ---- objects per scope ---------------------------------------------------------------------


def _cache(objs: Objects) -> dict:
    if not hasattr(objs, "_meetings"):
        objs._meetings = {}
    return objs._meetings


def meeting_for(objs: Objects, scope: str, state: str = "past"):
    """A general meeting of the scope's branch: `past` (yesterday, planned), `held` (yesterday,
    recorded with everyone present), `upcoming` (in three days) or `now` (starting now)."""
    from dangjian.audit.services import Actor
    from dangjian.meetings import services
    from dangjian.regulations.periods import TZ

    key = ("meeting", scope, state)
    cache = _cache(objs)
    if key not in cache:
        actor = Actor.system("matrix")
        from dangjian.core import clock

        day = clock.today() + dt.timedelta(days=3 if state == "upcoming" else -1)
        starts_at = dt.datetime.combine(day, dt.time(14, 30), tzinfo=TZ)
        if state == "now":  # open for QR check-in
            from tests.meetings import starting_now

            starts_at = starting_now()
        meeting = services.plan_meeting(
            actor,
            objs.org(scope),
            {
                "kind": "general_meeting",
                "starts_at": starts_at,
                "topic": f"矩阵测试会议（{state}）",
                "confirm_duplicate": True,
            },
        )
        if state == "held":
            services.record_meeting(actor, meeting, attendance={})
        cache[key] = meeting
    return cache[key]


def leave_for(objs: Objects, scope: str):
    """A pending leave request of a member of the scope's branch for an upcoming meeting."""
    from dangjian.audit.services import Actor
    from dangjian.meetings import services
    from dangjian.members.models import Member

    key = ("leave", scope)
    cache = _cache(objs)
    if key not in cache:
        meeting = meeting_for(objs, scope, "upcoming")
        member = Member.objects.filter(organization=meeting.organization).order_by("-pk").first()
        cache[key] = services.request_leave(Actor.system("matrix"), meeting, member, "矩阵测试")
    return cache[key]


def attachment_for(objs: Objects, scope: str):
    from dangjian.audit.services import Actor
    from dangjian.meetings import services
    from dangjian.meetings.models import Attachment

    key = ("attachment", scope)
    cache = _cache(objs)
    if key not in cache:
        meeting = meeting_for(objs, scope, "held")
        services.add_attachments(
            Actor.system("matrix"), meeting, [SimpleUploadedFile("矩阵测试.pdf", PDF)]
        )
        cache[key] = Attachment.objects.filter(meeting=meeting).latest("pk")
    return cache[key]


def series_for(objs: Objects, scope: str):
    """The branch's 主题党日 series (the demo gives every branch one)."""
    from dangjian.meetings.models import MeetingSeries

    return MeetingSeries.objects.filter(organization=objs.org(scope), active=True).first()


# URL fillers: (objects, scope) -> (URL kwargs, query parameters).


def meeting_kwarg(name: str, state: str = "past"):
    return lambda objs, scope: ({name: meeting_for(objs, scope, state).pk}, {})


def leave_kwarg(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {"pk": leave_for(objs, scope).pk}, {}


def attachment_kwarg(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {"pk": attachment_for(objs, scope).pk}, {}


def series_kwarg(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {"pk": series_for(objs, scope).pk}, {}


def token_kwarg(objs: Objects, scope: str) -> tuple[dict, dict]:
    from dangjian.meetings.checkin import issue_token

    return {"token": issue_token(meeting_for(objs, scope, "now").pk)}, {}


def org_query(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {}, ({} if scope == "all" else {"org": objs.org(scope).code})


# Request bodies: valid data, so that the only reason for a refusal is the permission.


def _day(days: int) -> dt.date:
    from dangjian.core import clock

    return clock.today() + dt.timedelta(days=days)


def plan_form(objs: Objects, scope: str) -> dict:
    return {
        "kind": "theme_day",
        "date": _day(5).isoformat(),
        "time": "14:30",
        "topic": "矩阵测试主题党日",
        "place": "",
        "host": "",
        "invited": "",
    }


def series_form(objs: Objects, scope: str) -> dict:
    # The demo's branches already have a 主题党日 series; a 党课 series is new everywhere.
    return {"kind": "party_lecture", "day_of_month": "5", "start_time": "14:30"}


def record_form(objs: Objects, scope: str) -> dict:
    from dangjian.meetings.queries import expected_attendees

    meeting = meeting_for(objs, scope, "past")
    data = {
        "date": _day(-1).isoformat(),
        "time": "14:30",
        "host": "",
        "recorder": "",
        "agenda": "矩阵测试",
        "content": "",
        "decisions": "",
    }
    for pk in expected_attendees(meeting).values_list("pk", flat=True):
        data[f"att-{pk}"] = "present"
    return data


def cancel_form(objs: Objects, scope: str) -> dict:
    return {"reason": "矩阵测试"}


def leave_form(objs: Objects, scope: str) -> dict:
    return {"reason": "矩阵测试"}


def decide_form(objs: Objects, scope: str) -> dict:
    return {"decision": "approve"}


def upload_form(objs: Objects, scope: str) -> dict:
    return {"files": SimpleUploadedFile("矩阵测试.pdf", PDF)}


def create_json(objs: Objects, scope: str) -> dict:
    return {
        "organization": objs.org(scope).code,
        "kind": "theme_day",
        "topic": "矩阵测试",
        "starts_at": f"{_day(5).isoformat()}T14:30",
    }


def attendance_json(objs: Objects, scope: str) -> dict:
    return {"exceptions": []}


def minutes_json(objs: Objects, scope: str) -> dict:
    return {"decisions": "矩阵测试决议"}


def _post(table, scopes, url, body, audits, ok=302) -> Entry:
    return Entry("POST", table, scopes, ok=ok, url=url, body=body, audits=audits)


MEETING_MATRIX: dict[str, tuple[Entry, ...]] = {
    "meetings:calendar": (Entry("GET", CALENDAR, LIST_SCOPES, url=org_query),),
    "meetings:mine": (Entry("GET", MINE),),
    "meetings:create": (
        Entry("GET", MEETING_PLAN, PLAN_SCOPES, url=org_query),
        _post(MEETING_PLAN, PLAN_SCOPES, org_query, plan_form, "create"),
    ),
    "meetings:series_create": (
        Entry("GET", MEETING_PLAN, PLAN_SCOPES, url=org_query),
        _post(MEETING_PLAN, PLAN_SCOPES, org_query, series_form, "create"),
    ),
    "meetings:series_extend": (_post(MEETING_PLAN, MEETING_SCOPES, series_kwarg, None, "create"),),
    "meetings:detail": (Entry("GET", MEETING_READ, MEETING_SCOPES, url=meeting_kwarg("pk")),),
    "meetings:record": (
        Entry("GET", MEETING_WRITE, MEETING_SCOPES, url=meeting_kwarg("pk")),
        _post(MEETING_WRITE, MEETING_SCOPES, meeting_kwarg("pk"), record_form, "update"),
    ),
    "meetings:cancel": (
        _post(MEETING_WRITE, MEETING_SCOPES, meeting_kwarg("pk"), cancel_form, "update"),
    ),
    "meetings:leave_request": (
        _post(LEAVE_REQUEST, MEETING_SCOPES, meeting_kwarg("pk", "upcoming"), leave_form, "create"),
    ),
    "meetings:leave_decide": (
        _post(MEETING_WRITE, MEETING_SCOPES, leave_kwarg, decide_form, "update"),
    ),
    # Another member's pending request: only those who may note leave for them withdraw it.
    "meetings:leave_withdraw": (_post(MEETING_WRITE, MEETING_SCOPES, leave_kwarg, None, "delete"),),
    "meetings:attachment_upload": (
        _post(MEETING_WRITE, MEETING_SCOPES, meeting_kwarg("pk", "held"), upload_form, "create"),
    ),
    "meetings:attachment": (Entry("GET", MEETING_RECORDS, MEETING_SCOPES, url=attachment_kwarg),),
    "meetings:attachment_delete": (
        _post(MEETING_WRITE, MEETING_SCOPES, attachment_kwarg, None, "delete"),
    ),
    "meetings:checkin_screen": (
        Entry("GET", MEETING_WRITE, MEETING_SCOPES, url=meeting_kwarg("pk", "upcoming")),
    ),
    "meetings:checkin_qr": (
        Entry("GET", MEETING_WRITE, MEETING_SCOPES, url=meeting_kwarg("pk", "upcoming")),
    ),
    "meetings:checkin": (Entry("GET", CHECK_IN, MEETING_SCOPES, url=token_kwarg, audits="create"),),
    # The API.
    "api:list_meetings": (Entry("GET", MEETING_LIST, LIST_SCOPES, url=org_query),),
    "api:get_meeting": (
        Entry("GET", MEETING_READ, MEETING_SCOPES, url=meeting_kwarg("meeting_id")),
    ),
    "api:create_meeting": (
        _post(MEETING_PLAN, PLAN_SCOPES, lambda o, s: ({}, {}), create_json, "create", ok=201),
    ),
    "api:record_attendance": (
        _post(
            MEETING_WRITE,
            MEETING_SCOPES,
            meeting_kwarg("meeting_id"),
            attendance_json,
            "update",
            ok=200,
        ),
    ),
    "api:record_minutes": (
        _post(
            MEETING_WRITE,
            MEETING_SCOPES,
            meeting_kwarg("meeting_id", "held"),
            minutes_json,
            "update",
            ok=200,
        ),
    ),
}
