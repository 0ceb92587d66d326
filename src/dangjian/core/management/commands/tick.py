"""`dangjian tick`: the time-driven work, for cron or a systemd timer every few minutes.

Run by cron, or resident with `--every SECONDS` (what `dangjian serve` and `dangjian demo` start
beside the web server, so a one-machine install needs no cron). It runs the jobs every app
registers in its `jobs.py` (`dangjian.core.jobs`): today the work items' reminders, overdue
marks and 督办 (duties), the monthly meeting series' top-up (meetings), the removal of
roster-import files older than 7 days (members) and the e-mail of unsent notices when SMTP is
configured (notices). Running it twice sends nothing twice.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.utils import timezone

from dangjian.core.jobs import tick
from dangjian.regulations.periods import TZ


class Command(BaseCommand):
    help = "定时任务：到期提醒、逾期标记与督办、邮件通知、清理过期的导入文件（可重复运行）。"

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="以 JSON 输出本次处理的数量")
        parser.add_argument(
            "--now",
            default=None,
            help="按哪个时间运行（YYYY-MM-DD 或 YYYY-MM-DDTHH:MM，北京时间；默认现在），用于补跑",
        )

        parser.add_argument(
            "--every",
            type=float,
            default=None,
            help="常驻运行，每隔多少秒执行一次（`dangjian serve` 默认以 300 秒自动运行；用 cron 时不需要）",
        )
        parser.add_argument("--times", type=int, default=None, help=argparse.SUPPRESS)

    def handle(self, *args, json: bool, now, every, times, **options):
        if every is None:
            self._once(json, now)
            return
        if now:
            raise CommandError("--every 与 --now 不能同时使用")
        runs = 0
        while times is None or runs < times:
            try:
                self._once(json, None, stamp=True)
            except Exception as exc:  # noqa: BLE001 - a bad run must not stop the next one
                self.stderr.write(f"tick 失败：{exc!r}")
            finally:
                # Drop a connection the database closed (a restart), as Django does between
                # requests; never inside a transaction (a test's, say).
                if not connection.in_atomic_block:
                    close_old_connections()
            runs += 1
            if times is None or runs < times:
                time.sleep(max(every, 0))

    def _once(self, json: bool, now, *, stamp: bool = False) -> None:
        when = timezone.now()
        if isinstance(now, dt.datetime):  # call_command("tick", now=<datetime>)
            when = now if now.tzinfo else now.replace(tzinfo=TZ)
        elif now:
            try:
                parsed = dt.datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(
                    "--now 格式不正确，应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM"
                ) from None
            when = parsed if parsed.tzinfo else parsed.replace(tzinfo=TZ)
        report = tick(now=when)
        if json:
            self.stdout.write(_json(report.as_dict()))
            return
        prefix = f"[{timezone.localtime(when):%Y-%m-%d %H:%M}] tick：" if stamp else ""
        self.stdout.write(f"{prefix}{report.summary()}")


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False)
