"""Helpers shared by the regulations tests."""

from __future__ import annotations

from stdnum.cn import ric


def with_check(body17: str) -> str:
    """Append the GB 11643 check character to 17 digits."""
    assert len(body17) == 17 and body17.isdigit()
    return body17 + ric.calc_check_digit(body17 + "0")
