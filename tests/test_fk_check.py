"""The SQLite foreign-key check after each test still finds a dangling reference (fk_check)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the limited check is SQLite's (fk_check)"
)


def test_a_row_pointing_nowhere_is_found(demo):
    with connection.cursor() as cursor:
        cursor.execute(
            'UPDATE "members_member" SET "organization_id" = 999999 WHERE "id" = %s',
            [demo.member_in_branch.pk],
        )
    with pytest.raises(IntegrityError, match="members_member"):
        connection.check_constraints()


def test_a_deleted_row_still_referred_to_is_found(demo):
    with connection.cursor() as cursor:
        cursor.execute('DELETE FROM "orgs_organization" WHERE "code" = %s', ["FGW-B02"])
    with pytest.raises(IntegrityError):
        connection.check_constraints()
