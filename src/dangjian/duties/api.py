"""Work items and the inbox in the REST API: /api/v1/work-items, /api/v1/inbox."""

from ninja import Router

work_items_router = Router(tags=["工作任务"])
inbox_router = Router(tags=["消息"])
