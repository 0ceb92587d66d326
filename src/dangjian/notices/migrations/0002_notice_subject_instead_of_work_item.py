# A notice names the record it is about generically (`subject_type`, `subject_id`) instead of a
# foreign key to the duties app's work items, and every notice carries its link: the notices of
# work items get the address of the item's page (`/duties/<id>/`, what the inbox linked them to).
# Data-safe on every engine: the new columns are filled from `item_id` before it is dropped, in
# one UPDATE each; backwards, `item_id` is filled again from the subject (links stay).

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
        ("notices", "0001_notice_from_duties"),
        ("duties", "0002_notice_moves_to_notices"),
    ]

    operations = [
        migrations.AddField(
            model_name="notice",
            name="subject_type",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="notice",
            name="subject_id",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(subject_from_item, item_from_subject),
        migrations.RemoveField(model_name="notice", name="item"),
    ]
