"""What a person sees, checked in the browser: text contrast of buttons and badges against WCAG
AA (4.5:1), button text never broken over lines, no sideways scrolling on a phone."""

from __future__ import annotations

# For each visible .btn and .badge: its text colour, the first non-transparent background up the
# tree, and whether its text wrapped (taller than one line of its own font).
PAINTED = """
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


def problems_on(page, where: str) -> list[str]:
    """Buttons and badges below AA contrast or broken over lines, as readable lines."""
    # Judge the colours at rest, not half-way through Bootstrap's 0.15 s colour transition
    # (Bootstrap drops its transitions for prefers-reduced-motion), nor under a hover.
    page.emulate_media(reduced_motion="reduce")
    page.mouse.move(0, 0)
    found = []
    for item in page.evaluate(PAINTED):
        ratio = contrast(item["color"], item["background"])
        if ratio < 4.5:
            found.append(f"{where} {item['text']!r}: contrast {ratio:.2f}")
        if item["wrapped"]:
            found.append(f"{where} {item['text']!r}: text broken over lines")
    return found


def sideways(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") > width + 2
