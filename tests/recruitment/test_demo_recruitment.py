"""The demo's development files: one at each stage, made through the services, once."""

from __future__ import annotations

from dangjian.core.clock import today
from dangjian.demo import ensure_recruitment
from dangjian.recruitment.models import Applicant
from dangjian.recruitment.queries import pending_approvals


def test_the_demo_makes_files_at_each_stage_once(demo) -> None:
    lines: list[str] = []
    ensure_recruitment(today=today(), out=lines.append)
    ensure_recruitment(today=today(), out=lines.append)
    assert lines == ["发展党员演示档案：4 份"]
    assert sorted(Applicant.objects.values_list("next_step", flat=True)) == [2, 7, 12, 17]
    assert [a.next_step for a in pending_approvals(demo.users["organ"])] == [17]
    assert not Applicant.objects.filter(member__isnull=False).exists()
