"""The 公示 start of steps 12 and 23 is a day of the file: after the application was received and
not after the step itself. A typed year 1 or 9999 was stored as it came (no publicity length
configured) or ended in a 500 (counting working days before year 1 or after 9999)."""

from __future__ import annotations

import pytest

from dangjian.core.errors import ServiceValidationError
from dangjian.recruitment import services
from dangjian.recruitment.models import StepRecord
from tests.recruitment.helpers import D, march, meeting, open_file, step

MESSAGE = "公示开始日期应在2023年3月1日至2024年6月12日之间（收到入党申请书后、本步骤办理前）"


@pytest.mark.parametrize("working_days", [None, 5])
@pytest.mark.parametrize(
    "start", [D(1, 1, 1), D(2023, 2, 28), D(2024, 6, 13), D(9999, 12, 31)], ids=str
)
def test_a_publicity_start_outside_the_file_is_refused(demo, monkeypatch, working_days, start):
    monkeypatch.setattr(services, "_publicity_days", lambda: working_days)
    applicant = march(demo, open_file(demo), 11)
    held = meeting(demo.branch, "committee_meeting", D(2024, 6, 12))

    with pytest.raises(ServiceValidationError) as refused:
        step(demo, applicant, 12, D(2024, 6, 12), meeting=held, publicity_from=start)

    assert refused.value.errors == {"publicity_from": MESSAGE}
    assert not StepRecord.objects.filter(applicant=applicant, step=12).exists()


def test_a_publicity_within_the_file_is_recorded(demo, monkeypatch):
    monkeypatch.setattr(services, "_publicity_days", lambda: 5)
    applicant = march(demo, open_file(demo), 11)
    held = meeting(demo.branch, "committee_meeting", D(2024, 6, 12))

    step(demo, applicant, 12, D(2024, 6, 12), meeting=held, publicity_from=D(2024, 6, 3))

    assert StepRecord.objects.get(applicant=applicant, step=12).publicity_from == D(2024, 6, 3)
