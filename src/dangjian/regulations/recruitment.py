"""Member development (发展党员): the five stages, the 25 steps and every time rule between them.

The steps are those of 《中国共产党发展党员工作细则》 (regulations.md §2). Each time rule is a
pure function of dates and counts; the `recruitment` app calls them on every recorded step.
Rules already registered elsewhere (min_age, probation_length, probation_extension, party_age,
general_meeting_quorum) are reused, not registered twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from dangjian.regulations.periods import cn_date

from .base import Rule, RuleViolation, Severity, register
from .dates import add_months
from .identity import eighteenth_birthday
from .meetings import check_quorum, vote_passes
from .membership import MIN_AGE_RULE, RECRUITMENT_RULES, probation_end
from .workdays import add_workdays, is_workday

__all__ = [
    "STAGES",
    "STEPS",
    "Step",
    "activist_review_due",
    "admission_vote_violations",
    "approval_deadlines",
    "candidate_earliest",
    "check_age",
    "check_cultivators",
    "check_sponsors",
    "check_training",
    "leaving_soon",
    "next_workday",
    "party_age_start",
    "publicity_end",
    "talk_deadline",
]

# Stage codes follow the glossary: applicant / activist / candidate / probationary / full.
STAGES: Final = (
    ("applicant", "申请入党"),
    ("activist", "入党积极分子的确定和培养教育"),
    ("candidate", "发展对象的确定和考察"),
    ("probationary", "预备党员的接收"),
    ("full", "预备党员的教育考察和转正"),
)

# Who files or approves a step: the branch, the 基层党委 above it, or the organization
# department of the level above that.
BRANCH, COMMITTEE, DEPARTMENT = "branch", "committee", "department"
LEVEL_LABELS: Final = {BRANCH: "党支部", COMMITTEE: "基层党委", DEPARTMENT: "上级党委组织部门"}


@dataclass(frozen=True)
class Step:
    number: int
    code: str
    label: str
    stage: str
    level: str


STEPS: Final = (
    Step(1, "application", "递交入党申请书", "applicant", BRANCH),
    Step(2, "talk", "党组织派人谈话", "applicant", BRANCH),
    Step(3, "activist_selected", "推荐和确定入党积极分子", "activist", BRANCH),
    Step(4, "activist_filed", "报上级党委备案", "activist", COMMITTEE),
    Step(5, "cultivators", "指定培养联系人", "activist", BRANCH),
    Step(6, "cultivation", "培养教育考察", "activist", BRANCH),
    Step(7, "candidate_selected", "确定发展对象", "candidate", BRANCH),
    Step(8, "candidate_filed", "报上级党委备案", "candidate", COMMITTEE),
    Step(9, "sponsors", "确定入党介绍人", "candidate", BRANCH),
    Step(10, "political_review", "进行政治审查", "candidate", BRANCH),
    Step(11, "training", "开展集中培训", "candidate", COMMITTEE),
    Step(12, "committee_review", "支部委员会审查", "probationary", BRANCH),
    Step(13, "pre_review", "上级党委预审", "probationary", COMMITTEE),
    Step(14, "application_form", "填写入党志愿书", "probationary", BRANCH),
    Step(15, "admission_vote", "支部党员大会讨论", "probationary", BRANCH),
    Step(16, "committee_talk", "上级党委派人谈话", "probationary", COMMITTEE),
    Step(17, "admission_approval", "上级党委审批", "probationary", COMMITTEE),
    Step(18, "admission_filed", "再上一级党委组织部门备案", "probationary", DEPARTMENT),
    Step(19, "placed", "编入党支部和党小组", "full", BRANCH),
    Step(20, "oath", "入党宣誓", "full", BRANCH),
    Step(21, "probation_review", "继续教育考察", "full", BRANCH),
    Step(22, "confirmation_request", "提出转正申请", "full", BRANCH),
    Step(23, "confirmation_vote", "支部党员大会讨论", "full", BRANCH),
    Step(24, "confirmation_approval", "上级党委审批", "full", COMMITTEE),
    Step(25, "archived", "材料归档", "full", BRANCH),
)
STEP_BY_CODE: Final = {s.code: s for s in STEPS}

MIN_CULTIVATORS, MAX_CULTIVATORS = 1, 2
SPONSORS: Final = 2
TRAINING_MIN_DAYS: Final = 3
TRAINING_MIN_HOURS: Final = 24
ACTIVIST_REVIEW_MONTHS: Final = 6
CULTIVATION_MIN_MONTHS: Final = 12
TALK_WITHIN_MONTHS: Final = 1
APPROVAL_MONTHS, APPROVAL_MAX_MONTHS = 3, 6
LEAVING_WITHIN_MONTHS: Final = 3


def _rule(id: str, summary: str, params: dict[str, object], *, article: str | None = None,
          severity: Severity = Severity.ERROR, confidence: str = "M") -> Rule:  # fmt: skip
    return register(Rule(id, RECRUITMENT_RULES, article, summary, params, severity, confidence))


# Articles are shown only where the digest marks the article H; otherwise the title alone.
TALK_RULE: Final = _rule(
    "talk_within_month",
    "党组织收到入党申请书后，应当在一个月内派人同入党申请人谈话",
    {"months": TALK_WITHIN_MONTHS},
)
ACTIVIST_SELECTION_RULE: Final = _rule(
    "activist_selection", "入党积极分子由支部委员会研究决定，并报上级党委备案", {}
)
CULTIVATORS_RULE: Final = _rule(
    "cultivators",
    "党组织应当指定一至两名正式党员作入党积极分子的培养联系人",
    {"min": MIN_CULTIVATORS, "max": MAX_CULTIVATORS},
)
ACTIVIST_REVIEW_RULE: Final = _rule(
    "activist_review",
    "党支部每半年对入党积极分子进行一次考察",
    {"months": ACTIVIST_REVIEW_MONTHS},
)
CULTIVATION_RULE: Final = _rule(
    "cultivation_min",
    "经过一年以上培养教育和考察，基本具备党员条件的入党积极分子，可列为发展对象",
    {"months": CULTIVATION_MIN_MONTHS},
    article="第十三条",
    confidence="H",
)
SPONSORS_RULE: Final = _rule(
    "sponsors",
    "发展党员应当有两名正式党员作入党介绍人；受留党察看处分、尚未恢复党员权利的党员不能作入党介绍人",
    {"count": SPONSORS},
)
POLITICAL_REVIEW_RULE: Final = _rule(
    "political_review",
    "凡是未经政治审查或政治审查不合格的，不能发展入党",
    {},
    article="第十六条",
    confidence="H",
)
TRAINING_RULE: Final = _rule(
    "short_training",
    "发展对象的集中培训时间一般不少于三天（或不少于二十四个学时）",
    {"days": TRAINING_MIN_DAYS, "hours": TRAINING_MIN_HOURS},
    article="第十七条",
    confidence="H",
)
LEAVING_RULE: Final = _rule(
    "pre_review",
    "发展对象未来三个月内将离开工作、学习单位的，一般不办理接收预备党员的手续",
    {"months": LEAVING_WITHIN_MONTHS},
    article="第十九条",
    severity=Severity.WARNING,
    confidence="H",
)
ADMISSION_VOTE_RULE: Final = _rule(
    "admission_quorum",
    "支部党员大会讨论接收预备党员，有表决权的到会人数必须超过应到会有表决权人数的半数，"
    "赞成人数超过应到会有表决权的正式党员的半数，对每个发展对象逐个讨论和表决",
    {},
    article="第二十条",
    confidence="H",
)
APPROVAL_RULE: Final = _rule(
    "approval_time",
    "上级党委应当在三个月内审批，因特殊情况可以适当延长审批时间，但不得超过六个月",
    {"months": APPROVAL_MONTHS, "max_months": APPROVAL_MAX_MONTHS},
)
PUBLICITY_RULE: Final = _rule(
    "publicity",
    "发展对象和拟转正的预备党员须经公示，公示期由本地规则包规定（工作日）",
    {},
    severity=Severity.ERROR,
    confidence="L",
)
CONFIRMATION_APPROVAL_RULE: Final = _rule(
    "full_member_approval",
    "预备党员转正经支部党员大会讨论通过后，上级党委应当在三个月内审批",
    {"months": APPROVAL_MONTHS},
)


def next_workday(day: dt.date) -> dt.date:
    """A deadline falling on a rest day moves to the next working day (民法典 第二百零三条)."""
    while not is_workday(day):
        day += dt.timedelta(days=1)
    return day


def check_age(birth: dt.date, applied_on: dt.date) -> RuleViolation | None:
    turned_18 = eighteenth_birthday(birth)
    if applied_on >= turned_18:
        return None
    return RuleViolation(
        MIN_AGE_RULE,
        f"申请人递交申请书时未满18周岁（{cn_date(turned_18)}年满18周岁）",
        {"turns_18": turned_18.isoformat()},
    )


def talk_deadline(received_on: dt.date) -> dt.date:
    """The last day for the talk: one month after the application was received."""
    return next_workday(add_months(received_on, TALK_WITHIN_MONTHS))


def activist_review_due(last: dt.date) -> dt.date:
    """When the next half-yearly review of an activist is due (from selection or the last one)."""
    return add_months(last, ACTIVIST_REVIEW_MONTHS)


def candidate_earliest(activist_on: dt.date) -> dt.date:
    """The first day an activist may become a 发展对象: the anniversary itself ("一年以上")."""
    return add_months(activist_on, CULTIVATION_MIN_MONTHS)


def approval_deadlines(voted_on: dt.date) -> tuple[dt.date, dt.date]:
    """(normal, longest) last days for the 基层党委's approval after the branch vote."""
    return (
        next_workday(add_months(voted_on, APPROVAL_MONTHS)),
        next_workday(add_months(voted_on, APPROVAL_MAX_MONTHS)),
    )


def party_age_start(admitted_on: dt.date, extension_months: int = 0) -> dt.date:
    """党龄 counts from the end of probation (or of its single extension)."""
    return probation_end(admitted_on, extension_months)


def publicity_end(start: dt.date, working_days: int) -> dt.date:
    """The last day of a 公示 of `working_days` working days starting on `start` (counted)."""
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    return add_workdays(start - dt.timedelta(days=1), working_days)


def leaving_soon(leaves_on: dt.date | None, admission_on: dt.date) -> RuleViolation | None:
    """A warning when the candidate leaves the unit within three months of admission."""
    if leaves_on is None or leaves_on > add_months(admission_on, LEAVING_WITHIN_MONTHS):
        return None
    return RuleViolation(
        LEAVING_RULE,
        f"发展对象将于{cn_date(leaves_on)}离开本单位（三个月内），一般不办理接收手续，"
        "如需办理请记录理由",
        {"leaves_on": leaves_on.isoformat()},
    )


def check_training(days: int, hours: int) -> RuleViolation | None:
    if days >= TRAINING_MIN_DAYS or hours >= TRAINING_MIN_HOURS:
        return None
    return RuleViolation(
        TRAINING_RULE,
        f"集中培训{days}天、{hours}学时，不足三天（或二十四学时）",
        {"days": days, "hours": hours},
    )


def check_cultivators(statuses: list[str]) -> RuleViolation | None:
    """`statuses` are the member statuses ('full' / 'probationary') of the chosen cultivators."""
    if MIN_CULTIVATORS <= len(statuses) <= MAX_CULTIVATORS and all(s == "full" for s in statuses):
        return None
    return RuleViolation(
        CULTIVATORS_RULE, "培养联系人应为一至两名正式党员", {"count": len(statuses)}
    )


def check_sponsors(statuses: list[str], on_probation_of_party: list[bool]) -> RuleViolation | None:
    """Two sponsors, both full members and neither under 留党察看."""
    if len(statuses) != SPONSORS:
        return RuleViolation(SPONSORS_RULE, "入党介绍人应为两名", {"count": len(statuses)})
    if any(s != "full" for s in statuses):
        return RuleViolation(SPONSORS_RULE, "入党介绍人应为正式党员，预备党员不能作入党介绍人")
    if any(on_probation_of_party):
        return RuleViolation(SPONSORS_RULE, "受留党察看处分的党员不能作入党介绍人")
    return None


def admission_vote_violations(
    should_attend: int, present: int, yes: int, candidates: int
) -> list[RuleViolation]:
    """The branch vote on one candidate: quorum, majority of those who should attend, one each."""
    found: list[RuleViolation] = []
    if candidates != 1:
        found.append(RuleViolation(ADMISSION_VOTE_RULE, "应对每个发展对象逐个表决，不能合并表决"))
    if not check_quorum(should_attend, present):
        found.append(
            RuleViolation(
                ADMISSION_VOTE_RULE,
                f"应到会有表决权党员{should_attend}人，实到{present}人，未超过半数",
            )
        )
    elif not vote_passes(should_attend, yes):
        found.append(
            RuleViolation(
                ADMISSION_VOTE_RULE,
                f"赞成{yes}票，未超过应到会有表决权党员（{should_attend}人）的半数",
            )
        )
    return found
