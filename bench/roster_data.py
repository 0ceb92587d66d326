"""Synthetic roster files for benchmarks: N members spread over the demo's branches."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import xlsxwriter

from dangjian.regulations.membership import probation_end
from dangjian.regulations.synth import make_birth_date, make_id_number, make_name, make_phone

HEADER = ["姓名", "身份证号", "性别", "民族", "学历", "手机号", "所在支部", "党员状态", "人员类别", "入党时间", "转正时间", "工作岗位"]


def rows(n: int, branch_codes: list[str], seed: int = 1):
    rng = random.Random(seed)
    today = dt.date(2026, 11, 25)
    seen: set[str] = set()
    for i in range(n):
        gender = rng.choice(["male", "female"])
        birth = make_birth_date(rng, today, min_age=24, max_age=75)
        while True:
            id_number = make_id_number(rng, birth, gender)
            if id_number not in seen:
                seen.add(id_number)
                break
        admitted = birth.replace(year=birth.year + 22, day=1) + dt.timedelta(days=rng.randint(0, 3000))
        if admitted > today - dt.timedelta(days=400):
            admitted = today - dt.timedelta(days=400)
        confirmed = probation_end(admitted)
        yield [
            make_name(rng, gender), id_number, "男" if gender == "male" else "女", "汉族", "大学本科",
            make_phone(rng), branch_codes[i % len(branch_codes)], "正式党员", "在职",
            admitted.isoformat(), confirmed.isoformat(), "科员",
        ]


def write_xlsx(path: Path, n: int, branch_codes: list[str]) -> Path:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("花名册")
    sheet.write_row(0, 0, HEADER)
    for r, row in enumerate(rows(n, branch_codes), start=1):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    book.close()
    return path
