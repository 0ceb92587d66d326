from django.db import migrations, models


class Migration(migrations.Migration):
    """A year's meetings of some kinds for a whole tree (the study column of the findings
    report reads the year's counted sessions by kind and start)."""

    dependencies = [
        ("meetings", "0006_backfill"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="meeting",
            index=models.Index(fields=["kind", "starts_at"], name="meetings_me_kind_e912b9_idx"),
        ),
    ]
