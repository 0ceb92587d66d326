"""Schemathesis over the whole API, for every role: no input any client can send gets a 5xx, and
every answer is one the OpenAPI document declares (status, content type, body shape).

Bounded in time: schemathesis's coverage phase (boundary and invalid values for every parameter,
deterministic) plus a few random examples per operation. Each case goes to the 机关党委 officer
(the widest write scope, so it reaches the services) and to one other role in turn, so every role
meets every operation several times.
"""

from __future__ import annotations

import itertools

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings

from dangjian.accounts.services import create_token
from dangjian.api import api
from dangjian.audit.services import Actor

OTHER_ROLES = ("anonymous", "member", "secretary", "inspector", "sysadmin", "secadmin", "auditor")
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = WSGIHandler()


@pytest.fixture
def wsgi_in_test_transaction():
    # As Django's test client does: the WSGI handler must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def headers_for(demo):
    def bearer(role: str) -> dict[str, str]:
        if role == "anonymous":
            return {}
        token = create_token(Actor.system("fuzz"), demo.users[role], name="fuzz")
        return {"Authorization": f"Bearer {token}"}

    organ = bearer("organ")
    others = itertools.cycle([bearer(role) for role in OTHER_ROLES])
    return lambda: (organ, next(others))


@schema.parametrize()
@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_only_declared_answers(case, headers_for, wsgi_in_test_transaction):
    for headers in headers_for():
        case.call_and_validate(headers=headers, checks=CHECKS)
