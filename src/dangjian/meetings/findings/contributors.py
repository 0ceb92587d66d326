"""Contributors: other apps' columns of findings on the same report, page, API and cache.

The meetings' rules are the first contributor (frequency, 班子设置, 按期换届, 到会人数; they keep
their own fast path in `evaluation`). Another app (dues, study hours, recruitment deadlines)
adds its columns without touching the meetings code: in its own `findings.py`, found by
`core.plugins.import_app_modules` as `jobs.py` and `inbox.py` are, it registers

    register(Contributor(
        key="dues",
        columns=lambda rules: [Column("dues", "党费收缴", ("dues_paid",), citation)],
        evaluate=evaluate_dues,             # Scope -> {organization id: [Result, ...]}
        owners={"dues.payment": (Payment, "organization_id")},
    ))

- `evaluate(scope)` reads its own records for the organizations `scope.where(prefix)` picks
  (in a fixed number of queries; `prefix` is the relation to Organization, e.g.
  "organization__") and returns, per organization, its findings for the year as `Result`s:
  the rule (from `regulations/`, with its citation), the column, the status and severity, the
  message and facts. Cells, roll-ups, the page, `/api/v1/compliance`, the CLI and the
  secretaries' explanations (`explain_finding`) then treat them as the meetings' own.
- `owners` names, per audited object type, the field that leads to its organization: the
  findings page's cache traces a write to the organizations it changed through it (an object
  type not named there is ignored by the cache until the next day or cache expiry).
- Column keys are unique across contributors; each contributor's findings of an organization
  depend on that organization's own records only (the cache re-evaluates organization by
  organization).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dangjian.core.plugins import import_app_modules
from dangjian.meetings.findings.reading import Where
from dangjian.meetings.findings.report import Column, OrgInfo, Result
from dangjian.regulations.engine import RuleSet

__all__ = ["Column", "Contributor", "Result", "Scope", "contributors", "register"]


@dataclass(frozen=True)
class Scope:
    """What a contributor evaluates: these organizations (already read, with their member
    counts, each with its kind on the year's reading day), in this year, with facts taken on
    `as_of` (the year's last day, or today). `orgs` holds only those that existed on that day
    (`as_was.year_kind`); `where` picks every organization read, and the findings a
    contributor returns for one that did not exist that day are dropped."""

    where: Where
    orgs: list[OrgInfo]
    year: int
    as_of: dt.date
    today: dt.date
    rules: RuleSet


@dataclass(frozen=True)
class Contributor:
    key: str
    columns: Callable[[RuleSet], list[Column]]
    evaluate: Callable[[Scope], Mapping[int, list[Result]]]
    owners: Mapping[str, tuple[Any, str]] = field(default_factory=dict)


_registry: dict[str, Contributor] = {}
_lock = threading.Lock()
_loaded = False


def register(contributor: Contributor) -> Contributor:
    """Add (or replace, by key) a contributor; an app calls it from its `findings.py`."""
    with _lock:
        _registry[contributor.key] = contributor
    return contributor


def unregister(key: str) -> None:
    with _lock:
        _registry.pop(key, None)


def contributors() -> list[Contributor]:
    """The other apps' contributors, in the order they registered (apps' order in settings)."""
    global _loaded
    if not _loaded:
        import_app_modules("findings")
        _loaded = True
    with _lock:
        return list(_registry.values())
