from django.db import migrations

STEPLEN = 4  # treebeard's MP_Node path step, as Organization uses it


def found_by_meetings(apps, schema_editor):
    """Move each organization's founding back to its first held meeting when that is earlier
    (docs/organization-history.md, "The migration"). `orgs/0002_organization_history` founded
    each organization on its first post or membership spell or its record's creation; it did
    not read the meetings (they are in an app above `orgs`). The findings judge an organization
    only from its founding (findings/as_was.py), so a meeting held before it — a party group
    whose leader's post was recorded late — would stand in no finding. A parent is founded no
    later than its children, as before. Nothing else changes (no spell is added or cut)."""
    from django.db.models import Min

    Organization = apps.get_model("orgs", "Organization")
    Spell = apps.get_model("orgs", "OrganizationSpell")
    Meeting = apps.get_model("meetings", "Meeting")
    first = dict(
        Meeting.objects.filter(status="held", held_on__isnull=False)
        .values("organization_id")
        .annotate(day=Min("held_on"))
        .order_by()
        .values_list("organization_id", "day")
    )
    if not first:
        return
    paths = dict(Organization.objects.values_list("pk", "path"))
    by_path = {path: pk for pk, path in paths.items()}
    for pk, path in sorted(paths.items(), key=lambda item: -len(item[1])):
        parent = by_path.get(path[:-STEPLEN])
        if parent is not None and pk in first:
            if parent not in first or first[pk] < first[parent]:
                first[parent] = first[pk]
    founding = {}
    for spell in Spell.objects.order_by("organization_id", "started_on"):
        founding.setdefault(spell.organization_id, spell)
    moved = []
    for pk, day in first.items():
        spell = founding.get(pk)
        if spell is not None and day < spell.started_on:
            spell.started_on = day
            moved.append(spell)
    Spell.objects.bulk_update(moved, ["started_on"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0007_meeting_kind_starts"),
        ("orgs", "0002_organization_history"),
    ]

    operations = [migrations.RunPython(found_by_meetings, migrations.RunPython.noop)]
