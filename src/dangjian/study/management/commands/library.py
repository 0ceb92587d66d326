"""`dangjian library import DIR --org CODE [--category C]`: publish a folder of documents.

Idempotent: a file whose content the organization already published is reported as unchanged,
so running it again adds nothing. Each file is published on its own (one refused file does not
stop the others); a summary and the refused files with their reasons are printed at the end.
Exit codes: 0 every file published or already there, 1 some files refused, 2 nothing to do
(no such folder or organization).

`dangjian library reindex` rebuilds the search terms and keywords of every material (after a
change of tokenizer or dictionary).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from dangjian.accounts.models import User
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.orgs.models import Organization
from dangjian.study import services
from dangjian.study import text as textlib
from dangjian.study.analysis import Analysis, analyse_file
from dangjian.study.models import Material, OcrState

SUFFIXES = {".docx", ".pdf", ".txt", ".doc", ".wps"}


class Progress:
    """A one-line progress bar on a terminal, a line every 10% elsewhere."""

    def __init__(self, total: int, stream):
        self.total = max(total, 1)
        self.stream = stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.started = time.monotonic()
        self.last_decile = -1

    def update(self, done: int, label: str = "") -> None:
        share = done / self.total
        if self.tty:
            filled = int(share * 30)
            bar = "█" * filled + "·" * (30 - filled)
            self.stream.write(f"\r[{bar}] {done}/{self.total} {label[:30]:<30}")
            self.stream.flush()
        elif int(share * 10) != self.last_decile or done == self.total:
            self.last_decile = int(share * 10)
            self.stream.write(f"{done}/{self.total}（{share:.0%}）\n")

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


class Analyses:
    """Files analysed ahead (text, terms, keywords: `study.analysis`) in worker processes while
    this process writes the previous ones; at most `AHEAD` per worker wait to be written. Files
    the organization already published are not analysed (the import returns them as they are).
    With one job, or one file, each file is analysed in line when it is published."""

    AHEAD = 4

    def __init__(self, paths: list[Path], org: Organization, jobs: int):
        jobs = jobs or min(os.cpu_count() or 1, 4)
        known = set(Material.objects.filter(organization=org).values_list("sha256", flat=True))
        self.todo = [p for p in paths if _sha256(p) not in known]
        self.pending: dict[Path, Future] = {}
        self.pool = None
        if jobs > 1 and len(self.todo) > 1:
            # Warm jieba and its IDF table once: the forked workers share them.
            textlib.words("学习")
            textlib.keywords(["学习"])
            # The workers never touch the database; they end with os._exit, so the connection
            # they inherit is neither used nor closed by them.
            context = multiprocessing.get_context("fork")
            self.pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context)
            self.window = jobs * self.AHEAD
            self._fill()

    def _fill(self) -> None:
        while self.todo and len(self.pending) < self.window:
            path = self.todo.pop(0)
            self.pending[path] = self.pool.submit(
                analyse_file, str(path), path.name, path.stat().st_size
            )

    def result(self, path: Path) -> Analysis | None:
        future = self.pending.pop(path, None)
        if future is None:
            return None
        self._fill()
        try:
            outcome = future.result()
        except Exception:  # a worker that died: the file is analysed again in line
            return None
        return outcome if isinstance(outcome, Analysis) else None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _scan_line(material) -> str:
    if material.ocr_state == OcrState.PENDING:
        return "无文字层（扫描件，已排队由后台任务识别文字）"
    return "无文字层（扫描件，不能全文检索）"


class Command(BaseCommand):
    help = "学习资料库：import 导入文件夹中的资料；reindex 重建检索词。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="导入文件夹中的 .docx、.pdf、.txt（及 .doc、.wps）")
        imp.add_argument("folder")
        imp.add_argument("--org", required=True, help="发布组织的组织编码")
        imp.add_argument("--category", default="", help="分类，如 理论学习")
        imp.add_argument("--author", default="", help="作者")
        imp.add_argument("--user", help="以此用户的身份导入（权限与审计）；默认：系统")
        imp.add_argument(
            "--jobs",
            type=int,
            default=0,
            help="同时解析文件的进程数；默认：处理器核数（至多 4），1 为不另起进程",
        )
        sub.add_parser("reindex", help="重建全部资料的检索词和关键词")

    def handle(self, *args, **opts):
        if opts["action"] == "reindex":
            count = services.reindex_all()
            self.stdout.write(f"已重建 {count} 份资料的检索词和关键词")
            return
        self._import(opts)

    def _import(self, opts) -> None:
        folder = Path(opts["folder"])
        if not folder.is_dir():
            self.stderr.write(f"文件夹不存在：{folder}")
            sys.exit(2)
        org = Organization.objects.filter(code=opts["org"].strip().upper()).first()
        if org is None:
            self.stderr.write(f"组织编码 {opts['org']} 不存在")
            sys.exit(2)
        user = None
        if opts["user"]:
            user = User.objects.filter(username=opts["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"用户 {opts['user']} 不存在或已停用")
        actor = Actor(user=user, ip="cli") if user else Actor.system("library import")
        paths = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        skipped = sorted(
            p
            for p in folder.rglob("*")
            if p.is_file() and p.suffix.lower() not in SUFFIXES and not p.name.startswith(".")
        )
        data = {"category": opts["category"], "author": opts["author"]}
        created = unchanged = 0
        refused: list[tuple[Path, str]] = []
        no_text: list[tuple[Path, str]] = []
        progress = Progress(len(paths), self.stderr)
        started = time.monotonic()
        analysed = Analyses(paths, org, opts["jobs"])
        for index, path in enumerate(paths, start=1):
            try:
                with path.open("rb") as handle:
                    result = services.import_file(
                        actor,
                        org,
                        handle,
                        path.name,
                        data,
                        size=path.stat().st_size,
                        analysis=analysed.result(path),
                    )
            except ServiceValidationError as exc:
                refused.append((path, "；".join(exc.errors.values())))
            except PermissionDenied as exc:
                raise CommandError(str(exc) or "没有权限") from None
            else:
                if result.created:
                    created += 1
                    if not result.material.has_text:
                        no_text.append((path, _scan_line(result.material)))
                else:
                    unchanged += 1
            progress.update(index, path.name)
        progress.close()
        analysed.close()
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"导入完成（{org.name}，用时 {elapsed:.1f} 秒）：新增 {created} 份，"
            f"已存在 {unchanged} 份，未导入 {len(refused)} 份"
            + (f"，跳过不支持的文件 {len(skipped)} 个" if skipped else "")
        )
        for path, note in no_text:
            self.stdout.write(f"  {note}：{path.relative_to(folder)}")
        for path, reason in refused:
            self.stdout.write(f"  未导入：{path.relative_to(folder)}：{reason}")
        if refused:
            sys.exit(1)
