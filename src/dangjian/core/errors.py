"""The validation error every service raises: one Chinese message per field, nothing written."""

from __future__ import annotations


class ServiceValidationError(Exception):
    def __init__(self, errors: dict[str, str] | str, *, warnings: list[str] | None = None):
        if isinstance(errors, str):
            errors = {"__all__": errors}
        self.errors: dict[str, str] = errors
        self.warnings = warnings or []
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))

    def as_list(self) -> list[dict[str, str]]:
        return [{"field": k, "message": v} for k, v in self.errors.items()]
