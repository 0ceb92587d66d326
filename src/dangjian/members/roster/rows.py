"""One roster row, checked: its cells parsed, its member data validated as the form's would be,
its branch and party group found among those the actor may write into."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from dangjian.accounts.access import Action, scope_for
from dangjian.core.errors import ServiceValidationError
from dangjian.crypto import KeyRing, default_keyring
from dangjian.members.models import Education, Gender, MemberCategory, MemberStatus
from dangjian.members.services import validate_member_data
from dangjian.orgs.models import Organization, OrganizationSpell, OrgKind
from dangjian.regulations.dates import add_months
from dangjian.regulations.membership import inferred_status
from dangjian.regulations.periods import TZ

from .cells import CellError, clean_text, parse_choice, parse_date
from .layout import TEMPLATE_COLUMNS
from .report import RowProblem

LABELS = {column[0]: column[1].rstrip("*") for column in TEMPLATE_COLUMNS}
LABELS.update({"birth_date": "出生日期"})


@dataclass
class Prepared:
    row: int
    clean: dict[str, Any]
    index: str
    phone_index: str
    organization: Organization
    party_group: Organization | None
    # The row's cells for its import digest (roster/digest.py), set by the importer.
    material: bytes = b""
    # The member a creation from this row inserts, when it was filled ahead (roster/ahead.py).
    new: Any = None


class Targets:
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
        # A dissolved branch or party group takes no new member (orgs.history.dissolved_since):
        # one that has spells but none open. Its name still gets its own message.
        spells = OrganizationSpell.objects.filter(organization__path__startswith=root.path)
        gone = set(spells.values_list("organization_id", flat=True)) - set(
            spells.filter(ended_on__isnull=True).values_list("organization_id", flat=True)
        )
        self.dissolved: set[str] = set()
        orgs = []
        for org in qs.order_by("path"):
            if org.pk in gone:
                self.dissolved.update({org.name, org.code, org.code.upper()})
            else:
                orgs.append(org)
        self.root_dissolved = root.pk in gone
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
            if self.root.kind == OrgKind.BRANCH and not self.root_dissolved:
                return self.root
            if self.root_dissolved:
                raise CellError(f"「{self.root.name}」已撤销，不能再导入党员")
            raise CellError("请填写所在支部（导入到上级组织时，每行都要写明支部名称或组织编码）")
        found = self.branches.get(text) or self.branches.get(text.upper())
        if not found and (text in self.dissolved or text.upper() in self.dissolved):
            raise CellError(f"党支部「{text}」已撤销，不能再导入党员")
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


def prepare_row(
    raw,
    targets: Targets,
    today: dt.date,
    *,
    known_index: tuple[str, str] | None = None,
    keyring: KeyRing | None = None,
) -> Prepared | list[RowProblem]:
    """The row checked, or its problems. `known_index`: an ID number and its blind index the
    caller computed already (reused when the clean ID number is that one); `keyring`: the
    default one, when the caller asked for it already (once a chunk)."""
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
            data[name] = _date(values.get(name), name)
        except CellError as exc:
            fail(name, exc.message)
    for name, choices in (
        ("status", MemberStatus),
        ("category", MemberCategory),
        ("education", Education),
    ):
        try:
            data[name] = _choice(values.get(name), name, choices)
        except CellError as exc:
            fail(name, exc.message)

    if not data.get("status") and "status" not in {p.column for p in problems}:
        _infer_status(data, today, fail)

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
        _check_against_id(values, clean, fail)
    if problems or clean is None or organization is None:
        return problems
    keyring = keyring or default_keyring()
    prepared = Prepared(
        row=raw.row_number,
        clean=clean,
        index=(
            known_index[1]
            if known_index is not None and known_index[0] == clean["id_number"]
            else keyring.blind_index(clean["id_number"])
        ),
        phone_index=keyring.blind_index(clean["phone"]),
        organization=organization,
        party_group=party_group,
    )
    prepared.clean["_warnings"] = warnings
    return prepared


def _infer_status(data: dict[str, Any], today: dt.date, fail) -> None:
    """Most rosters have no 党员状态 column: the dates decide it, or the row asks for it."""
    admitted, confirmed = data.get("admitted_on"), data.get("confirmed_on")
    if admitted is None:
        # The admission date is missing or wrong (reported on its own column): a confirmation
        # date still says full; without one, say what the status is derived from, not "请选择".
        if confirmed is not None:
            data["status"] = MemberStatus.FULL
        else:
            fail(
                "status",
                "未填写党员状态，需根据入党时间和转正时间推定：请填写正确的入党时间，"
                "或填写党员状态",
            )
        return
    latest = admitted.value
    if admitted.precision == "month":  # the benefit of the doubt: the month's last day
        latest = add_months(latest.replace(day=1), 1) - dt.timedelta(days=1)
    status = inferred_status(latest, confirmed.value if confirmed else None, today)
    if status is None:
        fail(
            "status",
            "未填写党员状态，且无法从日期推定：入党已超过预备期（含最长延长期）仍无转正时间。"
            "请填写党员状态（正式党员请同时填写转正时间）",
        )
    else:
        data["status"] = status


def _check_against_id(values: dict, clean: dict[str, Any], fail) -> None:
    """The gender and birth date columns, when present, must agree with the ID number."""
    gender_text = clean_text(values.get("gender"))
    if gender_text:
        try:
            gender = _choice(gender_text, "gender", Gender)
            if gender != clean["gender"]:
                fail("gender", "性别与身份证号不符（身份证号第17位奇数为男、偶数为女）")
        except CellError as exc:
            fail("gender", exc.message)
    if values.get("birth_date") not in (None, ""):
        try:
            birth = _date(values.get("birth_date"), "birth_date")
            if birth is not None and (
                birth.value.year != clean["birth_date"].year
                or birth.value.month != clean["birth_date"].month
                or (birth.precision == "day" and birth.value != clean["birth_date"])
            ):
                fail("birth_date", "出生日期与身份证号不符")
        except CellError as exc:
            fail("birth_date", exc.message)


# Parsed cells by text: a roster repeats its statuses, categories and dates thousands of times.
# Only values that parsed are kept (a bad cell is parsed again, to raise its own message), and
# the caches stop growing at `_CACHE_LIMIT` entries each.
_CACHE_LIMIT = 20_000
_DATES: dict[tuple[str, str, dt.date], Any] = {}
_CHOICES: dict[tuple[str, str], str] = {}


def _china_today() -> dt.date:
    """parse_date's own default day (the calendar in China), read at most once a second."""
    global _TODAY
    now = time.monotonic()
    if now - _TODAY[0] >= 1.0:
        _TODAY = (now, dt.datetime.now(TZ).date())
    return _TODAY[1]


_TODAY: tuple[float, dt.date] = (-10.0, dt.date.min)


def _date(value: Any, name: str):
    if not isinstance(value, str):
        return parse_date(value, field_label=LABELS[name])
    today = _china_today()
    key = (name, value, today)
    found = _DATES.get(key)
    if found is None:
        found = parse_date(value, field_label=LABELS[name], today=today)
        if len(_DATES) < _CACHE_LIMIT:
            _DATES[key] = found
    return found


def _choice(value: Any, name: str, choices) -> str:
    if not isinstance(value, str):
        return parse_choice(value, _choice_map(choices), field_label=LABELS[name])
    key = (name, value)
    found = _CHOICES.get(key)
    if found is None:
        found = parse_choice(value, _choice_map(choices), field_label=LABELS[name])
        if len(_CHOICES) < _CACHE_LIMIT:
            _CHOICES[key] = found
    return found


_CHOICE_MAPS: dict[type, dict[str, str]] = {}


def _choice_map(choices) -> dict[str, str]:
    if choices not in _CHOICE_MAPS:
        mapping = {code: code for code in choices.values}
        mapping.update({label: code for code, label in choices.choices})
        _CHOICE_MAPS[choices] = mapping
    return _CHOICE_MAPS[choices]
