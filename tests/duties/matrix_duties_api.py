"""Permission-matrix entries for /api/v1/work-items and /api/v1/inbox (merged into MATRIX)."""

DUTIES_API_MATRIX: dict = {}
