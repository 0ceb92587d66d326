"""The dossier's member-development section (发展党员): the steps recorded in the period, each
by file number, date, level and its proof, and the open files per stage on the period's last day
(from the steps done by then, so a past period reads as it was).

By file number, never by name or ID number (least disclosure: the file's own page, which checks
who may see it, has the person). An inspector sees that each step was taken in order, when, by
whom, and whether its meeting or vote is linked; a step recorded as an exception shows that it
was, not the reason's text.
"""

from __future__ import annotations

from django.db.models import Max, Q

from dangjian.core.dossier import Section, Table, register
from dangjian.orgs.models import Organization
from dangjian.recruitment.models import LEVEL_CHOICES, STEP_CHOICES, Applicant, StepRecord
from dangjian.regulations.recruitment import STAGES, STEPS


def recruitment_tables(org, start, end) -> list[Table]:
    steps = Table(
        "发展党员步骤登记（按档案编号，不含个人信息）",
        ["档案", "所在党组织", "步骤", "日期", "办理层级", "决定人或决定机构", "会议记录",
         "表决记录", "例外说明"],
        note="会议记录、表决记录为“已关联”的，可在平台中打开原记录核对。",
    )  # fmt: skip
    step_label = dict(STEP_CHOICES)
    level_label = dict(LEVEL_CHOICES)
    for record in (
        StepRecord.objects.filter(
            applicant__organization__path__startswith=org.path,
            done_on__gte=start,
            done_on__lte=end,
        )
        .select_related("applicant__organization")
        .order_by("applicant__organization__path", "applicant_id", "step", "done_on")
    ):
        steps.rows.append(
            [
                str(record.applicant),
                record.applicant.organization.name,
                step_label.get(record.step, str(record.step)),
                record.done_on,
                level_label.get(record.level, record.level),
                record.decided_by,
                "已关联" if record.meeting_id else "",
                "已关联" if record.vote_id else "",
                "有" if record.warning_reason else "",
            ]
        )
    stages = Table(
        f"期末在册发展档案（{end:%Y-%m-%d}，按阶段计数）",
        ["所在党组织", *[label for _, label in STAGES]],
    )
    # Each file open on the period's last day (its application received by then, step 1) at the
    # stage of the last step done by then.
    stage_of_step = {st.number: st.stage for st in STEPS}
    open_at_end = Q(applicant__closed_on__isnull=True) | Q(applicant__closed_on__gt=end)
    last_step = dict(
        StepRecord.objects.filter(
            open_at_end, applicant__organization__path__startswith=org.path, done_on__lte=end
        )
        .values_list("applicant_id")
        .annotate(last=Max("step"))
        .order_by()
    )
    files = dict(
        Applicant.objects.filter(pk__in=list(last_step)).values_list("pk", "organization__path")
    )
    names = dict(
        Organization.objects.filter(path__in=set(files.values())).values_list("path", "name")
    )
    counts: dict[str, dict[str, int]] = {}
    for pk, path in files.items():
        stage = stage_of_step.get(last_step[pk], STAGES[0][0])
        by_stage = counts.setdefault(path, {})
        by_stage[stage] = by_stage.get(stage, 0) + 1
    for path, by_stage in sorted(counts.items()):
        stages.rows.append([names[path], *[by_stage.get(code, 0) for code, _ in STAGES]])
    return [steps, stages]


register(Section("recruitment", "发展党员", recruitment_tables, order=48))
