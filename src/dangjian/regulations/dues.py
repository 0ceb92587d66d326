"""Party dues (党费) by 中组发〔2008〕3号: the monthly amount from a base, flat amounts, the
back-pay window and the 党章 第九条 six-month lapse. Pure functions; the numbers come from the
`[dues]` table of the rule packs (national first, local packs after; docs/dues.md).

Rounding (written down in docs/dues.md): a base is yuan with at most two decimals (the fen);
the monthly amount is base × rate rounded half up to the fen (0.005 元 → 0.01 元). The whole
base is charged at the one rate of its bracket (第二条: not progressive); upper bounds included.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Final

from .base import Rule, Severity, register
from .membership import CONSTITUTION

__all__ = [
    "FEN",
    "Assessment",
    "Bracket",
    "DuesKind",
    "DuesPackError",
    "DuesParams",
    "LapseState",
    "assess",
    "backpay_allowed",
    "dues_params",
    "lapse_state",
    "month_start",
    "months_between",
    "parse_base",
    "parse_dues_table",
    "trailing_unpaid",
]

DUES_RULES: Final = "《关于中国共产党党费收缴、使用和管理的规定》"  # 中组发〔2008〕3号
FEN: Final = Decimal("0.01")


def _rule(id: str, article: str | None, summary: str, confidence: str = "H") -> Rule:
    return register(
        Rule(
            id=id,
            title=DUES_RULES,
            article=article,
            summary=summary,
            params={},
            severity=Severity.ERROR,
            confidence=confidence,
        )
    )


# Articles are cited only where the digest marks them H (regulations.md §3).
RATES_SALARIED_RULE: Final = _rule(
    "dues_rates_salaried", "第二条", "按月工资收入（税后）分档，以全部基数按所在档比例交纳"
)
ANNUAL_SALARY_RULE: Final = _rule("dues_annual_salary", "第三条", "年薪制：当月实际领取的薪酬")
SELF_EMPLOYED_RULE: Final = _rule("dues_self_employed", "第四条", "上季度月平均纯收入")
RETIREES_RULE: Final = _rule(
    "dues_retirees", "第五条", "离退休费总额：5000元以下（含）0.5%，5000元以上1%"
)
FLAT_RULE: Final = _rule(
    "dues_flat", "第六条", "农民党员每月0.2元至1元；学生、下岗失业、低保等党员每月0.2元"
)
BACKPAY_RULE: Final = _rule(
    "dues_backpay", "第十二条", "按月交纳；经党支部同意可按季交纳；补交一般不超过6个月"
)
VOLUNTARY_RULE: Final = _rule(
    "dues_voluntary", "第十一条", "自愿一次多交纳1000元以上的全部上缴中央"
)
HARDSHIP_RULE: Final = _rule(
    "dues_hardship", None, "确有困难的，经党支部研究、报上一级党委批准，可少交或免交", "M"
)
PUBLICATION_RULE: Final = _rule(
    "dues_publication", None, "党费收缴情况每年公布1次（每年初核定，年内一般不变动）", "M"
)
LAPSE_RULE: Final = register(
    Rule(
        id="dues_lapse",
        title=CONSTITUTION,
        article="第九条",
        summary="没有正当理由，连续六个月不交纳党费，就被认为是自行脱党",
        params={},
        severity=Severity.ERROR,
        confidence="H",
    )
)


class DuesKind(StrEnum):
    SALARIED = "salaried"  # 在职（按月工资，税后）
    ANNUAL_SALARY = "annual_salary"  # 年薪制
    SELF_EMPLOYED = "self_employed"  # 个体等（上季度月平均纯收入）
    RETIREE = "retiree"  # 离退休
    FARMER = "farmer"  # 农民（定额，由省规定）
    FLAT = "flat"  # 学生、下岗失业、低保（定额）


KIND_LABELS: Final = {
    DuesKind.SALARIED: "在职党员（月工资，税后）",
    DuesKind.ANNUAL_SALARY: "年薪制党员（当月实际薪酬）",
    DuesKind.SELF_EMPLOYED: "个体等党员（上季度月平均纯收入）",
    DuesKind.RETIREE: "离退休党员",
    DuesKind.FARMER: "农民党员（定额）",
    DuesKind.FLAT: "学生、下岗失业、低保党员（定额）",
}
BASED_KINDS: Final = frozenset(
    {DuesKind.SALARIED, DuesKind.ANNUAL_SALARY, DuesKind.SELF_EMPLOYED, DuesKind.RETIREE}
)


class DuesPackError(ValueError):
    """A `[dues]` table that cannot be used; the message is for the administrator."""


@dataclass(frozen=True)
class Bracket:
    upto: Decimal | None  # inclusive upper bound; None: no upper bound
    rate: Decimal

    def label(self) -> str:
        pct = f"{(self.rate * 100).normalize():f}%"
        return f"{self.upto:f}元及以下，{pct}" if self.upto is not None else f"以上，{pct}"


@dataclass(frozen=True)
class DuesParams:
    salaried: tuple[Bracket, ...] = ()
    retiree: tuple[Bracket, ...] = ()
    farmer_amount: Decimal = Decimal("0.20")
    flat_amount: Decimal = Decimal("0.20")
    backpay_months: int = 6
    lapse_months: int = 6
    warn_after_months: int = 4
    voluntary_threshold: Decimal = Decimal("1000")
    sources: Mapping[str, str] = field(default_factory=dict)


_KEYS: Final = frozenset(
    {
        "salaried",
        "retiree",
        "farmer_amount",
        "flat_amount",
        "backpay_months",
        "lapse_months",
        "warn_after_months",
        "voluntary_threshold",
    }
)


def _decimal(raw: object, where: str) -> Decimal:
    # Amounts are written as strings in the packs ("0.20"): TOML floats are binary.
    if not isinstance(raw, str):
        raise DuesPackError(f'{where}：金额和比例应写成带引号的数字，如 "0.20"')
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise DuesPackError(f"{where}：不是数字") from exc
    if not value.is_finite() or value < 0:
        raise DuesPackError(f"{where}：应为非负数")
    return value


def _brackets(raw: object, where: str) -> tuple[Bracket, ...]:
    if not isinstance(raw, list) or not raw:
        raise DuesPackError(f"{where}：应为分档列表")
    out: list[Bracket] = []
    for i, entry in enumerate(raw, start=1):
        if not isinstance(entry, Mapping) or "rate" not in entry:
            raise DuesPackError(f"{where} 第{i}档：应有 rate（及除最后一档外的 upto）")
        upto = _decimal(entry["upto"], f"{where} 第{i}档 upto") if "upto" in entry else None
        rate = _decimal(entry["rate"], f"{where} 第{i}档 rate")
        if rate >= 1:
            raise DuesPackError(f'{where} 第{i}档：比例应小于1（如 "0.005" 即0.5%）')
        out.append(Bracket(upto=upto, rate=rate))
    bounds = [b.upto for b in out[:-1]]
    if any(b is None for b in bounds) or out[-1].upto is not None:
        raise DuesPackError(f"{where}：只有最后一档不设上限")
    if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):  # type: ignore[type-var]
        raise DuesPackError(f"{where}：各档上限应递增")
    return tuple(out)


def _months(raw: object, where: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 24:
        raise DuesPackError(f"{where}：应为1到24之间的整数")
    return raw


def parse_dues_table(table: Mapping[str, object], source: str) -> dict[str, object]:
    """Check a pack's `[dues]` table; returns only the keys it sets."""
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise DuesPackError(f"[dues]：未知字段 {', '.join(unknown)}")
    out: dict[str, object] = {}
    for key in ("salaried", "retiree"):
        if key in table:
            out[key] = _brackets(table[key], f"[dues] {key}")
    for key in ("farmer_amount", "flat_amount", "voluntary_threshold"):
        if key in table:
            out[key] = _decimal(table[key], f"[dues] {key}")
    if "farmer_amount" in out and not (
        Decimal("0.2") <= out["farmer_amount"] <= Decimal("1")  # type: ignore[operator]
    ):
        raise DuesPackError("[dues] farmer_amount：农民党员每月应在0.2元至1元之间（第六条）")
    for key in ("backpay_months", "lapse_months", "warn_after_months"):
        if key in table:
            out[key] = _months(table[key], f"[dues] {key}")
    return out


def dues_params(tables: Iterable[tuple[str, Mapping[str, object]]]) -> DuesParams:
    """The parameters from the packs' `[dues]` tables, national first (later wins)."""
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for source, table in tables:
        parsed = parse_dues_table(table, source)
        values.update(parsed)
        sources.update(dict.fromkeys(parsed, source))
    params = DuesParams(**values, sources=sources)  # type: ignore[arg-type]
    if params.warn_after_months >= params.lapse_months:
        raise DuesPackError("[dues] warn_after_months：预警月数应小于 lapse_months")
    return params


# --- amounts ---------------------------------------------------------------------------------


def parse_base(raw: object) -> Decimal:
    """A base as typed or read from a payroll sheet: yuan, at most two decimals, not negative.
    Raises ValueError with a message for the person entering it."""
    text = str(raw).strip().replace(",", "").replace("，", "") if raw is not None else ""
    if text.endswith("元"):
        text = text[:-1].strip()
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError("计算基数应为数字（单位：元）") from exc
    if not value.is_finite():
        raise ValueError("计算基数应为数字（单位：元）")
    if value < 0:
        raise ValueError("计算基数不能为负数")
    if value != value.quantize(FEN):
        raise ValueError("计算基数最多精确到分（两位小数）")
    if value > Decimal("10000000"):
        raise ValueError("计算基数过大，请核对")
    return value.quantize(FEN)


@dataclass(frozen=True)
class Assessment:
    """The monthly amount and how it was set (shown to the member)."""

    amount: Decimal
    rate: Decimal | None  # None for flat amounts
    bracket: str
    rule: Rule

    @property
    def explanation(self) -> str:
        return f"{self.bracket}（{self.rule.citation}）"


def _bracket_for(base: Decimal, brackets: tuple[Bracket, ...]) -> Bracket:
    for bracket in brackets:
        if bracket.upto is None or base <= bracket.upto:
            return bracket
    raise ValueError("no bracket")  # unreachable: the last bracket has no bound


def assess(kind: DuesKind | str, base: Decimal | None, params: DuesParams) -> Assessment:
    """The monthly amount for a member of `kind` with `base` (ignored for flat amounts)."""
    kind = DuesKind(kind)
    if kind is DuesKind.FARMER:
        return Assessment(params.farmer_amount, None, "农民党员定额", FLAT_RULE)
    if kind is DuesKind.FLAT:
        return Assessment(params.flat_amount, None, "定额", FLAT_RULE)
    if base is None:
        raise ValueError("该类党员应有计算基数")
    base = parse_base(base)
    brackets = params.retiree if kind is DuesKind.RETIREE else params.salaried
    bracket = _bracket_for(base, brackets)
    amount = (base * bracket.rate).quantize(FEN, rounding=ROUND_HALF_UP)
    rule = {
        DuesKind.RETIREE: RETIREES_RULE,
        DuesKind.ANNUAL_SALARY: ANNUAL_SALARY_RULE,
        DuesKind.SELF_EMPLOYED: SELF_EMPLOYED_RULE,
    }.get(kind, RATES_SALARIED_RULE)
    return Assessment(amount, bracket.rate, bracket.label(), rule)


# --- months, back-pay and lapse --------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_between(first: date, last: date) -> int:
    """Calendar months from the month of `first` to the month of `last` (same month: 0)."""
    return (last.year - first.year) * 12 + last.month - first.month


def trailing_unpaid(due: Iterable[date], paid: Iterable[date], today: date) -> int:
    """Consecutive unpaid months ending with the last month before `today`'s month.

    `due` are the first days of months the member owes (from the month dues start, not
    exempted); `paid` the months paid. The current month is not counted: it may still be paid.
    A month not due (exempted, before membership) ends nothing and adds nothing.
    """
    current = month_start(today)
    owed = sorted({month_start(d) for d in due if month_start(d) < current}, reverse=True)
    settled = {month_start(d) for d in paid}
    count = 0
    for month in owed:
        if month in settled:
            break
        count += 1
    return count


class LapseState(StrEnum):
    WARNING = "warning"  # 预警：连续欠交达到预警月数
    LAPSED = "lapsed"  # 连续6个月未交纳（党章第九条）


def lapse_state(unpaid_months: int, params: DuesParams) -> LapseState | None:
    if unpaid_months >= params.lapse_months:
        return LapseState.LAPSED
    if unpaid_months >= params.warn_after_months:
        return LapseState.WARNING
    return None


def backpay_allowed(month: date, today: date, params: DuesParams) -> bool:
    """第十二条: back-pay reaches at most `backpay_months` months before the current month."""
    return months_between(month_start(month), month_start(today)) <= params.backpay_months
