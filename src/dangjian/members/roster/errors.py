"""The one error a roster file raises when it cannot be used at all, and its Chinese messages."""

from __future__ import annotations

from typing import Final

MB: Final = 1024 * 1024


class RosterFileError(Exception):
    """The whole file cannot be used; `message` is the Chinese text shown to the user.

    `code` says why, for callers and tests: empty, too_large, zip_bomb, encrypted, unrecognized,
    html, damaged, no_header, no_sheet, too_many_cells.
    """

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


MSG_EMPTY: Final = "文件为空"
MSG_UNRECOGNIZED: Final = "无法识别的文件格式，请上传 .xlsx、.xls 或 .csv 文件"
MSG_ENCRYPTED: Final = "文件已设置密码保护，请取消密码后再导入"
MSG_ZIP_BOMB: Final = "文件解压后过大，疑似异常文件"
MSG_DAMAGED: Final = "文件已损坏，无法读取；请用 Excel 打开后另存为 .xlsx 再导入"
MSG_NO_HEADER: Final = "未找到表头：表格中应有「姓名」和「身份证号」列"
MSG_NOT_SPREADSHEET: Final = "该文件不是电子表格：请上传 .xlsx、.xls 或 .csv 格式的花名册"
MSG_HTML: Final = (
    "文件实际是网页或 XML 格式（常见于其他系统导出的“Excel”文件），"
    "请用 Excel 打开后另存为 .xlsx 再导入"
)
