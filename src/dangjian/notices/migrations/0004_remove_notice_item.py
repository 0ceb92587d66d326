# The foreign key to the duties app's work items goes: 0003 copied it into the subject, and the
# notices app depends on no domain app any more.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("notices", "0003_notice_subject_from_work_item"),
    ]

    operations = [
        migrations.RemoveField(model_name="notice", name="item"),
    ]
