"""Machinery for the permission matrix: routes from the URLconf, personas, objects per scope."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.test import Client
from django.test.client import ClientHandler
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import PASSWORD, member_payload
from tests.helpers import actions_since

# Everyone the matrix tries, in the order the ids read best.
PERSONAS = (
    "anonymous",
    "member",
    "secretary",
    "committee",
    "inspector",
    "organ",
    "sysadmin",
    "secadmin",
    "auditor",
)
NO_SCOPE = "-"

# Symbolic expectations, resolved per request in `expected_for`.
OK = "ok"  # the route's success status (200 page, 302 after a form post, 201 API create)
LOGIN = "login"  # anonymous: a redirect to the login page (pages) or 401 (API)
DENIED = frozenset({403, 404})  # the policy allows either for "no business here"


# ---- routes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    pattern: str  # the full route string, e.g. "members/<int:pk>/"
    params: tuple[str, ...]  # converter (URL kwarg) names

    @property
    def is_api(self) -> bool:
        return self.name.startswith("api:")

    @property
    def openapi_path(self) -> str:
        """The path as OpenAPI spells it: /api/v1/members/{member_id}."""
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.pattern)


def _walk(patterns, prefix: str, namespace: str | None) -> Iterator[Route]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            pattern = prefix + str(p.pattern)
            if p.name:
                name = f"{namespace}:{p.name}" if namespace else p.name
            else:
                # An unnamed route cannot be given a matrix entry: report it by its pattern.
                name = f"<unnamed {pattern}>"
            params = tuple(sorted(p.pattern.converters)) if hasattr(p.pattern, "converters") else ()
            yield Route(name, pattern, params)


def collect_routes() -> dict[str, Route]:
    """Every route of the URLconf (pages and the django-ninja API), by namespaced name."""
    routes: dict[str, Route] = {}
    for route in _walk(get_resolver().url_patterns, "", None):
        # django-ninja registers one URL pattern per operation, so names are unique per method.
        routes.setdefault(route.name, route)
    return routes


def openapi_operations() -> set[tuple[str, str]]:
    """(path, METHOD) of every operation the API publishes in its OpenAPI schema."""
    from dangjian.api import api

    schema = api.get_openapi_schema()
    return {
        (path, method.upper())
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }


# ---- matrix entries ------------------------------------------------------------------------

Expectation = int | str | frozenset


def rows(scopes: tuple[str, ...], **by_persona) -> dict[tuple[str, str], Expectation]:
    """A policy table: one value (every scope) or one tuple (in `scopes` order) per persona.

    Every persona but `anonymous` must be named, so a forgotten row fails at import time.
    """
    by_persona.setdefault("anonymous", LOGIN)
    missing = set(PERSONAS) - set(by_persona)
    unknown = set(by_persona) - set(PERSONAS)
    if missing or unknown:
        raise ValueError(f"policy rows: missing {sorted(missing)}, unknown {sorted(unknown)}")
    table = {}
    for persona, value in by_persona.items():
        values = value if isinstance(value, tuple) else (value,) * len(scopes)
        if len(values) != len(scopes):
            raise ValueError(f"policy row {persona}: {len(values)} values for scopes {scopes}")
        for scope, expected in zip(scopes, values, strict=True):
            table[(persona, scope)] = expected
    return table


def only(persona: str, scopes: tuple[str, ...] = (NO_SCOPE,), *, others: Expectation = 403):
    """A table where one persona gets OK and everybody else (but anonymous) `others`."""
    values = {p: others for p in PERSONAS if p != "anonymous"}
    values[persona] = OK
    return rows(scopes, **values)


@dataclass(frozen=True)
class Entry:
    """One request shape on one route, with its expected status per (persona, scope)."""

    method: str
    table: dict[tuple[str, str], Expectation]
    scopes: tuple[str, ...] = (NO_SCOPE,)
    ok: int = 200
    # (objects, scope) -> (URL kwargs, query string dict)
    url: Callable[[Any, str], tuple[dict, dict]] = lambda objs, scope: ({}, {})
    # (objects, scope) -> request body (form dict for pages, JSON dict for the API)
    body: Callable[[Any, str], dict] | None = None
    # The audit action an allowed request must leave behind (writes, reveals, exports).
    audits: str | None = None
    # (persona, scope) -> reason: cells where the product disagrees with the policy.
    bugs: dict[tuple[str, str], str] = field(default_factory=dict)

    def expected(self, persona: str, scope: str) -> Expectation:
        return self.table[(persona, scope)]


def expected_status(entry: Entry, route: Route, persona: str, scope: str) -> set[int]:
    value = entry.expected(persona, scope)
    if value == OK:
        return {entry.ok}
    if value == LOGIN:
        return {401} if route.is_api else {302}
    if isinstance(value, frozenset):
        return set(value)
    return {value}


def is_refusal(entry: Entry, persona: str, scope: str) -> bool:
    value = entry.expected(persona, scope)
    return value == LOGIN or (value != OK and (isinstance(value, frozenset) or value >= 400))


# ---- objects per scope ---------------------------------------------------------------------

# Member records by their place relative to the personas (the `member` persona's own record is
# in FGW-B01, the secretary's branch).
MEMBER_SCOPES = ("own_branch", "sibling", "other_dept", "own")
# Organizations: the secretary's branch, one of its party groups (a child), the sibling branch,
# a branch nested under the general branch (deeper in the organ committee's subtree), the organ
# committee itself, and a branch of another department.
ORG_SCOPES = ("own_branch", "own_group", "sibling", "nested", "dept", "other_dept")
ORG_CODES = {
    "own_branch": "FGW-B01",
    "own_group": "FGW-B01-G1",
    "sibling": "FGW-B02",
    "nested": "FGW-B03",
    "dept": "FGW-JGDW",
    "other_dept": "CZJ-B01",
}


class Objects:
    """The demo objects each scope points at, looked up once per test."""

    def __init__(self, demo):
        self.demo = demo
        self.members = {
            "own_branch": demo.member_in_branch,
            "sibling": demo.member_in_sibling,
            "other_dept": demo.member_in_other_dept,
            "own": demo.own_member,
        }
        self.orgs = {scope: demo.org[code] for scope, code in ORG_CODES.items()}

    def member(self, scope: str):
        return self.members[scope]

    def org(self, scope: str):
        return self.orgs[scope]


# URL fillers: each takes (objects, scope) and returns (URL kwargs, query parameters).


def member_kwarg(name: str, **extra) -> Callable[[Objects, str], tuple[dict, dict]]:
    return lambda objs, scope: ({name: objs.member(scope).pk, **extra}, {})


def org_kwarg(name: str) -> Callable[[Objects, str], tuple[dict, dict]]:
    return lambda objs, scope: ({name: objs.org(scope).pk}, {})


def org_pk_query(name: str) -> Callable[[Objects, str], tuple[dict, dict]]:
    """`?parent=<pk>`; the scope `root` asks without it."""

    def fill(objs, scope):
        return {}, ({} if scope == "root" else {name: objs.org(scope).pk})

    return fill


def org_code_query(objs: Objects, scope: str) -> tuple[dict, dict]:
    """`?org=<code>` for list filters and the create form; `all` filters nothing."""
    if scope == "all":
        return {}, {}
    if scope == "unmasked":
        return {}, {"unmasked": "1"}
    return {}, {"org": objs.org(scope).code}


# Request bodies: valid data, so the only reason for a refusal is the permission.

NEW_JOB_TITLE = "矩阵测试岗位"


def member_edit_form(objs: Objects, scope: str) -> dict:
    m = objs.member(scope)
    return {
        "name": m.name,
        "id_number": m.id_number,
        "phone": m.phone,
        "status": m.status,
        "category": m.category,
        "admitted_on": m.admitted_on.isoformat(),
        "confirmed_on": m.confirmed_on.isoformat() if m.confirmed_on else "",
        "ethnicity": m.ethnicity,
        "education": m.education,
        "job_title": NEW_JOB_TITLE,
    }


def member_patch_json(objs: Objects, scope: str) -> dict:
    return {"job_title": NEW_JOB_TITLE}


def member_move_form(objs: Objects, scope: str) -> dict:
    # Into the secretary's branch (and one of its groups): a target every writer may use.
    return {
        "organization": objs.demo.org["FGW-B01"].pk,
        "party_group": objs.demo.org["FGW-B01-G2"].pk,
        "reason": "矩阵测试",
    }


def member_move_json(objs: Objects, scope: str) -> dict:
    return {"organization": "FGW-B01", "party_group": "FGW-B01-G2", "reason": "矩阵测试"}


def member_create_form(objs: Objects, scope: str) -> dict:
    return member_payload()


def member_create_json(objs: Objects, scope: str) -> dict:
    return {**member_payload(), "organization": objs.org(scope).code}


def id_search_body(objs: Objects, scope: str) -> dict:
    """A search by the whole ID number of a member of FGW-B01, with its reason."""
    return {"id_number": objs.demo.member_in_branch.id_number, "reason": "矩阵测试核对"}


def user_create_form(objs: Objects, scope: str) -> dict:
    return {
        "username": "matrix-new-user",
        "display_name": "矩阵测试",
        "password": "Matrix#2026x",
    }


def unlock_form(objs: Objects, scope: str) -> dict:
    return {"username": "member"}


# ---- personas ------------------------------------------------------------------------------


def committee_user(demo):
    """A 支委 of FGW-B01: read, write and export in the branch, but no reveal."""
    from dangjian.accounts.models import Role, User
    from dangjian.accounts.services import assign_role, create_user
    from dangjian.audit.services import Actor

    existing = User.objects.filter(username="committee").first()
    if existing is not None:
        return existing
    actor = Actor.system("test")
    user = create_user(actor, "committee", PASSWORD, display_name="支委")
    assign_role(actor, user, Role.BRANCH_COMMITTEE, demo.branch)
    return user


def persona_user(demo, persona: str):
    if persona == "anonymous":
        return None
    if persona == "committee":
        return committee_user(demo)
    return demo.users[persona]


@cache
def _shared_handler() -> ClientHandler:
    return ClientHandler(enforce_csrf_checks=False)


def client_as(user, *, api: bool) -> Client:
    """A test client logged in as `user`: a session for pages, a bearer token for the API."""
    client = Client(headers=api_headers(user) if api else None)
    # Loading the middleware stack (WhiteNoise indexes every static file) costs more than most
    # requests; one handler serves all the cases, each client keeps its own cookies.
    client.handler = _shared_handler()
    if user is not None and not api:
        _log_in(client, user)
    return client


def _log_in(client: Client, user) -> None:
    from django.conf import settings

    client.cookies[settings.SESSION_COOKIE_NAME] = session_for(user)


def session_for(user) -> str:
    """The key of a new authenticated session, like `force_login` without the login signals.

    Logging in (with its audit event and lockout bookkeeping) is tested elsewhere; here it would
    be most of the cost of each of the several hundred cases.
    """
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


def api_headers(user) -> dict:
    """A bearer token for `user` (the way API clients authenticate)."""
    if user is None:
        return {}
    return {"authorization": f"Bearer {token_for(user)}"}


def token_for(user) -> str:
    from dangjian.accounts.services import create_token
    from dangjian.audit.services import Actor

    return create_token(Actor.system("test"), user, "matrix")


# ---- the matrix's world: built once, rolled back after every case ----------------------------


@dataclass
class World:
    """What every case of the matrix starts from: the demo organ with the 支委 persona, one
    session and one API token per persona, and the objects the entries' fillers make.

    It is made once per test module, inside a transaction that is rolled back when the module
    ends; each case runs in a savepoint of it (pytest-django's `db`), so whatever a case writes
    is undone before the next, and nothing the world made outlives the module.
    """

    demo: Any
    members: dict[str, Any]
    sessions: dict[str, str]
    tokens: dict[str, str]
    # What the entries' URL and body fillers made once (meetings, work items, ...), by the
    # cache each filler keeps on its Objects.
    made: dict[str, dict] = field(default_factory=dict)

    def objects(self) -> Objects:
        """The objects of a case: fresh copies of the demo's, and what the fillers made."""
        objs = Objects(self.fresh_demo())
        for name, made in self.made.items():
            setattr(objs, name, dict(made))
        return objs

    def fresh_demo(self):
        """The demo objects as copies, so that a case changing one in memory (a service may)
        leaves the next case's copy alone; relations are fetched again when used."""
        from tests.conftest import Demo

        def fresh(instance):
            if instance is None:
                return None
            clone = copy.copy(instance)
            clone._state.fields_cache = {}
            return clone

        demo = Demo(
            {name: fresh(u) for name, u in self.demo.users.items()},
            {code: fresh(o) for code, o in self.demo.org.items()},
        )
        for name, member in self.members.items():
            setattr(demo, name, fresh(member))
        return demo

    def client(self, persona: str, *, api: bool) -> Client:
        """A new client (no cookies from another case) carrying the persona's credentials."""
        from django.conf import settings

        headers = None
        if api and persona in self.tokens:
            headers = {"authorization": f"Bearer {self.tokens[persona]}"}
        client = Client(headers=headers)
        client.handler = _shared_handler()
        if not api and persona in self.sessions:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[persona]
        return client


DEMO_MEMBERS = ("member_in_branch", "member_in_sibling", "member_in_other_dept", "own_member")


def _make_objects(demo, matrix: dict) -> dict[str, dict]:
    objs = Objects(demo)
    own = set(vars(objs))
    for entries in matrix.values():
        for entry in entries:
            for scope in entry.scopes:
                entry.url(objs, scope)
                if entry.body:
                    entry.body(objs, scope)
    return {name: value for name, value in vars(objs).items() if name not in own}


@contextmanager
def world_in_transaction(django_db_blocker, matrix: dict | None = None) -> Iterator[World]:
    """Build the World in a transaction of its own, and roll it back at the end.

    With `matrix`, every entry's URL and body filler runs once for each of its scopes, so the
    objects they make through the services (meetings, leave requests, work items, ...) are part
    of the world instead of being made again by each case.
    """
    from django.db import transaction

    from tests.conftest import load_demo

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            demo = load_demo()
            committee_user(demo)
            demo = load_demo()  # with the 支委 among the users
            users = {persona: persona_user(demo, persona) for persona in PERSONAS}
            world = World(
                demo=demo,
                members={name: getattr(demo, name) for name in DEMO_MEMBERS},
                sessions={p: session_for(u) for p, u in users.items() if u is not None},
                tokens={p: token_for(u) for p, u in users.items() if u is not None},
            )
            if matrix:
                world.made = _make_objects(demo, matrix)
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield world
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# ---- traces --------------------------------------------------------------------------------

# Audit actions a refused request must never leave behind.
TRACE_ACTIONS = ("create", "update", "delete", "move", "reveal", "export", "unlock", "token")
MEMBER_FIELDS = (
    "name",
    "job_title",
    "organization_id",
    "party_group_id",
    "status",
    "id_number_encrypted",
    "phone_encrypted",
    "updated_at",
)


@dataclass
class Snapshot:
    members: int
    users: int
    last_seq: int
    rows: dict[int, dict]


def snapshot(member_ids) -> Snapshot:
    from django.db import connection

    from dangjian.accounts.models import User
    from dangjian.audit.models import AuditEvent
    from dangjian.members.models import Member

    # The counts and the head of the log in one query (the matrix takes two per refusal).
    quote = connection.ops.quote_name
    counts = ", ".join(
        f"(SELECT {what} FROM {quote(model._meta.db_table)})"  # noqa: S608 (model tables)
        for what, model in (("COUNT(*)", Member), ("COUNT(*)", User), ("MAX(seq)", AuditEvent))
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        members, users, seq = cursor.fetchone()
    return Snapshot(
        members=members,
        users=users,
        last_seq=seq or 0,
        rows={
            row["id"]: row
            for row in Member.objects.filter(pk__in=member_ids).values("id", *MEMBER_FIELDS)
        },
    )


def new_audit_actions(since: Snapshot) -> list[str]:
    return actions_since(since.last_seq)


# ---- roster import jobs --------------------------------------------------------------------

JOB_SCOPES = ("own_branch", "sibling", "other_dept")


def import_job_kwarg(name: str, *, with_errors_file: bool = False):
    """A previewed roster import job into the scope's branch (created on demand)."""

    def fill(objs, scope):
        from dangjian.members.models import ImportJob, ImportStatus
        from dangjian.members.roster import files

        org = objs.org(scope)
        job = ImportJob.objects.create(
            created_by=objs.demo.users["organ"],
            organization=org,
            filename="矩阵.xlsx",
            stored_name=f"matrix-{scope}.xlsx",
            status=ImportStatus.PREVIEWED,
            preview={"created": 1, "updated": 0, "unchanged": 0, "rejected": 0, "rows": 1},
        )
        if with_errors_file:
            files.save(files.errors_path(job), b"PK")
        return {name: job.pk}, {}

    return fill
