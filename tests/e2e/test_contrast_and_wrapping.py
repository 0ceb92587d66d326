"""Buttons and badges a secretary sees on a phone: readable in sunlight (WCAG AA contrast, 4.5:1
for their text) and never broken mid-word (issue 18). The check computes the contrast ratio from
the colours the browser actually painted, so a stylesheet change that brings back Bootstrap's
yellow-on-white 请假 button fails here."""

from __future__ import annotations

import pytest

from dangjian.meetings.models import Meeting, MeetingStatus
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

# For each visible .btn and .badge: its text colour, the first non-transparent background up the
# tree, and whether its text wrapped (taller than one line of its own font).
_PAINTED = """
() => {
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll('.btn, .badge')]
    .filter((el) => el.offsetParent !== null && el.innerText.trim())
    .map((el) => {
      const style = getComputedStyle(el);
      const lineHeight = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.5;
      const padding = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
      const border = parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth);
      return {
        text: el.innerText.trim(),
        color: rgb(style.color).slice(0, 3),
        background: background(el),
        wrapped: el.getBoundingClientRect().height > lineHeight * 1.5 + padding + border,
      };
    });
}
"""


def _luminance(rgb: list[float]) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: list[float], b: list[float]) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_formula_matches_the_wcag_examples():
    assert round(contrast([0, 0, 0], [255, 255, 255]), 1) == 21.0
    # Bootstrap's warning yellow on white, the colour the issue found unreadable.
    assert contrast([255, 193, 7], [255, 255, 255]) < 2


def _check(page, where: str) -> None:
    # Judge the colours at rest, not half-way through Bootstrap's 0.15 s colour transition
    # (Bootstrap drops its transitions for prefers-reduced-motion), nor under a hover.
    page.emulate_media(reduced_motion="reduce")
    page.mouse.move(0, 0)
    problems = []
    for item in page.evaluate(_PAINTED):
        ratio = contrast(item["color"], item["background"])
        if ratio < 4.5:
            problems.append(f"{where} {item['text']!r}: contrast {ratio:.2f}")
        if item["wrapped"]:
            problems.append(f"{where} {item['text']!r}: text broken over lines")
    assert not problems, "\n".join(problems)


def test_secretary_pages_on_a_phone_are_readable_and_unbroken(phone_page, demo, login):
    page = phone_page
    login(page, "secretary", PASSWORD)
    meeting = Meeting.objects.filter(organization=demo.branch, status=MeetingStatus.PLANNED).first()
    assert meeting is not None
    for where in ("/members/", f"/meetings/{meeting.pk}/record/", "/duties/inbox/"):
        page.goto(where)
        _check(page, where)
    # The 请假 choice, selected and not, is readable.
    page.goto(f"/meetings/{meeting.pk}/record/")
    page.locator(".att-row").first.get_by_text("请假").click()
    _check(page, "record, after 请假")
