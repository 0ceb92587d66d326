"""The dossier's 发展党员 section: steps by file number with their proof, stages as they were."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.recruitment.dossier import recruitment_tables
from dangjian.regulations.recruitment import STAGES, STEPS
from tests.recruitment.helpers import march, open_file

pytestmark = pytest.mark.django_db


def test_steps_by_file_number_and_stages_as_they_were_on_the_last_day(demo) -> None:
    marched = march(demo, open_file(demo), 7)  # step 6 in October 2023, step 7 in April 2024
    late = open_file(demo, seed=5, received_on=dt.date(2026, 11, 2))
    steps, stages = recruitment_tables(
        demo.organ_committee, dt.date(2023, 1, 1), dt.date(2023, 12, 31)
    )
    in_2023 = sorted(s.step for s in marched.steps.all() if s.done_on.year == 2023)
    assert [row[0] for row in steps.rows] == [str(marched)] * len(in_2023)
    assert {row[2].split(".")[0] for row in steps.rows} == {str(n) for n in in_2023}
    # The step of 10 April 2023 cites its 支委会 record.
    assert any(row[3] == dt.date(2023, 4, 10) and row[6] == "已关联" for row in steps.rows)
    assert "申请人甲" not in str(steps.rows) and marched.id_number not in str(steps.rows)
    # On 31 December 2023 the file stood at step 6's stage; the file opened in 2026 did not exist.
    stage_6 = next(s.stage for s in STEPS if s.number == 6)
    codes = [code for code, _ in STAGES]
    assert stages.rows == [[demo.branch.name, *[1 if code == stage_6 else 0 for code in codes]]]
    # Today both files count, each at its stage now.
    _, now = recruitment_tables(demo.organ_committee, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    marched.refresh_from_db()
    late.refresh_from_db()
    assert sum(now.rows[0][1:]) == 2
    assert now.rows[0][1 + codes.index(late.stage)] >= 1
    # Another department's dossier has none of it.
    assert (
        recruitment_tables(demo.other_branch, dt.date(2023, 1, 1), dt.date(2026, 12, 31))[0].rows
        == []
    )
