"""Small template helpers."""

from django import template

from dangjian.regulations import periods

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def cn_date(value, precision: str = "day") -> str:
    """2026年11月25日, or 2026年11月 when only the month is known."""
    if not value:
        return "—"
    if precision == "month":
        return f"{value.year}年{value.month}月"
    return periods.cn_date(value)
