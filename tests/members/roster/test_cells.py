"""Cell normalisation: text cleaning, dates with day or month precision, choice labels."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from dangjian.members.models import Education, Gender, MemberCategory, MemberStatus
from dangjian.members.roster.cells import (
    ETHNIC_GROUPS,
    CellError,
    PartialDate,
    clean_text,
    parse_choice,
    parse_date,
    parse_ethnicity,
)

TODAY = dt.date(2026, 11, 25)


def day(y: int, m: int, d: int) -> PartialDate:
    return PartialDate(dt.date(y, m, d), "day")


def month(y: int, m: int) -> PartialDate:
    return PartialDate(dt.date(y, m, 1), "month")


def parse(value: object) -> PartialDate | None:
    return parse_date(value, field_label="入党时间", today=TODAY)


# --- clean_text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("", ""),
        ("  张三  ", "张三"),
        ("张 三", "张三"),
        ("张　三", "张三"),  # ideographic space
        ("张\u00a0三", "张三"),  # NBSP
        ("张\u200b三", "张三"),  # zero-width space
        ("\ufeff张三\u200d", "张三"),  # BOM, zero-width joiner
        ("张\u2060三\u200c", "张三"),  # word joiner, zero-width non-joiner
        ("Li  Ming", "Li Ming"),
        ("Li\u00a0\u00a0Ming ", "Li Ming"),
        ("Ｌｉ　Ｍｉｎｇ", "Li Ming"),  # full-width letters and space
        ("１１０１０５１９９００５０３００１Ｘ", "11010519900503001X"),  # full-width digits
        ("（中共）第一党支部", "(中共)第一党支部"),  # full-width brackets
        ("第一\n党支部", "第一党支部"),  # line break inside a cell
        ("阿依古丽 · 买买提", "阿依古丽·买买提"),
        ("张三\x07", "张三"),  # stray control character
        ("\u202e张三", "张三"),  # bidi override
    ],
)
def test_clean_text_normalises_what_a_person_reads_as_the_same(raw, expected):
    assert clean_text(raw) == expected


def test_clean_text_leaves_numbers_for_the_field_parsers():
    # 13812345678.0 from a numeric phone cell is not silently turned into "13812345678".
    assert clean_text(13812345678.0) == "13812345678.0"
    assert clean_text(1.10105199005e17) == "1.10105199005e+17"
    assert clean_text(dt.date(1990, 5, 3)) == "1990-05-03"


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=40))
def test_clean_text_is_idempotent(text):
    once = clean_text(text)
    assert clean_text(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("张三李四 \u3000\u00a0\u200b\ufeffＡａ１"), max_size=20))
def test_clean_text_never_keeps_invisible_or_double_spaces(text):
    cleaned = clean_text(text)
    assert "\u200b" not in cleaned and "\ufeff" not in cleaned
    assert "  " not in cleaned and cleaned == cleaned.strip()
    assert "\u3000" not in cleaned and "\u00a0" not in cleaned


# --- parse_date ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # text, day precision
        ("1990-05-03", day(1990, 5, 3)),
        ("1990/5/3", day(1990, 5, 3)),
        ("1990/05/03", day(1990, 5, 3)),
        ("1990.05.03", day(1990, 5, 3)),
        ("1990.5.3", day(1990, 5, 3)),
        ("1990年5月3日", day(1990, 5, 3)),
        ("1990年05月03日", day(1990, 5, 3)),
        ("1990年5月3号", day(1990, 5, 3)),
        ("19900503", day(1990, 5, 3)),
        ("1990-05-03 00:00:00", day(1990, 5, 3)),  # database exports
        ("１９９０年５月３日", day(1990, 5, 3)),  # full-width digits
        ("１９９０－０５－０３", day(1990, 5, 3)),
        (" 1990 年 5 月 3 日 ", day(1990, 5, 3)),
        ("\u200b1990-05-03\u00a0", day(1990, 5, 3)),
        # text, month precision
        ("1990-05", month(1990, 5)),
        ("1990/05", month(1990, 5)),
        ("1990/5", month(1990, 5)),
        ("1990.5", month(1990, 5)),
        ("1990.05", month(1990, 5)),
        ("1990.10", month(1990, 10)),  # October, not January
        ("1990.1", month(1990, 1)),
        ("1990.12", month(1990, 12)),
        ("1990年5月", month(1990, 5)),
        ("1990年10月", month(1990, 10)),
        ("199005", month(1990, 5)),
        ("１９９０．１０", month(1990, 10)),
        # typed cells
        (dt.date(1990, 5, 3), day(1990, 5, 3)),
        (dt.datetime(1990, 5, 3, 14, 30), day(1990, 5, 3)),
        # Excel serial numbers (1900 date system)
        (32996, day(1990, 5, 3)),
        (32996.0, day(1990, 5, 3)),
        (32996.75, day(1990, 5, 3)),  # a time of day is dropped
        (1, day(1900, 1, 1)),
        (59, day(1900, 2, 28)),
        (61, day(1900, 3, 1)),
        (36585, day(2000, 2, 29)),
        # dates typed into numeric cells
        (19900503, day(1990, 5, 3)),
        (19900503.0, day(1990, 5, 3)),
        (199005, month(1990, 5)),
        (1990.05, month(1990, 5)),
        (1990.5, month(1990, 5)),
        (1990.12, month(1990, 12)),
        # boundaries
        ("2000-02-29", day(2000, 2, 29)),
        ("1900-01-01", day(1900, 1, 1)),
        ("2026-11-25", day(2026, 11, 25)),  # today
        ("2026-11", month(2026, 11)),  # this month
        # empty
        (None, None),
        ("", None),
        ("   ", None),
        ("\u200b", None),
    ],
)
def test_parse_date_reads_every_way_rosters_write_dates(raw, expected):
    assert parse(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1990-02-30", "不是实际存在的日期"),
        ("1990-13-01", "不是实际存在的日期"),
        ("1990-00", "不是实际存在的日期"),
        ("1990年2月30日", "不是实际存在的日期"),
        ("19900230", "不是实际存在的日期"),
        ("1900-02-29", "不是实际存在的日期"),  # 1900 was not a leap year
        ("1999-02-29", "不是实际存在的日期"),
        ("1899-12-31", "早于1900年"),
        ("1899-12", "早于1900年"),
        ("2026-11-26", "晚于今天"),
        ("2026-12", "晚于今天"),
        ("2090-01-01", "晚于今天"),
        ("90.5.3", "四位数字"),
        ("90-05-03", "四位数字"),
        ("90年5月", "四位数字"),
        ("1990", "不是有效日期"),
        ("1990-5/3", "不是有效日期"),  # mixed separators
        ("abc", "不是有效日期"),
        ("1990年", "不是有效日期"),
        ("五月三日", "不是有效日期"),
        (60, "1900-02-29"),  # Lotus's leap day that never was
        (60.5, "1900-02-29"),
        (0, "不是有效日期"),
        (-3, "不是有效日期"),
        (float("nan"), "不是有效日期"),
        (float("inf"), "不是有效日期"),
        (1990, "只有年份"),
        (1990.1, "无法区分1月和10月"),  # a number cannot tell 1990.1 from 1990.10
        (1990.123, "不是有效日期"),
        (1990.13, "不是实际存在的日期"),
        (50000, "晚于今天"),  # serial for 2036
        (2958465, "不是有效日期"),
        (199013, "不是实际存在的日期"),
        (True, "不是有效日期"),
        (dt.time(10, 0), "不是有效日期"),
        (dt.date(1899, 1, 1), "早于1900年"),
    ],
)
def test_parse_date_rejects_what_it_cannot_read_with_a_reason_naming_the_field(raw, reason):
    with pytest.raises(CellError) as caught:
        parse(raw)
    assert caught.value.message.startswith("入党时间「")
    assert reason in caught.value.message
    assert str(caught.value) == caught.value.message


def test_parse_date_checks_the_future_against_today():
    assert parse_date("2027-01-01", field_label="转正时间", today=dt.date(2027, 1, 1)) == day(
        2027, 1, 1
    )
    with pytest.raises(CellError, match="转正时间「2027-01-01」晚于今天"):
        parse_date("2027-01-01", field_label="转正时间", today=dt.date(2026, 12, 31))


def test_parse_date_defaults_today_to_the_date_in_china_not_the_servers():
    # 20:00 UTC on 25 November is 04:00 on the 26th in Beijing: a server on UTC is a day behind.
    with time_machine.travel(dt.datetime(2026, 11, 25, 20, 0, tzinfo=dt.UTC), tick=False):
        assert parse_date("2026-11-26", field_label="入党时间") == day(2026, 11, 26)
        with pytest.raises(CellError, match="晚于今天"):
            parse_date("2026-11-27", field_label="入党时间")


def test_partial_date_prints_as_the_template_writes_it():
    assert str(day(1990, 5, 3)) == "1990-05-03"
    assert str(month(1990, 5)) == "1990-05"
    with pytest.raises(ValueError):
        PartialDate(dt.date(1990, 5, 3), "month")
    with pytest.raises(ValueError):
        PartialDate(dt.date(1990, 5, 3), "year")  # type: ignore[arg-type]


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(max_size=30),
        st.text(alphabet="0123456789-/.年月日号 ０１２３４５６７８９", max_size=14),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.dates(),
        st.datetimes(),
        st.booleans(),
        st.none(),
    )
)
def test_parse_date_never_raises_anything_but_cell_error(value):
    try:
        result = parse(value)
    except CellError as exc:
        assert exc.message.startswith("入党时间「")
        return
    assert result is None or isinstance(result, PartialDate)
    if result is not None:
        assert dt.date(1900, 1, 1) <= result.value <= TODAY


@st.composite
def impossible_days(draw):
    year = draw(st.integers(1900, 2026))
    mon = draw(st.integers(1, 12))
    bad_day = draw(st.integers(calendar.monthrange(year, mon)[1] + 1, 99))
    layout = draw(
        st.sampled_from(
            [
                "{y}-{m:02d}-{d:02d}",
                "{y}/{m}/{d}",
                "{y}.{m}.{d}",
                "{y}年{m}月{d}日",
                "{y}{m:02d}{d:02d}",
            ]
        )
    )
    return layout.format(y=year, m=mon, d=bad_day)


@settings(max_examples=300, deadline=None)
@given(impossible_days())
def test_parse_date_never_returns_a_date_for_an_impossible_day(text):
    with pytest.raises(CellError):
        parse(text)


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
def test_parse_date_reads_back_every_real_day_in_every_layout(value):
    for text in (
        value.isoformat(),
        f"{value.year}/{value.month}/{value.day}",
        f"{value.year}.{value.month:02d}.{value.day:02d}",
        f"{value.year}年{value.month}月{value.day}日",
        value.strftime("%Y%m%d"),
    ):
        assert parse(text) == PartialDate(value, "day")
    assert parse(f"{value.year}年{value.month}月") == PartialDate(value.replace(day=1), "month")


# --- parse_choice -------------------------------------------------------------------------------

CHOICES = {
    "gender": dict(Gender.choices),
    "status": dict(MemberStatus.choices),
    "category": dict(MemberCategory.choices),
    "education": dict(Education.choices),
}


@pytest.mark.parametrize(
    ("field", "raw", "code"),
    [
        ("gender", "男", "male"),
        ("gender", "男性", "male"),
        ("gender", "女", "female"),
        ("gender", "女性", "female"),
        ("gender", " 女 ", "female"),
        ("gender", "female", "female"),
        ("gender", "MALE", "male"),
        ("status", "正式党员", "full"),
        ("status", "正式", "full"),
        ("status", "预备党员", "probationary"),
        ("status", "预备", "probationary"),
        ("status", "中共预备党员", "probationary"),
        ("status", "probationary", "probationary"),
        ("category", "在职", "employed"),
        ("category", "在岗", "employed"),
        ("category", "离退休", "retired"),
        ("category", "退休", "retired"),
        ("category", "离休", "retired"),
        ("category", "其他", "other"),
        ("education", "研究生", "postgraduate"),
        ("education", "硕士", "postgraduate"),
        ("education", "博士", "postgraduate"),
        ("education", "博士研究生", "postgraduate"),
        ("education", "大学本科", "university"),
        ("education", "本科", "university"),
        ("education", "大学", "university"),
        ("education", "大学专科", "college"),
        ("education", "大专", "college"),
        ("education", "中专/高中", "secondary"),
        ("education", "中专／高中", "secondary"),  # full-width slash
        ("education", "中专", "secondary"),
        ("education", "高中", "secondary"),
        ("education", "中专及高中", "secondary"),
        ("education", "初中及以下", "basic"),
        ("education", "初中", "basic"),
        ("education", "大 专", "college"),
    ],
)
def test_parse_choice_maps_labels_codes_and_synonyms_to_the_code(field, raw, code):
    assert parse_choice(raw, CHOICES[field], field_label="字段") == code


def test_parse_choice_leaves_an_empty_cell_empty():
    assert parse_choice(None, CHOICES["gender"], field_label="性别") == ""
    assert parse_choice("  ", CHOICES["gender"], field_label="性别") == ""


@pytest.mark.parametrize(
    ("field", "raw", "allowed"),
    [
        ("gender", "未知", "可选：男、女"),
        ("status", "党员", "可选：正式党员、预备党员"),
        ("category", "在编", "可选：在职、离退休、其他"),
        ("education", "小学毕业", "可选：研究生、大学本科、大学专科、中专/高中、初中及以下"),
        ("gender", 1, "可选：男、女"),
    ],
)
def test_parse_choice_rejects_other_values_listing_the_allowed_ones(field, raw, allowed):
    with pytest.raises(CellError) as caught:
        parse_choice(raw, CHOICES[field], field_label="某列")
    assert caught.value.message.startswith(f"某列「{raw}」无法识别")
    assert caught.value.message.endswith(allowed)


@pytest.mark.parametrize(
    "choices",
    [
        Gender,  # the Django choices class
        dict(Gender.choices),  # code → label
        {"male": "male", "female": "female", "男": "male", "女": "female"},  # alias → code
    ],
    ids=["class", "code-to-label", "alias-to-code"],
)
def test_parse_choice_takes_choices_in_every_shape_callers_hold(choices):
    assert parse_choice("女性", choices, field_label="性别") == "female"
    assert parse_choice("male", choices, field_label="性别") == "male"
    assert parse_choice("男", choices, field_label="性别") == "male"
    with pytest.raises(CellError) as caught:
        parse_choice("未知", choices, field_label="性别")
    assert caught.value.message == "性别「未知」无法识别，可选：男、女"


def test_a_synonym_applies_only_when_its_label_is_among_the_choices():
    with pytest.raises(CellError):
        parse_choice("本科", CHOICES["gender"], field_label="性别")


# --- ethnicity ----------------------------------------------------------------------------------


def test_there_are_56_distinct_ethnic_groups():
    assert len(ETHNIC_GROUPS) == 56
    assert len(set(ETHNIC_GROUPS)) == 56
    assert ETHNIC_GROUPS[0] == "汉族" and "基诺族" in ETHNIC_GROUPS


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("汉族", "汉族"), ("汉", "汉族"), (" 蒙古 ", "蒙古族"), ("维吾尔族", "维吾尔族"), ("", "")],
)
def test_parse_ethnicity_accepts_the_full_and_the_short_name(raw, expected):
    assert parse_ethnicity(raw) == expected


def test_parse_ethnicity_rejects_a_name_that_is_not_one_of_the_56():
    with pytest.raises(CellError, match="民族「火星族」不是56个民族之一"):
        parse_ethnicity("火星族")
