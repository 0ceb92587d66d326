# The notices move to their own app (`notices`, migration 0001): the model leaves this app's state;
# its table (`duties_notice`) stays where it is, with every row.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("duties", "0001_initial"),
        ("notices", "0001_notice_from_duties"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Notice")],
            database_operations=[],
        ),
    ]
