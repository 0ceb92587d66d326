"""Roster import: validate every row, report what would change, then write it all or the valid rows.

Two passes over the file, never holding all rows in memory: the first classifies each row
(create, update, unchanged, move, rejected) and is the preview (dry run); the second writes inside
one transaction. Rows are matched by ID number through its blind index, so importing the same file
twice changes nothing, and a corrected file updates only what changed.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable, Iterator
from typing import Any, cast

from django.db import transaction

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, PendingEvent, diff, record, record_many
from dangjian.core import clock
from dangjian.core.bulk import insert_rows
from dangjian.crypto import KeyRing, default_keyring
from dangjian.members import spells
from dangjian.members.models import Member, SpellEvent
from dangjian.members.roster import ahead, digest, existing, fresh
from dangjian.members.roster.cells import CellError, clean_text
from dangjian.members.roster.errorfile import open_source, write_errors
from dangjian.members.roster.existing import COMPARED, Stored
from dangjian.members.roster.fresh import NewMember
from dangjian.members.roster.reader import Roster
from dangjian.members.roster.report import (
    MAX_REPORTED_ERRORS,
    STRICT_REFUSED,
    ImportReport,
    Mode,
    MovePlan,
    PersonPlan,
    RowProblem,
    strict_blocks,
)
from dangjian.members.roster.rows import LABELS, Prepared, Targets, prepare_row
from dangjian.members.services import CLEAN_FIELDS, apply_clean
from dangjian.orgs.models import Organization

__all__ = [
    "STRICT_REFUSED",
    "ImportReport",
    "Mode",
    "RowProblem",
    "run_import",
    "strict_blocks",
    "write_errors",
]

CHUNK = 1000
PLACED_CACHE = 10_000


# The column each compared field comes from: a column missing from the file leaves the stored
# value alone (an import of names and ID numbers only must not wipe phones or job titles).
SOURCE_COLUMN = {
    "name": "name",
    "ethnicity": "ethnicity",
    "education": "education",
    "status": "status",
    "category": "category",
    "admitted_on": "admitted_on",
    "admitted_on_precision": "admitted_on",
    "confirmed_on": "confirmed_on",
    "confirmed_on_precision": "confirmed_on",
    "job_title": "job_title",
    "phone": "phone",
    "party_group": "party_group",
}


def _changes(member: Member | Stored, p: Prepared, present: frozenset[str]) -> dict[str, Any]:
    changed = {}
    for name in COMPARED:
        if SOURCE_COLUMN[name] not in present:
            continue
        new = p.clean[name]
        if getattr(member, name) != new:
            changed[name] = new
    if "phone" in present and member.phone_index != p.phone_index:
        changed["phone"] = p.clean["phone"]
    if (
        "party_group" in present
        and member.organization_id == p.organization.pk
        and member.party_group_id != (p.party_group.pk if p.party_group else None)
    ):
        changed["party_group"] = p.party_group
    return changed


class _Run:
    def __init__(
        self,
        actor: Actor,
        org: Organization,
        report: ImportReport,
        *,
        allow_moves: bool,
        today: dt.date,
        progress: Callable[[int, int], None] | None,
    ):
        self.actor = actor
        self.report = report
        self.allow_moves = allow_moves
        self.today = today
        self.progress = progress or (lambda done, total: None)
        self.targets = Targets(actor.user, org)
        # Rows seen so far by ID number: 128 bits of the blind index as an int keeps this small
        # for 200,000-row files (a collision would need 2^64 rows).
        self.seen: dict[int, int] = {}
        self.present: frozenset[str] = frozenset()
        self.keyring = default_keyring()
        self.checked_in_line = 0  # rows of the last chunk that were checked in full
        # `unchanged`'s placement decisions by (record's branch and group, the row's cells).
        self.placed: dict[tuple, bool] = {}

    def chunks(self, roster: Roster) -> Iterator[tuple[list[Prepared], dict[str, Stored]]]:
        """The rows to classify, checked, with the stored members they match, a chunk at a
        time; rows an import digest shows unchanged are counted here and not yielded.

        When the first chunk shows rows to check in full (a first import, not a re-import) on a
        large file, a helper process checks each next chunk while this one is written
        (roster/ahead.py)."""
        total = getattr(roster, "row_count", 0) or 0
        helper: ahead.Ahead | None = None
        done = 0
        try:
            for raws in self._read(roster):
                checked = helper.receive(raws) if helper is not None else None
                yield self._prepare(raws, checked)
                done += len(raws)
                self.progress(done, max(total, done))
                if (  # decided once, after the first chunk (measuring idle cores waits)
                    done == len(raws)
                    and self.checked_in_line * 2 > len(raws)
                    and ahead.worth_it(total - done if total else 2 * CHUNK)
                ):
                    helper = ahead.Ahead(roster, done, CHUNK, self.targets, self.today, _fill_new)
        finally:
            if helper is not None:
                helper.close()
        self.progress(done, done)

    def _read(self, roster: Roster) -> Iterator[list]:
        pending: list = []
        for raw in roster.iter_rows():
            self.report.rows += 1
            pending.append(raw)
            if len(pending) >= CHUNK:
                yield pending
                pending = []
        if pending:
            yield pending

    def _prepare(
        self, raws: list, checked: list[ahead.Checked] | None = None
    ) -> tuple[list[Prepared], dict[str, Stored]]:
        """`checked`: the helper's work on these rows, else it is done here."""
        self.keyring = keyring = default_keyring()
        self.checked_in_line = 0
        if checked is None:
            rows = [(raw, digest.quick_index(raw.values, keyring), None) for raw in raws]
        else:
            rows = [(raw, c.quick, c) for raw, c in zip(raws, checked, strict=True)]
        queried = {quick[1] for _, quick, _ in rows if quick is not None}
        stored = existing.stored(queried, self.targets.by_id)
        buffer: list[Prepared] = []
        ahead_of: list[tuple[Prepared, Any]] = []
        for raw, quick, c in rows:
            if c is None:
                material = digest.material(raw.values, self.today)
            found = stored.get(quick[1]) if quick is not None else None
            if found is not None:
                if c is not None:
                    material = digest.material(raw.values, self.today)
                if self.unchanged(raw.values, material, found):
                    if self.first_time(raw.row_number, found.id_number_index):
                        self.report.unchanged += 1
                    continue
            self.checked_in_line += 1
            if c is None:
                result = prepare_row(
                    raw, self.targets, self.today, known_index=quick, keyring=keyring
                )
            else:
                result = c.result
            if isinstance(result, list):
                self.reject(*result)
            elif self.first_time(result.row, result.index):
                if c is None:
                    result.material = material
                else:  # its material only if it matches a stored member (below)
                    result.new = c.member
                    ahead_of.append((result, raw))
                buffer.append(result)
        missing = {p.index for p in buffer} - queried
        if missing:
            stored.update(existing.stored(missing, self.targets.by_id))
        for p, raw in ahead_of:
            if p.index in stored:
                p.material = digest.material(raw.values, self.today)
        return buffer, stored

    def first_time(self, row: int, index: str) -> bool:
        """Whether this ID number is new in the file (a repeat is rejected, naming the first)."""
        key = int(index[:32], 16)
        first = self.seen.get(key)
        if first is not None:
            self.reject(
                RowProblem(
                    row, LABELS["id_number"], f"与第 {first} 行是同一身份证号（同一人重复出现）"
                )
            )
            return False
        self.seen[key] = row
        return True

    def unchanged(self, values: dict, material: bytes, found: Stored) -> bool:
        """Whether the stored digest shows this row already applied to this very record, and
        the record is still where the actor may write and the row's branch and group say."""
        if not found.import_digest or found.left_on is not None:
            return False
        # Whether the record is placed where the row says depends only on these (a file repeats
        # a few branches and groups tens of thousands of times): decided once per combination.
        org_cell, group_cell = values.get("organization"), values.get("party_group")
        key = (
            found.organization_id,
            found.party_group_id,
            type(org_cell),
            org_cell,
            type(group_cell),
            group_cell,
        )
        placed = self.placed.get(key)
        if placed is None:
            placed = self._placed_as_stored(org_cell, group_cell, found)
            if len(self.placed) < PLACED_CACHE:
                self.placed[key] = placed
        if not placed:
            return False
        return hmac.compare_digest(
            digest.digest(material, found, self.keyring), found.import_digest
        )

    def _placed_as_stored(self, org_cell: Any, group_cell: Any, found: Stored) -> bool:
        """The record is where the actor may write, in the branch and group the row names."""
        if not self.targets.writable(found.organization):
            return False
        try:
            branch = self.targets.branch_for(clean_text(org_cell))
            group = self.targets.group_for(branch, clean_text(group_cell))
        except CellError:
            return False
        if branch.pk != found.organization_id:
            return False
        return not (
            "party_group" in self.present and (group.pk if group else None) != found.party_group_id
        )

    def reject(self, *problems: RowProblem) -> None:
        self.report.rejected += 1
        self.report.errors.extend(problems)

    def classify(self, p: Prepared, existing: Stored | None) -> str:
        """create / update / unchanged / move / reject (recording the reason)."""
        if existing is None:
            return "create"
        if existing.left_on is not None:
            self.reject(
                RowProblem(
                    p.row,
                    LABELS["id_number"],
                    f"该党员已于 {existing.left_on:%Y-%m-%d} 离开（{existing.get_left_reason_display()}），"
                    "不能通过导入恢复；如需恢复党籍或转回，请在党员信息页办理",
                )
            )
            return "reject"
        if not self.targets.writable(existing.organization):
            self.reject(
                RowProblem(
                    p.row,
                    LABELS["id_number"],
                    "该身份证号已在其他党组织登记，不在您的管理范围内；请办理组织关系转接",
                )
            )
            return "reject"
        if existing.organization_id != p.organization.pk:
            return "move"
        return "update" if _changes(existing, p, self.present) else "unchanged"


def run_import(
    actor: Actor,
    source: str | bytes,
    filename: str,
    organization: Organization,
    *,
    mode: str = Mode.STRICT,
    dry_run: bool = False,
    allow_moves: bool = False,
    sheet: str | None = None,
    today: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Check the file and, unless `dry_run`, write it in one pass and one transaction.

    Strict mode rolls the whole transaction back when any row is rejected; partial mode keeps the
    valid rows. Raises RosterFileError for files that cannot be used at all.
    """
    today = today or clock.today()
    report = ImportReport(filename=filename, mode=mode)
    with open_source(source, filename, sheet) as roster:
        report.sheet, report.sheets = roster.sheet_name, list(roster.sheets)
        report.header_row, report.unknown_columns = roster.header_row, list(roster.unknown_columns)
        run = _Run(
            actor, organization, report, allow_moves=allow_moves, today=today, progress=progress
        )
        run.present = frozenset(roster.columns)
        if "status" not in run.present and "confirmed_on" in run.present:
            # The status is derived from the dates (rows.prepare_row): it follows them.
            run.present |= {"status"}
        if dry_run:
            _pass(run, roster, report, filename, write=False)
        else:
            with transaction.atomic():
                _pass(run, roster, report, filename, write=True)
                if strict_blocks(mode, report.rejected):
                    transaction.set_rollback(True)
                    report.written = False
                elif report.written:
                    record(
                        actor,
                        AuditAction.CREATE,
                        organization,
                        object_type="members.roster_import",
                        object_repr=filename[:200],
                        message=f"导入花名册「{filename}」到「{organization.name}」：新增 {report.created}，"
                        f"更新 {report.updated}，调动 {report.moved}，未变 {report.unchanged}，"
                        f"拒绝 {report.rejected}",
                    )
    report.errors.sort(key=lambda e: e.row)
    return report


def _pass(run: _Run, roster: Roster, report: ImportReport, filename: str, *, write: bool) -> None:
    for chunk, stored in run.chunks(roster):
        writes: list[tuple[Prepared, str, Stored | None]] = []
        # Unchanged rows whose record has no digest for them yet (imported before digests, or
        # changed by hand back to what the file says): store one, so the next import skips them.
        digests: list[tuple[str, int]] = []
        for p in chunk:
            found = stored.get(p.index)
            kind = _plan(run, report, p, found)
            # In strict mode one rejected row means nothing is kept: stop building writes.
            if not write or strict_blocks(report.mode, report.rejected):
                continue
            if kind in ("create", "update", "move"):
                writes.append((p, kind, found))
            elif kind == "unchanged" and found is not None:
                value = _digest_for(p, found)
                if value != found.import_digest:
                    digests.append((value, found.pk))
        if writes:
            creates, updates = _build(run, writes)
            _flush(run.actor, creates, updates, filename, run.today)
            report.written = True
        if digests:
            existing.store_digests(digests)


def _digest_for(p: Prepared, record: Member | Stored, keyring: KeyRing | None = None) -> str:
    """The import digest of this row applied to this record ("" when the row had warnings,
    which each import must show again)."""
    return "" if p.clean["_warnings"] else digest.digest(p.material, record, keyring)


def _plan(run: _Run, report: ImportReport, p: Prepared, member: Stored | None) -> str | None:
    """Classify and count one row: the kind of write it needs, "unchanged", or None (refused)."""
    kind = run.classify(p, member)
    if kind == "reject":
        return None
    report.warnings.extend(RowProblem(p.row, LABELS["id_number"], w) for w in p.clean["_warnings"])
    if kind == "move":
        assert member is not None
        report.moves.append(
            MovePlan(
                p.row, p.clean["name"], member.pk, member.organization.name, p.organization.name
            )
        )
        if not run.allow_moves:
            run.reject(
                RowProblem(
                    p.row,
                    LABELS["organization"],
                    f"{p.clean['name']} 现在「{member.organization.name}」，导入将调至"
                    f"「{p.organization.name}」：需确认调动后才能导入",
                )
            )
            return None
        report.moved += 1
    elif kind in ("create", "update"):
        if kind == "create":
            report.created += 1
        else:
            report.updated += 1
        if len(report.people) < MAX_REPORTED_ERRORS:
            report.people.append(PersonPlan(p.row, p.clean["name"], kind))
    else:
        report.unchanged += 1
    return kind


def _build(
    run: _Run, writes: list[tuple[Prepared, str, Stored | None]]
) -> tuple[list[NewMember], list[tuple[Member, dict, str]]]:
    """New members, and the changed ones loaded whole (one query) with the file's values."""
    full = existing.full([s.pk for _, _, s in writes if s is not None], EXISTING_FIELDS)
    creates: list[NewMember] = []
    updates: list[tuple[Member, dict, str]] = []
    blank = fresh.blank()
    for p, kind, found in writes:
        if found is None:
            creates.append(p.new or _fill_new(blank, p, run.today, run.keyring))
            continue
        member = full[found.pk]
        before = member.audit_fields()
        _fill(
            member,
            p.clean,
            only=_changes(member, p, run.present),
            indexes=(p.index, p.phone_index),
            keyring=run.keyring,
        )
        if kind == "move":
            member.org_since = run.today
        member.organization = p.organization
        # The party group follows the file only where the file says (or on a move).
        if kind == "move" or "party_group" in run.present:
            member.party_group = p.party_group
        member.import_digest = _digest_for(p, member, run.keyring)
        updates.append((member, before, kind))
    return creates, updates


def _fill_new(blank: dict, p: Prepared, today: dt.date, keyring: KeyRing) -> NewMember:
    """The member a creation from this row inserts: placed, filled, with its import digest."""
    m = fresh.placed(blank, p.organization, p.party_group, today)
    _fill(m, p.clean, indexes=(p.index, p.phone_index), keyring=keyring)
    m.import_digest = _digest_for(p, m, keyring)
    return m


def _flush(
    actor: Actor,
    creates: list[NewMember],
    updates: list[tuple[Member, dict, str]],
    filename: str,
    today: dt.date,
) -> None:
    _insert_members(creates)
    if updates:
        Member.objects.bulk_update([m for m, _, _ in updates], fields=UPDATE_FIELDS, batch_size=500)
    _write_history(creates, updates, today)
    note = f"花名册导入：{filename}"
    events = [
        PendingEvent(
            AuditAction.CREATE,
            "members.member",
            str(m.pk),
            m.name,
            getattr(m, "_changes", None) or diff(None, m.audit_fields()),
            note,
        )
        for m in creates
    ]
    events += [
        PendingEvent(
            AuditAction.MOVE if kind == "move" else AuditAction.UPDATE,
            "members.member",
            str(m.pk),
            m.name,
            diff(before, m.audit_fields()),
            note,
        )
        for m, before, kind in updates
    ]
    record_many(actor, events)


def _insert_members(creates: list[NewMember]) -> None:
    """The chunk's new members in one executemany, then their ids by blind index (unique)."""
    if not creates:
        return
    now = dt.datetime.now(dt.UTC)
    for m in creates:
        m.created_at = m.updated_at = now
    insert_rows(Member, fresh.COLUMNS, [fresh.row(m) for m in creates])
    ids = dict(
        Member.objects.filter(id_number_index__in=[m.id_number_index for m in creates]).values_list(
            "id_number_index", "pk"
        )
    )
    for m in creates:
        m.pk = ids[m.id_number_index]


def _write_history(
    creates: list[NewMember], updates: list[tuple[Member, dict, str]], today: dt.date
) -> None:
    """The chunk's membership history in three queries: new members' spells from admission in
    the branch the file names; moves cut on the import day; changed dates re-split."""
    spells.insert(
        row
        for m in creates
        for row in spells.first_spell_rows(m.pk, m.organization_id, m.admitted_on, m.confirmed_on)
    )
    touched = [
        (m, kind) for m, before, kind in updates if kind == "move" or _dates_changed(m, before)
    ]
    if not touched:
        return
    stored = spells.load(m for m, _ in touched)
    new = {}
    for m, kind in touched:
        history = stored[m.pk]
        if kind == "move" and history:
            history = spells.cut(
                history, today, SpellEvent.MOVED, organization_id=m.organization_id
            )
        elif not history:  # a record the history never saw: start it as a new one's
            history = spells.first_spells(m)
        new[m.pk] = spells.resplit(history, m.admitted_on, m.confirmed_on, member_id=m.pk)
    spells.replace(new)


def _dates_changed(m: Member, before: dict) -> bool:
    return (
        before["status"] != m.status
        or before["admitted_on"] != m.admitted_on_display
        or before["confirmed_on"] != m.confirmed_on_display
    )


# What classification, comparison and the audit diff read of an existing member.
EXISTING_FIELDS = [
    *CLEAN_FIELDS,
    "id_number_index",
    "id_number_encrypted",
    "left_on",
    "left_reason",
    "phone_encrypted",
    "phone_index",
    "party_group",
    "organization__path",
    "organization__name",
    "organization__code",
]
# What an update may change (apply_clean's fields, the search keys, the placement).
UPDATE_FIELDS = [
    *CLEAN_FIELDS,
    "name_pinyin",
    "name_initials",
    "phone_encrypted",
    "phone_index",
    "organization",
    "party_group",
    "org_since",
    "updated_at",
    "import_digest",
]


def _fill(
    member: Member | NewMember,
    clean: dict[str, Any],
    only: dict | None = None,
    *,
    indexes: tuple[str, str] | None = None,
    keyring: KeyRing | None = None,
) -> None:
    # A NewMember has every attribute apply_clean sets or reads (roster/fresh.py).
    apply_clean(cast(Member, member), clean, only, indexes=indexes, keyring=keyring)
    member.updated_at = dt.datetime.now(dt.UTC)  # bulk_update does not run auto_now
