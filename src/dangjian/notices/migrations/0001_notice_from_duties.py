# The notices move from the duties app to their own: the model's state only. The table keeps its
# name (`duties_notice`), so no row is copied and no column changes here.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def content_type_to_notices(apps, schema_editor):
    """Keep the model's content type (and the permissions hanging on it) under its new app."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="notices", model="notice").exists():
        ContentType.objects.filter(app_label="duties", model="notice").update(app_label="notices")


def content_type_to_duties(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="duties", model="notice").exists():
        ContentType.objects.filter(app_label="notices", model="notice").update(app_label="duties")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("duties", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Notice",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("key", models.CharField(max_length=100)),
                        ("kind", models.CharField(max_length=16)),
                        ("link", models.CharField(blank=True, max_length=200)),
                        ("title", models.CharField(max_length=200)),
                        ("body", models.CharField(blank=True, max_length=500)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("read_at", models.DateTimeField(blank=True, null=True)),
                        ("emailed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "recipient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notices",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "item",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notices",
                                to="duties.workitem",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "消息",
                        "verbose_name_plural": "消息",
                        "db_table": "duties_notice",
                        "ordering": ["-created_at", "-pk"],
                        "indexes": [
                            models.Index(
                                fields=["recipient", "read_at"],
                                name="duties_noti_recipie_6b6f5b_idx",
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("recipient", "key"), name="unique_notice_key"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to_notices, content_type_to_duties),
    ]
