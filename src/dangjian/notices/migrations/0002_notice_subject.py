# A notice names the record it is about generically (`subject_type` = `app_label.model`,
# `subject_id`), instead of the foreign key to the duties app's work items (removed in 0004 once
# 0003 has copied it).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notices", "0001_notice_from_duties"),
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
    ]
