"""Errors in Chinese: the validation error every service raises, and the wording of every HTTP
refusal (pages and API alike), so no client ever sees Django's or django-ninja's English."""

from __future__ import annotations

import re


class ServiceValidationError(Exception):
    def __init__(self, errors: dict[str, str] | str, *, warnings: list[str] | None = None):
        if isinstance(errors, str):
            errors = {"__all__": errors}
        self.errors: dict[str, str] = errors
        self.warnings = warnings or []
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))

    def as_list(self) -> list[dict[str, str]]:
        return [{"field": k, "message": v} for k, v in self.errors.items()]


# One title and one sentence per status: the page heading and the API's {"detail": …}.
STATUS_TEXT: dict[int, tuple[str, str]] = {
    400: ("请求有误", "请求的格式不正确，无法处理。请返回上一页检查后重试。"),
    401: ("未登录", "未登录或令牌无效。"),
    403: ("没有权限", "您没有执行此操作的权限。"),
    404: ("页面不存在", "您要找的页面或对象不存在，或不在您的权限范围内。"),
    405: ("不支持的操作", "此地址不支持该请求方式。"),
    413: ("内容过大", "提交的内容超过了允许的大小。"),
    415: ("格式不支持", "不支持该内容类型。"),
    422: ("内容有误", "提交的内容有误。"),
    429: ("请求过于频繁", "请求过于频繁，请稍后再试。"),
    500: (
        "服务器内部错误",
        "服务器处理请求时出错，已记录。请稍后重试；如果问题持续，请联系系统管理员。",
    ),
    503: ("暂时无法服务", "服务暂时不可用，请稍后重试。"),
}

_CJK = re.compile(r"[\u4e00-\u9fff]")


def status_title(status: int) -> str:
    return STATUS_TEXT.get(status, ("请求未能完成", ""))[0]


def status_message(status: int) -> str:
    return STATUS_TEXT.get(status, ("", "请求未能完成。"))[1] or "请求未能完成。"


def chinese_or(message: object, status: int) -> str:
    """The message when it is ours (Chinese), else the status's Chinese sentence: exception texts
    from Django or libraries ("No Member matches the given query.") never reach a user."""
    text = str(message or "").strip()
    return text if _CJK.search(text) else status_message(status)
