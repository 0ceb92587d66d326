"""Finding what each app plugs into a shared home (its `jobs.py`, its `inbox.py`), the way
Django's admin finds `admin.py`: the home never imports a domain app by name."""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.utils.module_loading import module_has_submodule


def import_app_modules(name: str) -> list[str]:
    """Import `<app>.<name>` for every installed dangjian app that has one; their names."""
    found = []
    for config in apps.get_app_configs():
        if config.name.startswith("dangjian.") and module_has_submodule(config.module, name):
            import_module(f"{config.name}.{name}")
            found.append(f"{config.name}.{name}")
    return found
