"""The member list as an .xlsx file (masked unless the caller is allowed to reveal)."""

from __future__ import annotations

import io

import xlsxwriter

COLUMNS = [
    ("姓名", 10),
    ("性别", 6),
    ("出生日期", 12),
    ("身份证号", 22),
    ("手机号", 14),
    ("所在支部", 28),
    ("党小组", 14),
    ("党员状态", 10),
    ("人员类别", 10),
    ("入党时间", 12),
    ("转正时间", 12),
    ("工作岗位", 16),
]


def members_xlsx(members, *, unmasked: bool = False) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("党员名单")
    head = book.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1})
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    for col, (title, width) in enumerate(COLUMNS):
        sheet.write_string(0, col, title, head)
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    row = 0
    for row, m in enumerate(members.iterator(chunk_size=2000), start=1):
        values = [
            m.name,
            m.get_gender_display(),
            m.birth_date,
            m.id_number if unmasked else m.id_number_masked,
            m.phone if unmasked else m.phone_masked,
            m.organization.name,
            m.party_group.name if m.party_group_id else "",
            m.get_status_display(),
            m.get_category_display(),
            m.admitted_on,
            m.confirmed_on,
            m.job_title,
        ]
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if hasattr(value, "isoformat"):
                sheet.write_datetime(row, col, value, date_fmt)
            else:
                # Always text: an ID number written as a number loses its last digits.
                sheet.write_string(row, col, str(value))
    book.close()
    return buffer.getvalue(), row
