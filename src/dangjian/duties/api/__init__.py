"""Work items in the REST API (/api/v1/work-items): the router (`routes`) and its shapes
(`schemas`)."""

from dangjian.duties.api.routes import work_items_router

__all__ = ["work_items_router"]
