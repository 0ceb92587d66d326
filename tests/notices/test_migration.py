"""The notices' move out of `duties`, run forwards on data: every notice stays (the table keeps
its name), a notice about a work item names it as its subject and links to its page, and the
migration runs backwards too. On whatever engine the suite runs on (SQLite, PostgreSQL, MariaDB).

The test migrates the test database back and forth and always leaves it migrated to the end."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from dangjian.audit.services import Actor
from dangjian.core.clock import today
from dangjian.duties import services
from dangjian.notices.models import Notice

BEFORE = [("duties", "0001_initial")]  # notices inside duties, with a foreign key to the item


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)  # a fresh loader sees the new state


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def migrated_back_to_the_end():
    """Whatever happens, the database ends migrated to the latest state."""
    try:
        yield
    finally:
        migrate(latest())


# Schema changes cannot be rolled back inside a transaction on every engine: a transactional
# test (the database is emptied afterwards, and the next test reloads the demo, as after the
# browser tests).
@pytest.mark.django_db(transaction=True)
def test_notices_keep_their_rows_and_name_their_work_item(demo, migrated_back_to_the_end):
    sent = services.send_down(
        Actor(user=demo.users["organ"]),
        demo.organ_committee,
        {"title": "迁移测试", "deadline": today()},
        targets=["FGW-B01"],
    )
    (item,) = sent.children
    secretary = demo.users["secretary"]
    rows = Notice.objects.count()

    old = migrate([("notices", None)]).loader.project_state(BEFORE).apps
    OldNotice = old.get_model("duties", "Notice")
    OldNotice.objects.create(
        recipient_id=secretary.pk,
        key="migration-test:item",
        kind="reminder",
        item_id=item.pk,
        title="旧的任务消息",
    )
    OldNotice.objects.create(
        recipient_id=secretary.pk,
        key="migration-test:leave",
        kind="leave",
        link="/meetings/1/",
        title="旧的请假消息",
    )
    migrate(latest())

    assert Notice.objects.count() == rows + 2
    about_item = Notice.objects.get(key="migration-test:item")
    assert (about_item.subject_type, about_item.subject_id, about_item.link) == (
        "duties.workitem",
        item.pk,
        f"/duties/{item.pk}/",
    )
    assert about_item.kind_label == "到期提醒"
    leave = Notice.objects.get(key="migration-test:leave")
    assert (leave.subject_type, leave.subject_id, leave.link) == ("", None, "/meetings/1/")
    # Notices sent since the move are about their item in the same way.
    (received,) = Notice.objects.about(item).filter(kind="received")
    assert received.link == about_item.link

    # Backwards: the foreign key is filled again from the subject.
    old = migrate([("notices", None)]).loader.project_state(BEFORE).apps
    back = old.get_model("duties", "Notice").objects.get(key="migration-test:item")
    assert back.item_id == item.pk
