"""Writing the membership history (MembershipSpell): the one place spells are computed.

A member's spells are derived from two things: where they were placed over time (the
organization spells, cut by moves, transfers, extensions, leaving and restoring) and their
admission and confirmation dates, which decide each day's status. `resplit` recomputes the
status cuts from the dates, so a corrected date or a confirmation rewrites the statuses without
losing the placements. Callers (members.services, the lifecycle services, the roster import) do
the auditing; nothing here writes an audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from dangjian.core.bulk import insert_rows
from dangjian.members.models import Member, MembershipSpell, MemberStatus, SpellEvent

ONE_DAY = dt.timedelta(days=1)
# Boundaries that only cut the status; `resplit` removes and recomputes them.
_STATUS_CUTS = {SpellEvent.CONFIRMED, SpellEvent.CORRECTED}


def resplit(
    spells: Sequence[MembershipSpell],
    admitted_on: dt.date,
    confirmed_on: dt.date | None,
    member_id: int | None = None,
) -> list[MembershipSpell]:
    """The member's spells with statuses recomputed from the admission and confirmation dates.

    Consecutive spells in one organization cut only by a status change are joined; the first spell
    opened by admission starts on the admission day; every spell is probationary before
    `confirmed_on` and full from it (cut in two when it straddles the day). Returns new, unsaved
    spells in order; empty spells (ending before they start) are dropped.
    """
    ordered = sorted(spells, key=lambda s: s.started_on)
    joined: list[MembershipSpell] = []
    for s in ordered:
        copy = MembershipSpell(
            member_id=member_id if member_id is not None else s.member_id,
            organization_id=s.organization_id,
            status=s.status,
            started_on=s.started_on,
            ended_on=s.ended_on,
            start_reason=s.start_reason,
            end_reason=s.end_reason,
        )
        prev = joined[-1] if joined else None
        if (
            prev is not None
            and prev.organization_id == copy.organization_id
            and prev.end_reason in _STATUS_CUTS
            and prev.ended_on is not None
            and prev.ended_on + ONE_DAY == copy.started_on
        ):
            prev.ended_on, prev.end_reason = copy.ended_on, copy.end_reason
            continue
        joined.append(copy)
    if joined and joined[0].start_reason == SpellEvent.ADMITTED:
        joined[0].started_on = admitted_on
    out: list[MembershipSpell] = []
    for s in joined:
        s.started_on = max(s.started_on, admitted_on)
        if s.ended_on is not None and s.ended_on < s.started_on:
            continue
        if confirmed_on is None or confirmed_on <= s.started_on:
            s.status = MemberStatus.PROBATIONARY if confirmed_on is None else MemberStatus.FULL
            out.append(s)
            continue
        s.status = MemberStatus.PROBATIONARY
        out.append(s)
        if s.ended_on is None or s.ended_on >= confirmed_on:
            full = MembershipSpell(
                member_id=s.member_id,
                organization_id=s.organization_id,
                status=MemberStatus.FULL,
                started_on=confirmed_on,
                ended_on=s.ended_on,
                start_reason=SpellEvent.CONFIRMED,
                end_reason=s.end_reason,
            )
            s.ended_on, s.end_reason = confirmed_on - ONE_DAY, SpellEvent.CONFIRMED
            out.append(full)
    return out


def first_spells(
    member: Member, since: dt.date | None = None, reason: str = SpellEvent.ADMITTED
) -> list[MembershipSpell]:
    """The history of a member new to the platform, unsaved (the import saves them in bulk).

    Without `since` the member is presumed to have belonged to their organization since
    admission (a roster says where someone is, not where they were); with it (a transfer in),
    the history starts that day.
    """
    start = since or member.admitted_on
    base = MembershipSpell(
        organization_id=member.organization_id,
        status=member.status,
        started_on=start,
        start_reason=reason if since else SpellEvent.ADMITTED,
    )
    return resplit([base], member.admitted_on, member.confirmed_on, member_id=member.pk)


# The columns of a spell row as `first_spell_rows` and `insert` write them.
SPELL_COLUMNS = (
    "member_id",
    "organization_id",
    "status",
    "started_on",
    "ended_on",
    "start_reason",
    "end_reason",
)


def first_spell_rows(
    member_id: int, organization_id: int, admitted_on: dt.date, confirmed_on: dt.date | None
) -> list[tuple]:
    """`first_spells` of a member new to the platform (no `since`), as rows for `insert`.

    The same spells without building model instances (the roster import writes tens of
    thousands): probationary from admission, cut on the confirmation day into a full spell.
    """
    if confirmed_on is None or confirmed_on <= admitted_on:
        status = MemberStatus.PROBATIONARY if confirmed_on is None else MemberStatus.FULL
        return [(member_id, organization_id, status, admitted_on, None, SpellEvent.ADMITTED, "")]
    return [
        (
            member_id,
            organization_id,
            MemberStatus.PROBATIONARY,
            admitted_on,
            confirmed_on - ONE_DAY,
            SpellEvent.ADMITTED,
            SpellEvent.CONFIRMED,
        ),
        (
            member_id,
            organization_id,
            MemberStatus.FULL,
            confirmed_on,
            None,
            SpellEvent.CONFIRMED,
            "",
        ),
    ]


def insert(rows: Iterable[tuple]) -> None:
    """Insert spell rows (`SPELL_COLUMNS`) with one executemany."""
    insert_rows(MembershipSpell, SPELL_COLUMNS, rows)


def as_row(s: MembershipSpell) -> tuple:
    return tuple(getattr(s, name) for name in SPELL_COLUMNS)


def cut(
    spells: Sequence[MembershipSpell],
    day: dt.date,
    reason: str,
    *,
    organization_id: int | None = None,
    end: bool = False,
) -> list[MembershipSpell]:
    """The spells after an event on `day`: the open spell closes the day before and, unless
    `end`, a new one opens on `day` (in `organization_id`, or the same organization).

    An open spell that started on `day` itself is changed in place (or dropped, for `end`).
    """
    out = [_clone(s) for s in sorted(spells, key=lambda s: s.started_on)]
    current = out[-1] if out and out[-1].ended_on is None else None
    if current is None:
        if end:
            return out
        raise ValueError("no open spell")
    org_id = organization_id if organization_id is not None else current.organization_id
    if current.started_on >= day:
        if end:
            out.pop()
        else:
            current.organization_id = org_id
        return out
    current.ended_on, current.end_reason = day - ONE_DAY, reason
    if not end:
        out.append(
            MembershipSpell(
                member_id=current.member_id,
                organization_id=org_id,
                status=current.status,
                started_on=day,
                start_reason=reason,
            )
        )
    return out


def reopen(
    spells: Sequence[MembershipSpell],
    member: Member,
    day: dt.date,
    organization_id: int,
    event: str = SpellEvent.RESTORED,
) -> list[MembershipSpell]:
    out = [_clone(s) for s in spells]
    out.append(
        MembershipSpell(
            member_id=member.pk,
            organization_id=organization_id,
            status=member.status,
            started_on=day,
            start_reason=event,
        )
    )
    return resplit(out, member.admitted_on, member.confirmed_on, member_id=member.pk)


def _clone(s: MembershipSpell) -> MembershipSpell:
    return MembershipSpell(
        member_id=s.member_id,
        organization_id=s.organization_id,
        status=s.status,
        started_on=s.started_on,
        ended_on=s.ended_on,
        start_reason=s.start_reason,
        end_reason=s.end_reason,
    )


def load(members: Iterable[Member]) -> dict[int, list[MembershipSpell]]:
    """The stored spells of these members, in one query."""
    ids = [m.pk for m in members]
    by_member: dict[int, list[MembershipSpell]] = {pk: [] for pk in ids}
    for s in MembershipSpell.objects.filter(member_id__in=ids).order_by("started_on", "pk"):
        by_member[s.member_id].append(s)
    return by_member


def replace(new: dict[int, list[MembershipSpell]]) -> None:
    """Store these members' spells instead of what they had: one delete, one insert."""
    if not new:
        return
    MembershipSpell.objects.filter(member_id__in=list(new)).delete()
    insert(as_row(s) for spells in new.values() for s in spells)


def current_spells(member: Member) -> list[MembershipSpell]:
    return load([member])[member.pk]
