"""What each app puts in the inbox: the labels of its notice kinds and its to-do providers.

An app declares both in a module `inbox.py` of its own, found by `discover()` the way Django's
admin finds `admin.py`: the inbox, the badge (and later the work desk) list every app's to-dos
without importing any domain app, and a new app plugs in without editing another.

    # myapp/inbox.py
    class NoticeKind(models.TextChoices):
        DUE = "dues_due", "党费待交"

    registry.register_kinds(NoticeKind)
    registry.register_todo(TodoProvider("dues", "待确认党费", count=..., rows=...))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import TextChoices

from dangjian.core.plugins import import_app_modules

# The width of `Notice.kind`: a kind code must fit.
KIND_LENGTH = 16
# Names the inbox's counts use besides the providers' keys.
RESERVED_KEYS = frozenset({"unread", "actions", "badge"})

_kinds: dict[str, str] = {}
_todos: dict[str, TodoProvider] = {}


@cache
def discover() -> None:
    """Import every app's `inbox` module (once per process): that registers what it brings."""
    import_app_modules("inbox")


# ---- notice kinds --------------------------------------------------------------------------


def register_kinds(choices: type[TextChoices]) -> None:
    """Register the codes and labels of an app's notice kinds (one code, one meaning)."""
    for code, label in choices.choices:
        if len(code) > KIND_LENGTH:
            raise ImproperlyConfigured(f"notice kind {code!r} is longer than {KIND_LENGTH}")
        known = _kinds.get(code)
        if known is not None and known != label:
            raise ImproperlyConfigured(f"notice kind {code!r} registered twice: {known} / {label}")
        _kinds[code] = label


def kind_label(code: str) -> str:
    discover()
    return _kinds.get(code, code)


# ---- to-do providers -----------------------------------------------------------------------


@dataclass(frozen=True)
class TodoRow:
    """One thing waiting for the user, linked to the page where it is done."""

    link: str
    tag: str  # the badge in front: 任务, 待验收, 请假
    title: str
    style: str = "primary"  # the badge's Bootstrap colour
    due: str = ""  # the note on the right (截止11月30日)
    late: bool = False  # the note in red
    detail: str = ""  # a second line
    record: Any = None  # the record itself, for callers that need more than the words


@dataclass(frozen=True)
class TodoProvider:
    """What waits for a user's action in one app, derived from its records at request time.

    `count(user)` is the number on the badge and in the API (`counts[key]`); `rows(user, limit)`
    the first `limit` of them for the inbox page. Both must keep to the user's scope and take a
    constant number of queries.
    """

    key: str  # the count's name in the API: items, review, leave
    label: str  # 待办理的任务
    count: Callable[[Any], int]
    rows: Callable[[Any, int], list[TodoRow]]
    order: int = 100  # place in the inbox (smaller first)


def register_todo(provider: TodoProvider) -> None:
    if provider.key in RESERVED_KEYS:
        raise ImproperlyConfigured(f"to-do key {provider.key!r} is reserved")
    known = _todos.get(provider.key)
    if known is not None and known.count.__module__ != provider.count.__module__:
        raise ImproperlyConfigured(f"to-do key {provider.key!r} registered by two apps")
    _todos[provider.key] = provider


def todo_providers() -> list[TodoProvider]:
    discover()
    return sorted(_todos.values(), key=lambda p: (p.order, p.key))
