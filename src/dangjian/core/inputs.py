"""Small helpers every service uses to read its input and check the actor's write scope.

Services collect one Chinese message per field in an `errors` dict and raise
`ServiceValidationError(errors)` once everything was read, so nothing is half-written.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from dangjian.accounts.access import can_write_into


def require_write(actor, org, message: str = "该组织不在您的管理范围内") -> None:
    """A user acting outside their write scope is refused (system actors always pass)."""
    if actor.user is not None and not can_write_into(actor.user, org):
        raise PermissionDenied(message)


def text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def short_text(value: Any, field: str, label: str, limit: int, errors: dict[str, str]) -> str:
    """One line of at most `limit` characters, inner whitespace collapsed."""
    value = " ".join(text(value).split())
    if len(value) > limit:
        errors[field] = f"{label}不能超过{limit}个字"
    return value
