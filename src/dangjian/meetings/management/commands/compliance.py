"""`dangjian compliance --org CODE --year YYYY [--json]`: the findings of a subtree and a year."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from dangjian.meetings.findings import (
    AT_RISK,
    STATUS_ICONS,
    STATUS_LABELS,
    STATUSES,
    VIOLATED,
    compute,
    local_today,
    report_json,
)
from dangjian.orgs.models import Organization
from dangjian.regulations.engine import PackError


class Command(BaseCommand):
    help = "组织生活检查：某组织（含下级）某年度的检查结果及依据。"

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="组织编码，例如 GW 或 FGW-B01")
        parser.add_argument("--year", type=int, default=None, help="年度（默认今年）")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出全部检查结果")
        parser.add_argument(
            "--as-of",
            default=None,
            help="按哪一天检查（YYYY-MM-DD，默认今天，北京时间）；用于复核历史结果",
        )
        parser.add_argument(
            "--limit", type=int, default=200, help="文本输出最多列出多少条未达标与临期提醒"
        )

    def handle(self, *args, org: str, year: int | None, json: bool, as_of, limit: int, **options):
        today = local_today()
        if as_of:
            try:
                today = dt.date.fromisoformat(as_of)
            except ValueError:
                raise CommandError(f"日期格式不正确：{as_of}（应为 YYYY-MM-DD）") from None
        year = year or today.year
        if not 2000 <= year <= today.year + 1:
            raise CommandError(f"年度应在2000至{today.year + 1}之间")
        root = Organization.objects.filter(code=org.strip().upper()).first()
        if root is None:
            raise CommandError(f"组织 {org} 不存在")
        try:
            report = compute(root, year, today=today)
        except PackError as exc:
            raise CommandError(f"规则包加载失败：{exc}") from exc
        if json:
            self.stdout.write(_dumps(report_json(report)))
            return
        self._text(report, limit)

    def _text(self, report, limit: int) -> None:
        root = report.root
        summary = report.rollups[root.id]
        write = self.stdout.write
        write(
            f"组织生活检查：{root.name}（{root.code}），{report.year}年，"
            f"截至{report.as_of.year}年{report.as_of.month}月{report.as_of.day}日"
        )
        write("规则包：" + "、".join(report.rules.pack_titles))
        counts = "，".join(
            f"{STATUS_LABELS[s]} {n} 项" for s, n in zip(STATUSES, summary.tally, strict=True)
        )
        write(
            f"共 {summary.organizations} 个组织：{counts}（已填写情况说明 {summary.explained} 项）"
        )
        shown = 0
        lines = []
        for info in report.orgs:
            for f in report.findings_for(info.id):
                if f.status not in (VIOLATED, AT_RISK):
                    continue
                shown += 1
                if shown <= limit:
                    note = "（已说明）" if f.explanation else ""
                    lines.append(
                        f"{STATUS_ICONS[f.status]} {info.code} {info.name} {f.period_label}："
                        f"{f.message}{note}〔{f.citation}〕"
                    )
        if lines:
            write("\n未达标与临期提醒：")
            for line in lines:
                write(line)
        if shown > limit:
            write(f"……另有 {shown - limit} 条未列出（用 --limit 调整，或用 --json 输出全部）")


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False)
