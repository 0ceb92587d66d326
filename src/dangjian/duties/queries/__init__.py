"""Reading the responsibility system, always scoped to the user: duty lists (`duty_lists`), work
items and what a user may do with one (`items`), what waits for the user (`todo`), completion
rates and statistics on request (`statistics`). Every figure is computed from the records, in a
constant number of queries whatever the size of the subtree."""

from dangjian.duties.queries.duty_lists import (
    POST_ORDER,
    Duty,
    DutySection,
    default_duties,
    duty_list,
    effective_duties,
)
from dangjian.duties.queries.items import (
    STATE_LABELS,
    ItemActions,
    ItemFilter,
    TreeRow,
    can_review,
    can_work,
    get_item_for_user,
    item_actions,
    item_list,
    item_tree,
    overdue_items,
    state_of,
    tree_summary,
    visible_items,
)
from dangjian.duties.queries.statistics import (
    DEFAULT_FIGURES,
    FIGURES,
    STAT_MEETING_KINDS,
    Completion,
    StatTable,
    completion_by_org,
    completion_by_post,
    post_label,
    row_orgs,
    statistics,
)
from dangjian.duties.queries.todo import review_items, todo_items

__all__ = [
    "DEFAULT_FIGURES",
    "FIGURES",
    "POST_ORDER",
    "STATE_LABELS",
    "STAT_MEETING_KINDS",
    "Completion",
    "Duty",
    "DutySection",
    "ItemActions",
    "ItemFilter",
    "StatTable",
    "TreeRow",
    "can_review",
    "can_work",
    "completion_by_org",
    "completion_by_post",
    "default_duties",
    "duty_list",
    "effective_duties",
    "get_item_for_user",
    "item_actions",
    "item_list",
    "item_tree",
    "overdue_items",
    "post_label",
    "review_items",
    "row_orgs",
    "state_of",
    "statistics",
    "todo_items",
    "tree_summary",
    "visible_items",
]
