"""`dangjian key status|generate|rotate`: the master key, seen and changed from the shell."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dangjian.core import keys
from dangjian.crypto import ImproperKey, _read_key_file, create_key_file
from dangjian.ops.keys import rotate


class Command(BaseCommand):
    help = "主密钥：查看状态（status）、生成新密钥文件（generate）、轮换（rotate）"
    requires_system_checks: list = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="密钥来源、指纹、是否与数据库一致、轮换进度")
        gen = sub.add_parser(
            "generate", help="生成一个新的随机密钥文件（权限 0600，不覆盖已有文件）"
        )
        gen.add_argument("path")
        rot = sub.add_parser(
            "rotate", help="用新密钥重新加密全部加密字段和盲索引（分批、可中断后继续、记入审计）"
        )
        rot.add_argument(
            "--new-key-file", required=True, help="新密钥文件；不存在时生成（请立即备份）"
        )
        rot.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, **options):
        action = options["action"]
        if action == "status":
            return self._status()
        if action == "generate":
            path = Path(options["path"])
            try:
                create_key_file(path)
            except ImproperKey as exc:
                raise CommandError(f"{path} 已存在，不会覆盖密钥文件") from exc
            self.stdout.write(f"已生成新密钥：{path}（权限 0600）。请立即备份。")
            return None
        return self._rotate(Path(options["new_key_file"]), options["batch_size"])

    def _status(self) -> None:
        status = keys.key_status()
        self.stdout.write(f"密钥来源：{status.source}")
        self.stdout.write(f"当前密钥指纹：{status.fingerprint or '（未配置）'}")
        self.stdout.write(f"数据库记录的指纹：{status.database_fingerprint or '（尚未记录）'}")
        for columns in keys.encrypted_columns():
            fields = "、".join(enc for enc, _ in columns.pairs)
            self.stdout.write(f"加密字段：{columns.label}（{fields}）")
        for problem in status.problems:
            self.stderr.write(problem)
        if status.problems:
            raise SystemExit(1)
        self.stdout.write("主密钥与数据库一致。")

    def _rotate(self, path: Path, batch_size: int) -> None:
        try:
            keys.ensure_key(allow_generate=False, allow_rotation=True)
        except keys.KeyProblem as exc:
            raise CommandError(str(exc)) from None
        source = settings.DANGJIAN_MASTER_SECRET_SOURCE
        if not path.exists():
            create_key_file(path)
            self.stdout.write(f"已生成新密钥：{path}（权限 0600）。请立即备份。")
        new_secret = _read_key_file(path, source=str(path))
        try:
            report = rotate(new_secret, batch_size=batch_size, out=self.stdout.write)
        except keys.KeyProblem as exc:
            raise CommandError(str(exc)) from None
        for label, count in report.reencrypted.items():
            self.stdout.write(f"  {label}：重新加密 {count} 行")
        self.stdout.write(
            f"完成：主密钥 {report.old_fingerprint} → {report.new_fingerprint}；"
            f"已吊销 API 令牌 {report.revoked_tokens} 个（请重新签发：dangjian token create）；"
            "所有用户需重新登录。"
        )
        self.stdout.write(self._switch_configuration(source, path))

    @staticmethod
    def _switch_configuration(source: str, new_path: Path) -> str:
        """Point the configuration at the new key where it is a file we may replace."""
        data_file = Path(settings.DATA_DIR) / "secret.key"
        if source.startswith("密钥文件 ") and Path(source[5:]) == data_file:
            retired = data_file.with_name(f"secret.key.retired-{timezone.now():%Y%m%d%H%M%S}")
            data_file.rename(retired)
            data_file.write_bytes(new_path.read_bytes())
            data_file.chmod(0o600)
            return (
                f"已用新密钥替换 {data_file}；旧密钥移到 {retired}。"
                "请备份新密钥，确认服务正常后再销毁旧密钥。"
            )
        return (
            f"请立即把配置改为新密钥（{new_path}）：设置 DANGJIAN_FIELD_KEY_FILE={new_path}，"
            f"或把 DANGJIAN_SECRET_KEY 改为其中的值（当前来源：{source}）。"
            "在此之前，用旧密钥启动会被拒绝。"
        )
