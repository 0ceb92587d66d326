"""`dangjian backup OUT`: a consistent snapshot of the running platform in one archive."""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangjian.ops.backup import BackupError, backup


def read_passphrase(path: str | None) -> str | None:
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get("DANGJIAN_BACKUP_PASSPHRASE") or None


class Command(BaseCommand):
    help = "备份：数据库快照（服务运行中也一致）、上传文件、数据目录的配置文件和校验清单"
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("out", help="备份文件（.tar.gz），或存放它的目录")
        parser.add_argument(
            "--include-key",
            action="store_true",
            help="把主密钥用口令加密后放入备份（口令来自 --passphrase-file 或 DANGJIAN_BACKUP_PASSPHRASE）",
        )
        parser.add_argument("--passphrase-file", help="保存口令的文件")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出清单")

    def handle(self, *args, **options):
        passphrase = None
        if options["include_key"]:
            passphrase = read_passphrase(options["passphrase_file"])
            if not passphrase:
                raise CommandError(
                    "--include-key 需要口令：--passphrase-file 文件 或环境变量 DANGJIAN_BACKUP_PASSPHRASE"
                )
        try:
            report = backup(Path(options["out"]), passphrase=passphrase)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        manifest = report.manifest
        if options["json"]:
            self.stdout.write(
                json.dumps({"path": str(report.path), **manifest}, ensure_ascii=False)
            )
            return
        rows = sum(manifest["row_counts"].values())
        files = sum(1 for name in manifest["files"] if name.startswith("media/"))
        self.stdout.write(
            f"已备份到 {report.path}：{manifest['engine']} 数据库 {len(manifest['row_counts'])} 张表 "
            f"{rows} 行，上传文件 {files} 个；主密钥指纹 {manifest['key_fingerprint']}"
            + (
                "（已用口令加密放入备份）"
                if manifest["key_included"]
                else "（未放入备份，请另行保管）"
            )
        )
