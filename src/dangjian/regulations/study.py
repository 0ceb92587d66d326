"""Study hours (学时) and cadre training: what counts, how much is required, who meets it.

Hours come from attendance only (docs/study.md): a held meeting of a kind that counts gives its
hours to each member recorded present, a completed training gives its hours. Which meeting kinds
count and their default hours are pack parameters (the `[study]` table of a rule pack); nothing
here reads a database.

A member who joins the party, or takes a committee post, during the year owes a share of the
year's requirement in proportion to the whole months they are in it (docs/study.md says why).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

from .base import Rule, Severity, register
from .dates import add_months

__all__ = [
    "BEIJING",
    "CADRE_TRAINING_MIN_MONTHS",
    "LEADER_HOURS",
    "MEMBER_HOURS",
    "HoursStatus",
    "StudyPackError",
    "StudyParams",
    "StudyRequirement",
    "StudyStatus",
    "hours_between",
    "induction_due",
    "months_in_year",
    "parse_study_table",
    "requirement_for",
    "status_for",
    "study_params",
    "study_year",
    "year_bounds",
]

BEIJING: Final = ZoneInfo("Asia/Shanghai")
EDUCATION_RULES: Final = "《中国共产党党员教育管理工作条例》"
TRAINING_PLAN: Final = "《2019—2023年全国党员教育培训工作规划》"
ORGAN_RULES: Final = "《中国共产党党和国家机关基层组织工作条例》"

MEMBER_HOURS: Final = 32
LEADER_HOURS: Final = 56
# Platform decision (docs/study.md): a cadre in post for fewer months than this in a year is
# not yet expected to have had that year's concentrated training.
CADRE_TRAINING_MIN_MONTHS: Final = 6

# The article (第二十条) is only M in the digest, so the citation is the title alone.
MEMBER_HOURS_RULE: Final = register(
    Rule(
        id="study_hours_member",
        title=EDUCATION_RULES,
        article=None,
        summary="党员每年集中学习培训时间一般不少于32学时",
        params={"hours": MEMBER_HOURS},
        severity=Severity.WARNING,
        confidence="M",
    )
)

LEADER_HOURS_RULE: Final = register(
    Rule(
        id="study_hours_leaders",
        title=TRAINING_PLAN,
        article=None,
        summary="基层党组织书记和班子成员每年集中学习培训不少于56学时，至少参加1次集中培训",
        params={"hours": LEADER_HOURS, "trainings": 1},
        severity=Severity.ERROR,
        confidence="M",
    )
)

INDUCTION_RULE: Final = register(
    Rule(
        id="training_new_secretary",
        title=ORGAN_RULES,
        article="第三十一条",
        summary="对新任机关基层党组织负责人进行任职培训",
        params={},
        severity=Severity.ERROR,
        confidence="H",
    )
)


class StudyPackError(ValueError):
    """A `[study]` table that cannot be used; the message is for the administrator."""


@dataclass(frozen=True)
class StudyParams:
    """The `[study]` parameters in force (national pack, then local packs in order)."""

    # Meeting kind -> default hours of one held meeting of that kind.
    kind_hours: Mapping[str, Decimal] = field(default_factory=dict)
    # Kinds that count only when the meeting studied something (linked materials or hours set).
    kinds_needing_topic: frozenset[str] = frozenset()
    # Months after taking office within which a new secretary must have had induction
    # training; a local number (regulations.md), None when no pack sets it.
    induction_within_months: int | None = None
    # From the first day of this month the findings call a member at risk whose hours so far
    # and the hours of the year's remaining planned sessions cannot reach the requirement
    # (platform practice: before it the year is too young to say; 0 never says it).
    at_risk_from_month: int = 10

    def counts(self, kind: str, *, has_topic: bool) -> bool:
        if kind not in self.kind_hours:
            return False
        return has_topic or kind not in self.kinds_needing_topic

    def merged(self, table: Mapping[str, object], source: str) -> StudyParams:
        """These parameters with a later pack's `[study]` table applied (later wins)."""
        parsed = parse_study_table(table, source)
        hours = dict(self.kind_hours)
        hours.update(parsed.get("kind_hours", {}))  # type: ignore[call-overload]
        for kind in parsed.get("uncounted_kinds", ()):  # type: ignore[attr-defined]
            hours.pop(kind, None)
        needing = parsed.get("kinds_needing_topic", self.kinds_needing_topic)
        return StudyParams(
            kind_hours=MappingProxyType(hours),
            kinds_needing_topic=frozenset(needing),  # type: ignore[call-overload]
            induction_within_months=parsed.get(  # type: ignore[arg-type]
                "induction_within_months", self.induction_within_months
            ),
            at_risk_from_month=parsed.get(  # type: ignore[arg-type]
                "at_risk_from_month", self.at_risk_from_month
            ),
        )


_STUDY_KEYS: Final = frozenset(
    {
        "kind_hours",
        "kinds_needing_topic",
        "uncounted_kinds",
        "induction_within_months",
        "at_risk_from_month",
    }
)


def _hours_value(raw: object, where: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise StudyPackError(f"{where}：学时应为数字")
    value = Decimal(str(raw))
    if value <= 0 or value > 24 or value * 2 != (value * 2).to_integral_value():
        raise StudyPackError(f"{where}：学时应在0.5到24之间，且为0.5的整数倍")
    return value


def _kinds(raw: object, where: str) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(k, str) and k for k in raw):
        raise StudyPackError(f"{where}：应为会议类型的列表")
    return list(raw)


def parse_study_table(table: Mapping[str, object], source: str) -> dict[str, object]:
    """Check a pack's `[study]` table; returns only the keys it sets."""
    unknown = sorted(set(table) - _STUDY_KEYS)
    if unknown:
        raise StudyPackError(f"[study]：未知字段 {', '.join(unknown)}")
    out: dict[str, object] = {}
    if "kind_hours" in table:
        raw = table["kind_hours"]
        if not isinstance(raw, Mapping):
            raise StudyPackError("[study.kind_hours]：应为“会议类型 = 学时”的表")
        out["kind_hours"] = {
            str(k): _hours_value(v, f"[study.kind_hours] {k}") for k, v in raw.items()
        }
    for key in ("kinds_needing_topic", "uncounted_kinds"):
        if key in table:
            out[key] = _kinds(table[key], f"[study] {key}")
    if "induction_within_months" in table:
        months = table["induction_within_months"]
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 24:
            raise StudyPackError("[study] induction_within_months：应为1到24之间的整数")
        out["induction_within_months"] = months
    if "at_risk_from_month" in table:
        month = table["at_risk_from_month"]
        if isinstance(month, bool) or not isinstance(month, int) or not 0 <= month <= 12:
            raise StudyPackError("[study] at_risk_from_month：应为0到12之间的整数（0为不提示）")
        out["at_risk_from_month"] = month
    return out


def study_params(tables: list[tuple[str, Mapping[str, object]]]) -> StudyParams:
    """The parameters from the packs' `[study]` tables, national first."""
    params = StudyParams()
    for source, table in tables:
        params = params.merged(table, source)
    return params


# --- time ------------------------------------------------------------------------------------


def study_year(moment: dt.datetime) -> int:
    """The calendar year a session counts for: its date in Beijing time (23:30 on 31 December
    Beijing time is still that year, although it is 15:30 UTC)."""
    if moment.tzinfo is None:
        raise ValueError("study_year needs an aware datetime")
    return moment.astimezone(BEIJING).year


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a study year as aware datetimes (Beijing midnight to midnight)."""
    return (
        dt.datetime(year, 1, 1, tzinfo=BEIJING),
        dt.datetime(year + 1, 1, 1, tzinfo=BEIJING),
    )


def hours_between(start: dt.datetime, end: dt.datetime) -> Decimal:
    """A session's hours from its start and end, rounded down to the half hour."""
    if end <= start:
        raise ValueError("结束时间应晚于开始时间")
    seconds = (end - start).total_seconds()
    if seconds > 24 * 3600:
        raise ValueError("一次学习不能超过24小时")
    halves = Decimal(seconds / 1800).to_integral_value(rounding=ROUND_FLOOR)
    return halves / 2


def months_in_year(year: int, start: dt.date | None, end: dt.date | None = None) -> int:
    """Whole calendar months of `year` from the month of `start` to the month of `end`
    (both included; open ends cover the whole year)."""
    first = 1 if start is None or start.year < year else start.month
    last = 12 if end is None or end.year > year else end.month
    if (start is not None and start.year > year) or (end is not None and end.year < year):
        return 0
    return max(0, last - first + 1)


# --- requirement and status ------------------------------------------------------------------


@dataclass(frozen=True)
class StudyRequirement:
    hours: int
    trainings: int  # concentrated trainings required (cadres)
    rule_ids: tuple[str, ...]
    cadre: bool


def requirement_for(
    year: int,
    *,
    admitted_on: dt.date | None,
    cadre_months: int = 0,
) -> StudyRequirement:
    """What a member owes for `year`.

    Members: 32 hours, pro rata by the months of the year from the month of admission.
    Cadres (secretaries and committee members): 56 a month for each month in post, 32 for the
    other months of membership, over twelve, rounded up to a whole hour; one concentrated
    training when in post for at least CADRE_TRAINING_MIN_MONTHS months of the year.
    """
    member_months = months_in_year(year, admitted_on)
    cadre_months = min(cadre_months, member_months)
    if cadre_months <= 0:
        return StudyRequirement(
            hours=math.ceil(MEMBER_HOURS * member_months / 12),
            trainings=0,
            rule_ids=(MEMBER_HOURS_RULE.id,),
            cadre=False,
        )
    total = LEADER_HOURS * cadre_months + MEMBER_HOURS * (member_months - cadre_months)
    return StudyRequirement(
        hours=math.ceil(total / 12),
        trainings=1 if cadre_months >= CADRE_TRAINING_MIN_MONTHS else 0,
        rule_ids=(MEMBER_HOURS_RULE.id, LEADER_HOURS_RULE.id),
        cadre=True,
    )


class HoursStatus(StrEnum):
    MET = "met"  # 达标
    NOT_MET = "not_met"  # 未达标 (a warning for members, an error for cadres)


@dataclass(frozen=True)
class StudyStatus:
    status: HoursStatus
    hours: Decimal
    required: int
    trainings: int
    trainings_required: int
    severity: Severity | None

    @property
    def met(self) -> bool:
        return self.status is HoursStatus.MET

    @property
    def label(self) -> str:
        return "达标" if self.met else "未达标"


def status_for(
    hours: Decimal | int | float, requirement: StudyRequirement, trainings: int = 0
) -> StudyStatus:
    """A member's hours and concentrated trainings against their requirement.

    The pure function the compliance report's study-hours columns plug in (the year still
    running or over is the caller's matter: at risk before the year ends, violated after).
    """
    value = Decimal(str(hours))
    met = value >= requirement.hours and trainings >= requirement.trainings
    severity = None
    if not met:
        severity = LEADER_HOURS_RULE.severity if requirement.cadre else MEMBER_HOURS_RULE.severity
    return StudyStatus(
        status=HoursStatus.MET if met else HoursStatus.NOT_MET,
        hours=value,
        required=requirement.hours,
        trainings=trainings,
        trainings_required=requirement.trainings,
        severity=severity,
    )


def induction_due(took_office: dt.date, within_months: int | None) -> dt.date | None:
    """The date by which a new secretary must have had induction training (None: no local
    time limit is set)."""
    if within_months is None:
        return None
    return add_months(took_office, within_months)
