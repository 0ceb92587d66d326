"""Assessment (考核评价): the indicators the anti-formalism rules forbid, grade thresholds, the
述职评议 vote mapping and the combined score. Pure functions; the appeal window (working days)
is the pack parameter `assessment_appeal_working_days` (a platform default, not a national
figure: regulations.md has none).

Refused indicators (regulations.md, anti-formalism rules): 《政务移动互联网应用程序规范化管理办法》
(国办函〔2026〕12号) forbids points rankings and online-time statistics used to evaluate people and
forced check-ins; 《整治形式主义为基层减负若干规定》(2024) forbids demanding form-filling and
traces of work instead of work. The digest gives no article numbers for either, so the
citations carry the title (and the document number) only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from .base import Rule, Severity, register

__all__ = [
    "APP_RULES_DOC",
    "FORBIDDEN_SOURCES",
    "VOTE_CHOICES",
    "Grade",
    "combined",
    "forbidden_reason",
    "grade_for",
    "parse_grades",
    "parse_vote_points",
    "refusal_citation",
    "round2",
    "vote_value",
]

APP_RULES_DOC: Final = "国办函〔2026〕12号"

APP_RULES: Final = register(
    Rule(
        id="assessment_no_app_activity",
        title="《政务移动互联网应用程序规范化管理办法》",
        article=None,
        summary="不得强制打卡、积分排名，不得以在线时长等统计数据考核评价",
        params={},
        severity=Severity.ERROR,
        confidence="M",
    )
)
BURDEN_RULES: Final = register(
    Rule(
        id="assessment_no_traces",
        title="《整治形式主义为基层减负若干规定》",
        article=None,
        summary="不得以留痕代替实绩，同一材料最多报一次，不得频繁要求填表报数",
        params={},
        severity=Severity.ERROR,
        confidence="M",
    )
)


def refusal_citation() -> str:
    """Both rules as shown beside a refused indicator."""
    return f"{APP_RULES.citation}（{APP_RULES_DOC}）、{BURDEN_RULES.citation}（2024年）"


# Source keys and words that name app activity. The catalogue of computed sources has none of
# these; a key or a title (or an imported column) using one is refused.
FORBIDDEN_SOURCES: Final[Mapping[str, str]] = {
    "logins": "登录次数",
    "online_time": "在线时长",
    "page_views": "浏览量",
    "points": "积分",
    "checkins": "签到打卡次数",
    "reading_time": "阅读时长",
}
_FORBIDDEN_WORDS: Final = (
    "登录",
    "登陆",
    "在线时长",
    "在线时间",
    "浏览量",
    "浏览次数",
    "访问量",
    "点击量",
    "积分",
    "打卡",
    "签到次数",
    "阅读时长",
    "学习时长排名",
)


def forbidden_reason(source_key: str = "", *texts: str) -> str | None:
    """The refusal message when an indicator (its source key, title or an imported column's
    name) is built on app activity; None when it is not."""
    found = FORBIDDEN_SOURCES.get(source_key.strip().lower())
    if found is None:
        for text in texts:
            found = next((w for w in _FORBIDDEN_WORDS if w in (text or "")), None)
            if found:
                break
    if found is None:
        return None
    return (
        f"不能以“{found}”等应用使用痕迹作为考核指标：依据{refusal_citation()}，"
        "考核应看组织的实际工作（会议、工作事项、学习、党费等记录）"
    )


# ---- grades ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grade:
    name: str
    minimum: Decimal  # the lowest combined score (0–100) that earns it, inclusive


def parse_grades(raw: Sequence[Sequence[object]]) -> list[Grade]:
    """Grades best first, each with its minimum; raises ValueError with a Chinese message when
    names repeat, minimums overlap (not strictly decreasing) or the last does not start at 0."""
    grades: list[Grade] = []
    for position, item in enumerate(raw, start=1):
        if len(item) != 2:
            raise ValueError(f"第{position}个等次应写“名称:最低分”")
        name = str(item[0]).strip()
        if not name or len(name) > 10:
            raise ValueError(f"第{position}个等次的名称应为1至10个字")
        try:
            minimum = Decimal(str(item[1]).strip())
        except ArithmeticError:
            raise ValueError(f"等次“{name}”的最低分应为数字") from None
        if not Decimal(0) <= minimum <= Decimal(100):
            raise ValueError(f"等次“{name}”的最低分应在0至100之间")
        if any(g.name == name for g in grades):
            raise ValueError(f"等次名称“{name}”重复")
        if grades and minimum >= grades[-1].minimum:
            raise ValueError(
                f"等次分数线重叠：“{name}”的最低分{minimum}应低于“{grades[-1].name}”的"
                f"{grades[-1].minimum}"
            )
        grades.append(Grade(name, minimum))
    if len(grades) < 2:
        raise ValueError("至少设置两个等次")
    if grades[-1].minimum != 0:
        raise ValueError(f"最低等次“{grades[-1].name}”的最低分应为0，使每个得分都有等次")
    return grades


def grade_for(score: Decimal, grades: Sequence[Grade], cap: str | None = None) -> str:
    """The grade a combined score earns (minimums inclusive); `cap` (一票否决) is the best
    grade allowed, so a better earned grade falls to it."""
    names = [g.name for g in grades]
    earned = next((g.name for g in grades if score >= g.minimum), names[-1])
    if cap is not None and cap in names and names.index(cap) > names.index(earned):
        return cap
    return earned


# ---- 述职评议 votes -------------------------------------------------------------------------

VOTE_CHOICES: Final = ("好", "较好", "一般", "差")
DEFAULT_VOTE_POINTS: Final = {"好": 100, "较好": 80, "一般": 60, "差": 0}


def parse_vote_points(raw: Mapping[str, object]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for choice in VOTE_CHOICES:
        try:
            value = Decimal(str(raw.get(choice, "")).strip())
        except ArithmeticError:
            raise ValueError(f"评议票“{choice}”对应的分值应为数字") from None
        if not Decimal(0) <= value <= Decimal(100):
            raise ValueError(f"评议票“{choice}”对应的分值应在0至100之间")
        out[choice] = value
    values = [out[c] for c in VOTE_CHOICES]
    if any(a < b for a, b in zip(values, values[1:], strict=False)):
        raise ValueError("评议票分值应按“好、较好、一般、差”从高到低")
    return out


def vote_value(counts: Mapping[str, int], points: Mapping[str, Decimal]) -> Decimal | None:
    """The tallies' average on 0–100 (each ballot worth its choice's points); None without
    ballots."""
    total = sum(counts.get(c, 0) for c in VOTE_CHOICES)
    if total == 0:
        return None
    earned = sum((Decimal(counts.get(c, 0)) * Decimal(points[c]) for c in VOTE_CHOICES), Decimal(0))
    return round2(earned / total)


# ---- scores -------------------------------------------------------------------------------

CENT: Final = Decimal("0.01")


def round2(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def combined(party: Decimal, business: Decimal, party_weight: int, business_weight: int) -> Decimal:
    """party × w + business × w (weights in percent, summing to 100), to the hundredth."""
    return round2((party * party_weight + business * business_weight) / Decimal(100))
