"""Meeting forms and the minutes template per kind; the rules live in services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from dangjian.meetings.models import MeetingKind
from dangjian.meetings.services import MARKABLE

# The minutes template (会议记录) per kind: what the host is called and what each part holds.
DEFAULT_MINUTES = {
    "host_label": "主持人",
    "agenda": "会议议题，一行一项",
    "content": "会议进程和发言要点",
    "decisions": "会议形成的决议、决定",
}
MINUTES_TEMPLATES: dict[str, dict[str, str]] = {
    MeetingKind.GENERAL_MEETING: {
        "agenda": "如：1. 传达学习上级文件精神；2. 讨论接收预备党员",
        "content": "会议进程、讨论情况和发言要点",
        "decisions": "会议形成的决议；表决事项的结果在下方“表决”中填写",
    },
    MeetingKind.COMMITTEE_MEETING: {
        "agenda": "如：研究本月党建工作安排；讨论确定发展对象",
        "content": "讨论情况和发言要点",
        "decisions": "会议研究决定的事项",
    },
    MeetingKind.GROUP_MEETING: {
        "agenda": "学习讨论的主题",
        "content": "学习内容、讨论情况",
        "decisions": "下一步安排",
    },
    MeetingKind.PARTY_LECTURE: {
        "host_label": "主讲人",
        "agenda": "党课题目",
        "content": "党课主要内容",
        "decisions": "学习体会或下一步安排",
    },
    MeetingKind.THEME_DAY: {
        "agenda": "本月主题",
        "content": "学习内容和实践活动",
        "decisions": "活动成效和下一步安排",
    },
    MeetingKind.ORG_LIFE_MEETING: {
        "agenda": "会议主题",
        "content": "对照检查、批评与自我批评情况",
        "decisions": "整改措施",
    },
    MeetingKind.MEMBER_APPRAISAL: {
        "agenda": "民主评议党员",
        "content": "个人自评、党员互评、民主测评情况",
        "decisions": "评定结果（优秀、合格、基本合格、不合格的人数）",
    },
    MeetingKind.CENTRAL_GROUP_STUDY: {
        "host_label": "主持人",
        "agenda": "学习专题",
        "content": "中心发言和交流研讨情况",
        "decisions": "学习成果和下一步安排",
    },
    MeetingKind.HEART_TO_HEART_TALK: {
        "host_label": "谈话人",
        "agenda": "谈话主题",
        "content": "谈话要点",
        "decisions": "需要跟进的事项",
    },
}


def minutes_template(kind: str) -> dict[str, str]:
    return {**DEFAULT_MINUTES, **MINUTES_TEMPLATES.get(kind, {})}


# Browsers' date and time inputs take ISO values only, whatever the locale's display format.
def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(format="%H:%M", attrs={"type": "time"})


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, (forms.HiddenInput, forms.CheckboxSelectMultiple)):
            continue
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs.setdefault("class", css)


def add_service_errors(form: forms.Form, errors: dict[str, str]) -> None:
    for field, message in errors.items():
        form.add_error(field if field in form.fields else None, message)


class PlanForm(forms.Form):
    kind = forms.ChoiceField(label="会议类型")
    date = forms.DateField(label="日期", widget=_date_input())
    time = forms.TimeField(label="时间", widget=_time_input())
    topic = forms.CharField(label="会议主题", max_length=200, required=False)
    place = forms.CharField(label="地点", max_length=200, required=False)
    host = forms.ChoiceField(label="主持人", required=False)
    invited = forms.CharField(
        label="列席、邀请人员",
        max_length=500,
        required=False,
        help_text="不是本组织党员的列席人员，如上级党组织联系人",
    )
    # The 调整应到人员 section: a checkbox per member, ticked for the default list of the kind
    # named in `attendees_kind` (the kind the boxes were ticked for; the page's script re-ticks
    # them and updates it when the kind changes).
    attendees = forms.TypedMultipleChoiceField(
        label="应到人员", coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    attendees_kind = forms.CharField(required=False, widget=forms.HiddenInput)
    # Hidden until the service finds a meeting of the kind on that day (`ask_duplicate`).
    confirm_duplicate = forms.BooleanField(
        label="同一天已有同类会议，仍然安排", required=False, widget=forms.HiddenInput
    )

    def __init__(
        self,
        *args,
        kind_choices,
        host_choices,
        attendee_choices=None,
        attendee_defaults: dict[str, set[int]] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices
        self.fields["host"].choices = [("", "—"), *host_choices]
        self.attendee_defaults = attendee_defaults or {}
        if attendee_choices is None:
            del self.fields["attendees"], self.fields["attendees_kind"]
        else:
            self.fields["attendees"].choices = attendee_choices
        _styled(self)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "starts_at": dt.datetime.combine(data["date"], data["time"]),
            "topic": data["topic"],
            "place": data["place"],
            "host": data["host"] or None,
            "invited": data["invited"],
            "attendees": self._attendees(),
            "confirm_duplicate": bool(data.get("confirm_duplicate")),
        }

    def ask_duplicate(self) -> None:
        """Show the 仍然安排 checkbox (unticked) after the service asked for confirmation."""
        field = self.fields["confirm_duplicate"]
        field.widget = forms.CheckboxInput(attrs={"class": "form-check-input"})
        self.data = self.data.copy()
        self.data.pop(self.add_prefix("confirm_duplicate"), None)

    def _attendees(self) -> list[int] | None:
        """The ticked members, or None when the boxes were left as ticked for their kind (the
        default list of the kind chosen then applies, even if the kind changed meanwhile)."""
        shown = self.cleaned_data.get("attendees_kind")
        if "attendees" not in self.fields or not shown:
            return None
        ticked = set(self.cleaned_data.get("attendees") or ())
        if shown in self.attendee_defaults and ticked == self.attendee_defaults[shown]:
            return None
        return sorted(ticked)


class SeriesForm(forms.Form):
    kind = forms.ChoiceField(label="会议类型")
    day_of_month = forms.IntegerField(
        label="每月几日", min_value=1, max_value=31, help_text="小月没有该日时安排在月末"
    )
    start_time = forms.TimeField(label="开始时间", widget=_time_input())
    topic = forms.CharField(
        label="主题", max_length=200, required=False, help_text="留空则为“某年某月主题党日”"
    )
    place = forms.CharField(label="地点", max_length=200, required=False)

    def __init__(self, *args, kind_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices
        _styled(self)


class MinutesForm(forms.Form):
    date = forms.DateField(label="召开日期", widget=_date_input())
    time = forms.TimeField(label="时间", widget=_time_input())
    host = forms.ChoiceField(label="主持人", required=False)
    recorder = forms.ChoiceField(label="记录人", required=False)
    agenda = forms.CharField(label="议题", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    content = forms.CharField(
        label="内容", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    decisions = forms.CharField(
        label="决议", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # Shown only when the record is (or may be) a 补录; the service decides and requires it.
    backfill_reason = forms.CharField(
        label="补录原因", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, kind: str, member_choices, **kwargs):
        super().__init__(*args, **kwargs)
        template = minutes_template(kind)
        self.fields["host"].label = template["host_label"]
        for name in ("host", "recorder"):
            self.fields[name].choices = [("", "—"), *member_choices]
        for name in ("agenda", "content", "decisions"):
            self.fields[name].widget.attrs["placeholder"] = template[name]
        _styled(self)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "starts_at": dt.datetime.combine(data["date"], data["time"]),
            "host": data["host"] or None,
            "recorder": data["recorder"] or None,
            "agenda": data["agenda"],
            "content": data["content"],
            "decisions": data["decisions"],
            "backfill_reason": data["backfill_reason"],
        }


def parse_attendance(post, member_ids: list[int]) -> dict[int, tuple[str, str]]:
    """The sheet's rows: `att-<id>` (出席/请假/缺席) and `reason-<id>` for each expected member.

    A row the browser did not send keeps the service's default for that member.
    """
    marks: dict[int, tuple[str, str]] = {}
    for pk in member_ids:
        status = post.get(f"att-{pk}")
        if status is None:
            continue
        marks[pk] = (status if status in MARKABLE else str(status), post.get(f"reason-{pk}", ""))
    return marks


VOTE_ROWS = 3


def parse_vote_rows(post) -> list[dict[str, str]]:
    """Vote rows `vote-<n>-subject|yes|no|abstain`, n = 1…; blank rows are dropped by the
    service."""
    rows = []
    index = 1
    while f"vote-{index}-subject" in post:
        rows.append(
            {
                key: post.get(f"vote-{index}-{key}", "")
                for key in ("subject", "yes", "no", "abstain")
            }
        )
        index += 1
    return rows
