"""Permission-matrix entries for the responsibility-system pages (merged into MATRIX)."""

DUTIES_MATRIX: dict = {}
