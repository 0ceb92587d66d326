"""`dangjian restore IN`: into an empty data folder or database, then verify everything."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangjian.ops.backup import BackupError, restore
from dangjian.ops.management.commands.backup import read_passphrase


class Command(BaseCommand):
    help = "恢复：从备份恢复到空的数据目录或空数据库，核对校验和与行数，并校验审计哈希链"
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("archive", help="dangjian backup 生成的备份文件")
        parser.add_argument("--passphrase-file", help="备份中含主密钥时，保存口令的文件")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出结果")

    def handle(self, *args, **options):
        try:
            report = restore(
                Path(options["archive"]), passphrase=read_passphrase(options["passphrase_file"])
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            self.stdout.write(
                f"已恢复 {report.manifest['created_at']} 的备份：{report.files_checked} 个文件校验和一致，"
                f"{len(report.row_counts)} 张表"
            )
            if report.key_written:
                self.stdout.write(f"主密钥已写入 {report.key_written}（权限 0600），请另行备份。")
            for table, (expected, got) in report.count_differences.items():
                self.stderr.write(f"  {table}：备份时 {expected} 行，恢复后 {got} 行")
            self.stdout.write(
                f"审计哈希链：{'完整' if report.chain_ok else '不完整：' + report.chain_reason}"
                f"（{report.chain_checked} 条）"
            )
        if not report.ok:
            raise SystemExit(1)
