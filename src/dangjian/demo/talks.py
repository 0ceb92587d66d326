"""The demo's yearly 谈心谈话 per branch, with sign-in sheets (the 谈心谈话覆盖 column's data)."""

from __future__ import annotations

import datetime as dt
import random

from dangjian.demo.meetings import (
    LAPSE_STORY_DAYS,
    STREAK_STORY_DAYS,
    Profile,
    _day,
    _meeting_fields,
    _Meetings,
    _Unit,
)
from dangjian.meetings.models import MeetingKind

# Branches whose 谈心谈话 last year left out their last two members (谈心谈话覆盖).
TALK_SHORT_LAST_YEAR = {"CZJ-B02"}
TALK_SHORT = 2


def heart_talks(
    rng: random.Random,
    branches: list[_Unit],
    profiles: dict[int, Profile],
    meetings: _Meetings,
    today: dt.date,
    years: int,
) -> None:
    """Each branch's yearly 谈心谈话 (in September), recorded as held, its sheet listing the
    branch's members as having taken part (the coverage the 谈心谈话覆盖 column checks). A
    stream of its own, so every other meeting stays as it was before talks were added."""
    for year in range(today.year - years + 1, today.year + 1):
        for unit in branches:
            day = _day(year, 9, rng.randint(1, 28))
            skipped = (MeetingKind.HEART_TO_HEART_TALK, year - today.year, 9) in profiles[
                unit.org_id
            ].skip
            if not unit.members or day > today or skipped:
                continue
            host, recorder, streak, lapse, _ = meetings._people(unit)
            kind = MeetingKind.HEART_TO_HEART_TALK
            fields = _meeting_fields(rng, unit.org_id, kind, day, today, host, recorder)
            writer = meetings.writer
            short = unit.code in TALK_SHORT_LAST_YEAR and year == today.year - 1
            sheet = unit.members[:-TALK_SHORT] if short else unit.members
            # The story's members keep their story: the one on long leave was away, the one
            # with an absence streak was absent.
            rows = []
            for m in sheet:
                if m == lapse and day > today - dt.timedelta(days=LAPSE_STORY_DAYS):
                    rows.append((writer.next_id, m, "on_leave", "外出学习培训"))
                elif m == streak and day > today - dt.timedelta(days=STREAK_STORY_DAYS):
                    rows.append((writer.next_id, m, "absent", ""))
                else:
                    rows.append((writer.next_id, m, "present", ""))
            present = sum(row[2] == "present" for row in rows)
            writer.attend(rows)
            writer.meeting(**fields, expected_count=len(sheet), present_count=present)
