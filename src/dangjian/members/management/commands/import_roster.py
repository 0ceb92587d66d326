"""`dangjian import-roster FILE --org CODE`: import a roster (花名册) from the command line.

Exit codes: 0 every row accepted, 1 some rows rejected, 2 the file cannot be used at all.
"""

import json
import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from dangjian.accounts.models import User
from dangjian.audit.services import Actor
from dangjian.members.roster.importer import Mode, run_import, strict_blocks, write_errors
from dangjian.members.roster.reader import RosterFileError
from dangjian.orgs.models import Organization


class Command(BaseCommand):
    help = "Import a roster (.xlsx, .xls, .csv) into an organization."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--org", required=True, help="target organization code")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument("--mode", choices=[Mode.STRICT, Mode.PARTIAL], default=Mode.STRICT)
        parser.add_argument(
            "--errors", help="write rejected rows with a 错误原因 column to this .xlsx"
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument(
            "--sheet", help="sheet name (default: the first with a recognised header)"
        )
        parser.add_argument(
            "--allow-moves",
            action="store_true",
            help="confirm moving members who are registered in another branch",
        )
        parser.add_argument("--user", help="act as this user (scope and audit); default: system")

    def _exit(self, code: int, payload: dict, as_json: bool, text: str) -> None:
        if as_json:
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
        else:
            self.stdout.write(text)
        sys.exit(code)

    def handle(self, *args, **opts):
        org = Organization.objects.filter(code=opts["org"].strip().upper()).first()
        if org is None:
            self._exit(
                2,
                {"error": f"组织编码 {opts['org']} 不存在"},
                opts["json"],
                f"组织编码 {opts['org']} 不存在",
            )
        user = None
        if opts["user"]:
            user = User.objects.filter(username=opts["user"], is_active=True).first()
            if user is None:
                self._exit(
                    2,
                    {"error": f"用户 {opts['user']} 不存在"},
                    opts["json"],
                    f"用户 {opts['user']} 不存在",
                )
        actor = Actor(user, "cli") if user else Actor.system("cli")
        path = Path(opts["file"])
        if not path.is_file():
            self._exit(2, {"error": f"文件不存在：{path}"}, opts["json"], f"文件不存在：{path}")
        try:
            report = run_import(
                actor,
                str(path),
                path.name,
                org,
                mode=opts["mode"],
                dry_run=opts["dry_run"],
                allow_moves=opts["allow_moves"],
                sheet=opts["sheet"],
            )
            if opts["errors"] and report.rejected:
                # Unmasked personal data, where the operator asked for it: readable by them alone.
                fd = os.open(opts["errors"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "wb") as out:
                    write_errors(str(path), path.name, report, out)
        except RosterFileError as exc:
            self._exit(2, {"error": exc.message}, opts["json"], f"无法导入：{exc.message}")
        # The documented shape; a confirmed move (--allow-moves) counts as an update.
        payload = {
            "created": report.created,
            "updated": report.updated + report.moved,
            "unchanged": report.unchanged,
            "rejected": report.rejected,
            "errors": report.as_json()["errors"],
        }
        sheet = f"（工作表 {report.sheet}）" if report.sheet else ""
        lines = [
            f"{'检查' if opts['dry_run'] else '导入'}「{path.name}」{sheet}：",
            f"  新增 {report.created}，更新 {report.updated}，调动 {report.moved}，未变 {report.unchanged}，拒绝 {report.rejected}",
        ]
        if report.unknown_columns:
            lines.append(f"  未识别的列（已忽略）：{'、'.join(report.unknown_columns)}")
        for e in report.errors[:50]:
            lines.append(f"  第 {e.row} 行 [{e.column}] {e.message}")
        if len(report.errors) > 50:
            lines.append(
                f"  ……另有 {len(report.errors) - 50} 条错误"
                + ("，见 --errors 文件" if opts["errors"] else "")
            )
        if strict_blocks(opts["mode"], report.rejected) and not opts["dry_run"]:
            lines.append("  严格模式：存在被拒绝的行，未写入任何数据。")
        self._exit(1 if report.rejected else 0, payload, opts["json"], "\n".join(lines))
