# Data: a notice about a work item names it as its subject (`duties.workitem`, its id) and gets the
# address of the item's page (`/duties/<id>/`, what the inbox linked it to), in one UPDATE each on
# every engine. Backwards, the foreign key is filled again from the subject (links stay). Schema
# changes are the migrations before and after this one: on PostgreSQL a table cannot be altered
# in the transaction that updated its rows under a deferred foreign key.

from django.db import migrations, models
from django.db.models import F, Value
from django.db.models.functions import Cast, Concat

WORK_ITEM = "duties.workitem"


def subject_from_item(apps, schema_editor):
    Notice = apps.get_model("notices", "Notice")
    about_items = Notice.objects.filter(item__isnull=False)
    about_items.update(subject_type=WORK_ITEM, subject_id=F("item_id"))
    about_items.filter(link="").update(
        link=Concat(Value("/duties/"), Cast("item_id", models.CharField()), Value("/"))
    )


def item_from_subject(apps, schema_editor):
    Notice = apps.get_model("notices", "Notice")
    WorkItem = apps.get_model("duties", "WorkItem")
    about_items = Notice.objects.filter(subject_type=WORK_ITEM)
    # Only items that still exist can be named by the foreign key.
    about_items.filter(subject_id__in=WorkItem.objects.values("pk")).update(item=F("subject_id"))


class Migration(migrations.Migration):
    dependencies = [
        ("notices", "0002_notice_subject"),
        ("duties", "0002_notice_moves_to_notices"),
    ]

    operations = [
        migrations.RunPython(subject_from_item, item_from_subject),
    ]
