"""The dues rules of 中组发〔2008〕3号 on every bracket edge, the rounding, back-pay and lapse."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dangjian.regulations.dues import (
    DuesKind,
    DuesPackError,
    LapseState,
    assess,
    backpay_allowed,
    dues_params,
    lapse_state,
    parse_base,
    trailing_unpaid,
)
from dangjian.regulations.engine import bundled_pack, effective_rules, load_pack, national_pack

NATIONAL = effective_rules(national_pack()).dues
D = Decimal


@pytest.mark.parametrize(
    ("base", "rate", "amount"),
    [
        ("0", "0.005", "0.00"),
        ("2999.99", "0.005", "15.00"),  # 14.99995 rounds half up to 15.00
        ("3000", "0.005", "15.00"),
        ("3000.01", "0.01", "30.00"),
        ("4999.99", "0.01", "50.00"),
        ("5000", "0.01", "50.00"),
        ("5000.01", "0.015", "75.00"),
        ("9999.99", "0.015", "150.00"),
        ("10000", "0.015", "150.00"),
        ("10000.01", "0.02", "200.00"),
        ("12345.67", "0.02", "246.91"),
        ("2345.10", "0.005", "11.73"),  # 11.7255 → 11.73 (half up at the fen)
        ("2345.00", "0.005", "11.73"),  # 11.725 exactly → 11.73, not banker's 11.72
    ],
)
def test_salaried_brackets_charge_the_whole_base_at_one_rate(base, rate, amount):
    result = assess(DuesKind.SALARIED, D(base), NATIONAL)
    assert result.rate == D(rate)
    assert result.amount == D(amount)
    assert result.rule.citation.endswith("第二条")


@pytest.mark.parametrize(
    ("base", "rate", "amount"),
    [
        ("4999.99", "0.005", "25.00"),
        ("5000", "0.005", "25.00"),
        ("5000.01", "0.01", "50.00"),
        ("8000", "0.01", "80.00"),
    ],
)
def test_retiree_brackets(base, rate, amount):
    result = assess(DuesKind.RETIREE, D(base), NATIONAL)
    assert (result.rate, result.amount) == (D(rate), D(amount))
    assert result.rule.citation.endswith("第五条")


def test_flat_amounts_and_the_provinces_farmer_amount():
    assert assess(DuesKind.FLAT, None, NATIONAL).amount == D("0.20")
    assert assess(DuesKind.FARMER, None, NATIONAL).amount == D("0.20")
    local = effective_rules(national_pack(), bundled_pack("sample_local")).dues
    assert assess(DuesKind.FARMER, None, local).amount == D("0.50")
    assert local.sources["farmer_amount"] == "packs/sample_local.toml"
    assert assess(DuesKind.SALARIED, D("3000"), local).amount == D("15.00")


def test_a_farmer_amount_outside_the_national_range_is_refused():
    with pytest.raises(DuesPackError, match="0.2元至1元"):
        dues_params([("x", {"farmer_amount": "1.50"})])
    with pytest.raises(Exception, match="带引号"):
        load_pack('[pack]\nid = "x"\ntitle = "《x》"\n[dues]\nflat_amount = 0.2\n', name="x")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("abc", "应为数字"),
        ("3千", "应为数字"),
        ("-1", "不能为负数"),
        ("3000.001", "精确到分"),
        ("", "应为数字"),
        ("NaN", "应为数字"),
    ],
)
def test_bad_bases_have_a_chinese_message(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_base(raw)


def test_bases_as_payroll_offices_write_them():
    assert parse_base("5,000.5") == D("5000.50")
    assert parse_base(" 3000元 ") == D("3000.00")
    assert parse_base(4200) == D("4200.00")


def _months(first: date, count: int) -> list[date]:
    out, year, month = [], first.year, first.month
    for _ in range(count):
        out.append(date(year, month, 1))
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


def test_six_months_unpaid_is_a_lapse_five_is_a_warning():
    due = _months(date(2026, 1, 1), 12)
    today = date(2026, 12, 15)  # December still open
    paid_to_may = _months(date(2026, 1, 1), 5)  # Jan–May paid; Jun–Nov unpaid: six
    assert trailing_unpaid(due, paid_to_may, today) == 6
    assert lapse_state(6, NATIONAL) is LapseState.LAPSED
    paid_to_june = _months(date(2026, 1, 1), 6)
    assert trailing_unpaid(due, paid_to_june, today) == 5
    assert lapse_state(5, NATIONAL) is LapseState.WARNING
    assert lapse_state(4, NATIONAL) is LapseState.WARNING
    assert lapse_state(3, NATIONAL) is None


def test_a_paid_month_ends_the_run_and_months_not_due_do_not_count():
    due = [m for m in _months(date(2026, 1, 1), 11) if m.month not in (3, 4)]  # exempted
    paid = [date(2026, 1, 1)]
    assert trailing_unpaid(due, paid, date(2026, 6, 1)) == 2  # Feb, May
    assert trailing_unpaid(due, [date(2026, 5, 1)], date(2026, 6, 1)) == 0


def test_back_pay_window_is_six_months():
    today = date(2026, 12, 10)
    assert backpay_allowed(date(2026, 6, 1), today, NATIONAL)
    assert not backpay_allowed(date(2026, 5, 31), today, NATIONAL)
