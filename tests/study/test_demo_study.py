"""The demo's trainings: built once, idempotent, and visible on the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dangjian.study.demo import ensure_trainings
from dangjian.study.models import CadreTrainingPlan, ExternalTraining, Training
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db


def test_demo_trainings_are_idempotent(demo, client_for):
    assert ensure_trainings(today=TODAY, out=lambda s: None) == 1
    counts = (Training.objects.count(), ExternalTraining.objects.count())
    assert counts[0] >= 1 and counts[1] == 1
    assert ensure_trainings(today=TODAY, out=lambda s: None) == 0
    assert (Training.objects.count(), ExternalTraining.objects.count()) == counts
    assert CadreTrainingPlan.objects.filter(year=TODAY.year).count() == 1
    done = Training.objects.filter(completed_at__isnull=False).get()
    assert done.participants.filter(completed=False).count() == 1
    page = client_for(demo.users["organ"]).get(
        reverse("study_hours:plan", args=[demo.organ_committee.pk])
    )
    assert done.title in page.content.decode()
