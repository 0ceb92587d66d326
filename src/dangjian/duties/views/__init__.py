"""Responsibility-system pages: work items and 督办 (`items`), duty lists (`duty_lists`),
statistics on request (`statistics`)."""
