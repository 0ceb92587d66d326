"""Shared pages, templates and middleware; the master key's guard."""

import contextlib

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _remember_key(sender, **kwargs) -> None:
    """A database created with a key configured records that key's check value at once."""
    from django.conf import settings

    from dangjian.core.keys import KeyProblem, ensure_key

    if settings.DANGJIAN_MASTER_SECRET:
        # A mismatch is reported by every start and by `dangjian check`.
        with contextlib.suppress(KeyProblem):
            ensure_key(allow_generate=False, allow_rotation=True)


class CoreConfig(AppConfig):
    name = "dangjian.core"
    label = "core"
    verbose_name = "平台"

    def ready(self) -> None:
        from dangjian import crypto
        from dangjian.core import checks  # noqa: F401  (registers the system checks)
        from dangjian.core.keys import provide_secret

        crypto.set_secret_provider(provide_secret)
        post_migrate.connect(_remember_key, sender=self)
