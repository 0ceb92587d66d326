"""Files over ~600 lines and functions over ~80 lines, unless they say why at their top.

    .venv/bin/python scripts/sizes.py src/dangjian/meetings src/dangjian/core/uploads.py

A module gives its reason in its docstring, a function in its docstring or in a comment among
its first lines, each as a sentence starting "Long:". Exits 1 when something is over its limit
without one (the brief's rule: no file over ~600 lines, no function over ~80).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

FILE_LINES = 600
FUNCTION_LINES = 80
MARK = "Long:"


def _reasoned(lines: list[str], start: int, docstring: str | None) -> bool:
    head = "\n".join(lines[start : start + 8])
    return MARK in (docstring or "") or MARK in head


def check(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    tree = ast.parse(text)
    out = []
    if len(lines) > FILE_LINES and MARK not in (ast.get_docstring(tree) or ""):
        out.append(f"{path}: {len(lines)} lines")
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > FUNCTION_LINES and not _reasoned(
                lines, node.lineno - 1, ast.get_docstring(node)
            ):
                out.append(f"{path}:{node.lineno}: {node.name}() {length} lines")
    return out


def main(args: list[str]) -> int:
    paths = [Path(a) for a in args] or [Path("src/dangjian")]
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*.py")))]
    problems = [line for f in files if "migrations" not in f.parts for line in check(f)]
    print("\n".join(problems) or "sizes: all within limits or with a reason")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
