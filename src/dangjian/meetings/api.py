"""Meeting endpoints."""

from ninja import Router

router = Router(tags=["组织生活"])
