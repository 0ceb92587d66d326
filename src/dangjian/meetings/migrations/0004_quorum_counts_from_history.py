"""Fill the quorum figures of the meetings already held, and correct their votes, from the
membership history on each meeting's day (issue 12): a 党员大会 counts the branch's full
members, a 支委会 its seated 委员, whoever the planner expected.

Self-contained (historical models, literal constants): migrations never import app code.
"""

from django.db import migrations
from django.db.models import Q

COMMITTEE_POSTS = (
    "secretary",
    "deputy_secretary",
    "organization_officer",
    "publicity_officer",
    "discipline_officer",
    "committee_member",
)
ATTENDED = ("present", "checked_in")


def _on(day):
    return Q(started_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gte=day))


def forwards(apps, schema_editor):
    Meeting = apps.get_model("meetings", "Meeting")
    Attendance = apps.get_model("meetings", "Attendance")
    Vote = apps.get_model("meetings", "Vote")
    Post = apps.get_model("orgs", "Post")
    Spell = apps.get_model("members", "MembershipSpell")
    held = (
        Meeting.objects.filter(
            status="held",
            kind__in=("general_meeting", "committee_meeting"),
            held_on__isnull=False,
        )
        .select_related("organization")
        .order_by("pk")
    )
    for meeting in held.iterator(chunk_size=500):
        day = meeting.held_on
        if meeting.kind == "committee_meeting":
            people = Post.objects.filter(
                _on(day), organization_id=meeting.organization_id, kind__in=COMMITTEE_POSTS
            )
        else:
            people = Spell.objects.filter(
                _on(day), organization__path__startswith=meeting.organization.path, status="full"
            )
        ids = set(people.values_list("member_id", flat=True))
        present = Attendance.objects.filter(
            meeting_id=meeting.pk, member_id__in=ids, status__in=ATTENDED
        ).count()
        Meeting.objects.filter(pk=meeting.pk).update(quorum_base=len(ids), quorum_present=present)
        Vote.objects.filter(meeting_id=meeting.pk).update(
            voting_members=len(ids), present_voting=present
        )


def backwards(apps, schema_editor):
    # The votes keep their corrected figures: the old ones counted the planner's list.
    apps.get_model("meetings", "Meeting").objects.update(quorum_base=None, quorum_present=None)


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0003_meeting_quorum_fields"),
        ("members", "0005_membership_history"),
        ("orgs", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
