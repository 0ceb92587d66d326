"""Roster import: validate every row, report what would change, then write it all or the valid rows.

Two passes over the file, never holding all rows in memory: the first classifies each row
(create, update, unchanged, move, rejected) and is the preview (dry run); the second writes inside
one transaction. Rows are matched by ID number through its blind index, so importing the same file
twice changes nothing, and a corrected file updates only what changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, BinaryIO

from django.db import transaction

from dangjian.accounts.access import Action, scope_for
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, PendingEvent, diff, record, record_many
from dangjian.core import clock
from dangjian.core.errors import ServiceValidationError
from dangjian.crypto import default_keyring
from dangjian.members.models import (
    Education,
    Gender,
    Member,
    MemberCategory,
    MemberStatus,
)
from dangjian.members.roster.cells import CellError, clean_text, parse_choice, parse_date
from dangjian.members.roster.layout import TEMPLATE_COLUMNS, write_roster
from dangjian.members.roster.reader import Roster, open_roster
from dangjian.members.services import CLEAN_FIELDS, apply_clean, validate_member_data
from dangjian.orgs.models import Organization, OrgKind

CHUNK = 1000
LABELS = {column[0]: column[1].rstrip("*") for column in TEMPLATE_COLUMNS}
LABELS.update({"birth_date": "出生日期"})
# Fields compared to decide whether an existing member changed.
COMPARED = [
    "name",
    "ethnicity",
    "education",
    "status",
    "category",
    "admitted_on",
    "confirmed_on",
    "admitted_on_precision",
    "confirmed_on_precision",
    "job_title",
]
MAX_REPORTED_ERRORS = 5000


class Mode:
    STRICT = "strict"
    PARTIAL = "partial"


STRICT_REFUSED = "严格模式下存在错误行或未确认的调动，不能导入；请修正后重新上传，或改用部分导入"


def strict_blocks(mode: str, rejected: int, unconfirmed_moves: int = 0) -> bool:
    """The strict-mode rule, for the page, the CLI and the import alike: in strict mode one
    rejected row (a move not confirmed is one) means nothing is written."""
    return mode == Mode.STRICT and rejected + unconfirmed_moves > 0


@dataclass
class RowProblem:
    row: int
    column: str
    message: str


@dataclass
class MovePlan:
    row: int
    name: str
    member_id: int
    from_org: str
    to_org: str


@dataclass
class ImportReport:
    filename: str
    sheet: str = ""
    sheets: list[str] = field(default_factory=list)
    header_row: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0
    rejected: int = 0
    moves: list[MovePlan] = field(default_factory=list)
    errors: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    written: bool = False
    mode: str = Mode.STRICT

    @property
    def rejected_rows(self) -> set[int]:
        return {e.row for e in self.errors}

    def as_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "moved": self.moved,
            "rejected": self.rejected,
            "rows": self.rows,
            "written": self.written,
            "mode": self.mode,
            "sheet": self.sheet,
            "sheets": self.sheets,
            "header_row": self.header_row,
            "unknown_columns": self.unknown_columns,
            "errors": [asdict(e) for e in self.errors[:MAX_REPORTED_ERRORS]],
            "warnings": [asdict(w) for w in self.warnings[:MAX_REPORTED_ERRORS]],
            "moves": [asdict(m) for m in self.moves[:MAX_REPORTED_ERRORS]],
        }


@dataclass
class _Prepared:
    row: int
    clean: dict[str, Any]
    index: str
    phone_index: str
    organization: Organization
    party_group: Organization | None


class _Targets:
    """Branches and party groups the actor may write into, below the chosen organization."""

    def __init__(self, user, root: Organization):
        scope = scope_for(user) if user is not None else None
        qs = Organization.objects.filter(
            path__startswith=root.path, kind__in=[OrgKind.BRANCH, OrgKind.PARTY_GROUP]
        )
        if scope is not None:
            qs = qs.filter(scope.org_q(Action.WRITE))
        self.root = root
        self.branches: dict[str, list[Organization]] = {}
        self.groups: dict[tuple[str, str], Organization] = {}
        self.by_id: dict[int, Organization] = {}
        self.writable_paths = [root.path] if scope is None else scope.paths.get(Action.WRITE, [])
        orgs = list(qs.order_by("path"))
        branch_by_path = {o.path: o for o in orgs if o.kind == OrgKind.BRANCH}
        for org in orgs:
            self.by_id[org.pk] = org
            if org.kind == OrgKind.BRANCH:
                for key in {org.name, org.code, org.code.upper()}:
                    self.branches.setdefault(key, []).append(org)
            else:
                parent = branch_by_path.get(org.path[: -org.steplen])
                if parent is not None:
                    self.groups[(parent.path, org.name)] = org

    def writable(self, org: Organization) -> bool:
        return any(org.path.startswith(p) for p in self.writable_paths)

    def branch_for(self, text: str) -> Organization:
        if not text:
            if self.root.kind == OrgKind.BRANCH:
                return self.root
            raise CellError("请填写所在支部（导入到上级组织时，每行都要写明支部名称或组织编码）")
        found = self.branches.get(text) or self.branches.get(text.upper())
        if not found:
            raise CellError(f"党支部「{text}」不存在，或不在「{self.root.name}」及您的管理范围内")
        unique = {o.pk: o for o in found}
        if len(unique) > 1:
            raise CellError(f"「{text}」在所选范围内有 {len(unique)} 个同名支部，请改填组织编码")
        return next(iter(unique.values()))

    def group_for(self, branch: Organization, text: str) -> Organization | None:
        if not text:
            return None
        group = self.groups.get((branch.path, text))
        if group is None:
            raise CellError(f"党小组「{text}」不在「{branch.name}」中")
        return group


def _prepare(raw, targets: _Targets, today: dt.date) -> _Prepared | list[RowProblem]:
    values = raw.values
    problems: list[RowProblem] = []
    data: dict[str, Any] = {}

    def fail(field_name: str, message: str) -> None:
        problems.append(RowProblem(raw.row_number, LABELS.get(field_name, field_name), message))

    for name in ("name", "ethnicity", "job_title"):
        data[name] = clean_text(values.get(name))
    # ID numbers and phones keep their cell type: a float means the spreadsheet damaged it.
    for name in ("id_number", "phone"):
        value = values.get(name)
        data[name] = value if isinstance(value, (int, float)) else clean_text(value)
    for name in ("admitted_on", "confirmed_on"):
        try:
            data[name] = parse_date(values.get(name), field_label=LABELS[name])
        except CellError as exc:
            fail(name, exc.message)
    for name, choices in (
        ("status", MemberStatus),
        ("category", MemberCategory),
        ("education", Education),
    ):
        try:
            data[name] = parse_choice(
                values.get(name), _choice_map(choices), field_label=LABELS[name]
            )
        except CellError as exc:
            fail(name, exc.message)

    organization = party_group = None
    try:
        organization = targets.branch_for(clean_text(values.get("organization")))
        party_group = targets.group_for(organization, clean_text(values.get("party_group")))
    except CellError as exc:
        column = "party_group" if organization is not None else "organization"
        fail(column, exc.message)

    clean = None
    try:
        clean, warnings = validate_member_data(data, check_duplicates=False, today=today)
    except ServiceValidationError as exc:
        reported = {p.column for p in problems}
        for field_name, message in exc.errors.items():
            if LABELS.get(field_name, field_name) not in reported:
                fail(field_name, message)
    if clean is not None:
        # The gender and birth date columns, when present, must agree with the ID number.
        gender_text = clean_text(values.get("gender"))
        if gender_text:
            try:
                gender = parse_choice(gender_text, _choice_map(Gender), field_label="性别")
                if gender != clean["gender"]:
                    fail("gender", "性别与身份证号不符（身份证号第17位奇数为男、偶数为女）")
            except CellError as exc:
                fail("gender", exc.message)
        if values.get("birth_date") not in (None, ""):
            try:
                birth = parse_date(values.get("birth_date"), field_label="出生日期")
                if birth is not None and (
                    birth.value.year != clean["birth_date"].year
                    or birth.value.month != clean["birth_date"].month
                    or (birth.precision == "day" and birth.value != clean["birth_date"])
                ):
                    fail("birth_date", "出生日期与身份证号不符")
            except CellError as exc:
                fail("birth_date", exc.message)
    if problems or clean is None or organization is None:
        return problems
    keyring = default_keyring()
    prepared = _Prepared(
        row=raw.row_number,
        clean=clean,
        index=keyring.blind_index(clean["id_number"]),
        phone_index=keyring.blind_index(clean["phone"]),
        organization=organization,
        party_group=party_group,
    )
    prepared.clean["_warnings"] = warnings
    return prepared


_CHOICE_MAPS: dict[type, dict[str, str]] = {}


def _choice_map(choices) -> dict[str, str]:
    if choices not in _CHOICE_MAPS:
        mapping = {code: code for code in choices.values}
        mapping.update({label: code for code, label in choices.choices})
        _CHOICE_MAPS[choices] = mapping
    return _CHOICE_MAPS[choices]


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


def _changes(member: Member, p: _Prepared, present: frozenset[str]) -> dict[str, Any]:
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
        self.targets = _Targets(actor.user, org)
        # Rows seen so far by ID number: 128 bits of the blind index as an int keeps this small
        # for 200,000-row files (a collision would need 2^64 rows).
        self.seen: dict[int, int] = {}
        self.present: frozenset[str] = frozenset()

    def chunks(self, roster: Roster) -> Iterator[tuple[list[_Prepared], dict[str, Member]]]:
        total = getattr(roster, "row_count", 0) or 0
        buffer: list[_Prepared] = []
        done = 0
        for raw in roster.iter_rows():
            done += 1
            self.report.rows += 1
            result = _prepare(raw, self.targets, self.today)
            if isinstance(result, list):
                self.reject(*result)
            else:
                key = int(result.index[:32], 16)
                first = self.seen.get(key)
                if first is not None:
                    self.reject(
                        RowProblem(
                            result.row,
                            LABELS["id_number"],
                            f"与第 {first} 行是同一身份证号（同一人重复出现）",
                        )
                    )
                else:
                    self.seen[key] = result.row
                    buffer.append(result)
            if len(buffer) >= CHUNK:
                yield buffer, self._existing(buffer)
                buffer = []
                self.progress(done, max(total, done))
        if buffer:
            yield buffer, self._existing(buffer)
        self.progress(done, done)

    def _existing(self, chunk: list[_Prepared]) -> dict[str, Member]:
        return {
            m.id_number_index: m
            for m in Member.objects.filter(id_number_index__in=[p.index for p in chunk])
            .select_related("organization")
            .only(*EXISTING_FIELDS)
        }

    def reject(self, *problems: RowProblem) -> None:
        self.report.rejected += 1
        self.report.errors.extend(problems)

    def classify(self, p: _Prepared, existing: Member | None) -> str:
        """create / update / unchanged / move / reject (recording the reason)."""
        if existing is None:
            return "create"
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


def _open(source: str | bytes | BinaryIO, filename: str, sheet: str | None) -> Roster:
    if hasattr(source, "read"):
        source = source.read()
    return open_roster(source, filename, sheet=sheet or None)


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
    with _open(source, filename, sheet) as roster:
        report.sheet, report.sheets = roster.sheet_name, list(roster.sheets)
        report.header_row, report.unknown_columns = roster.header_row, list(roster.unknown_columns)
        run = _Run(
            actor, organization, report, allow_moves=allow_moves, today=today, progress=progress
        )
        run.present = frozenset(roster.columns)
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
    for chunk, existing in run.chunks(roster):
        creates: list[Member] = []
        updates: list[tuple[Member, dict, str]] = []
        for p in chunk:
            member = existing.get(p.index)
            kind = run.classify(p, member)
            if kind == "reject":
                continue
            report.warnings.extend(
                RowProblem(p.row, LABELS["id_number"], w) for w in p.clean["_warnings"]
            )
            if kind == "move":
                report.moves.append(
                    MovePlan(
                        p.row,
                        p.clean["name"],
                        member.pk,
                        member.organization.name,
                        p.organization.name,
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
                    continue
                report.moved += 1
            elif kind == "create":
                report.created += 1
            elif kind == "update":
                report.updated += 1
            else:
                report.unchanged += 1
                continue
            # In strict mode one rejected row means nothing is kept: stop building writes.
            if not write or strict_blocks(report.mode, report.rejected):
                continue
            if kind == "create":
                m = Member(
                    organization=p.organization, party_group=p.party_group, org_since=run.today
                )
                _fill(m, p.clean)
                creates.append(m)
            else:
                before = member.audit_fields()
                _fill(member, p.clean, only=_changes(member, p, run.present))
                if kind == "move":
                    member.org_since = run.today
                member.organization = p.organization
                # The party group follows the file only where the file says (or on a move).
                if kind == "move" or "party_group" in run.present:
                    member.party_group = p.party_group
                updates.append((member, before, kind))
        if creates or updates:
            _flush(run.actor, creates, updates, filename)
            report.written = True


def _flush(
    actor: Actor, creates: list[Member], updates: list[tuple[Member, dict, str]], filename: str
) -> None:
    Member.objects.bulk_create(creates)
    if creates and creates[0].pk is None:  # engines without RETURNING (MySQL): look the ids up
        ids = dict(
            Member.objects.filter(
                id_number_index__in=[m.id_number_index for m in creates]
            ).values_list("id_number_index", "pk")
        )
        for m in creates:
            m.pk = ids[m.id_number_index]
    if updates:
        Member.objects.bulk_update([m for m, _, _ in updates], fields=UPDATE_FIELDS, batch_size=500)
    note = f"花名册导入：{filename}"
    events = [
        PendingEvent(
            AuditAction.CREATE,
            "members.member",
            str(m.pk),
            m.name,
            diff(None, m.audit_fields()),
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


# What classification, comparison and the audit diff read of an existing member.
EXISTING_FIELDS = [
    *CLEAN_FIELDS,
    "id_number_index",
    "id_number_encrypted",
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
]


def _fill(member: Member, clean: dict[str, Any], only: dict | None = None) -> None:
    apply_clean(member, clean, only)
    member.updated_at = dt.datetime.now(dt.UTC)  # bulk_update does not run auto_now


def write_errors(
    source: str | bytes,
    filename: str,
    report: ImportReport,
    out: BinaryIO | str,
    sheet: str | None = None,
) -> int:
    """The rejected rows in the template layout with a 错误原因 column, ready to fix and re-import."""
    reasons: dict[int, list[str]] = {}
    for e in report.errors:
        reasons.setdefault(e.row, []).append(f"{e.column}：{e.message}")
    written = 0

    def rows():
        nonlocal written
        with _open(source, filename, sheet or report.sheet) as roster:
            for raw in roster.iter_rows():
                if raw.row_number in reasons:
                    values = {k: ("" if v is None else v) for k, v in raw.values.items()}
                    values["错误原因"] = "；".join(reasons[raw.row_number])
                    values["_row"] = raw.row_number
                    written += 1
                    yield values

    write_roster(rows(), out, with_errors=True)
    return written
