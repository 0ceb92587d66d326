"""Shared helpers of the library tests: publishing through the service, counting traces."""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings

from dangjian.audit.services import Actor
from dangjian.study import services
from dangjian.study.models import Material

FIXTURES = Path(__file__).parent / "fixtures"
ESSAY = FIXTURES / "essay.txt"


def publish(org, data: bytes, name: str, actor: Actor | None = None, **fields) -> Material:
    return services.publish(actor or Actor.system("test"), org, io.BytesIO(data), name, fields)


def stored_files() -> set[str]:
    """Every file under the library's storage folder (relative names)."""
    root = Path(settings.MEDIA_ROOT) / "study"
    if not root.exists():
        return set()
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
