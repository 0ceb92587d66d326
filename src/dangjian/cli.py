"""The `dangjian` command: demo, serve, and every Django management command."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    import django

    django.setup()


# Commands that run whatever the key: they report on it (check, key), copy data as it is
# (backup) or bring a key with the data (restore).
KEY_EXEMPT = {"check", "key", "backup", "restore", "help", "version", "--help", "-h", "--version"}


def _require_key() -> None:
    """Stop here, with the reason in Chinese, when the master key is missing or not the
    database's; generate one only for an empty database (and say so)."""
    from dangjian.core.keys import KeyProblem, ensure_key

    try:
        ensure_key(out=lambda message: print(message, file=sys.stderr))
    except KeyProblem as exc:
        print(f"dangjian：{exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _prepare_database(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
    call_command("collectstatic", interactive=False, verbosity=0)
    _private_data_files()


def _private_data_files() -> None:
    """The data folder 0700 and the embedded SQLite database with its -wal/-shm files 0600:
    they hold the encrypted columns, the audit log and the key check. (New files are private
    anyway: `main` sets the umask 077; this repairs what an older version created.)"""
    from django.conf import settings
    from django.db import connection

    data_dir = Path(settings.DATA_DIR)
    if data_dir.is_dir():
        data_dir.chmod(0o700)
    if connection.vendor == "sqlite":
        name = Path(str(connection.settings_dict["NAME"]))
        for path in (name, Path(f"{name}-wal"), Path(f"{name}-shm")):
            if path.exists():
                path.chmod(0o600)


def _die_with_parent() -> None:
    """In the child: ask Linux to end it when the server process ends, however that happens
    (a SIGKILL leaves no `finally` to terminate helpers). Elsewhere a no-op."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _start_helper(*args: str):
    import subprocess

    return subprocess.Popen(  # noqa: S603 (our own interpreter and command)
        [sys.executable, "-m", "dangjian.cli", *args], preexec_fn=_die_with_parent
    )


def _start_task_worker():
    """The background worker (roster imports and other long work) beside the web server."""
    return _start_helper("db_worker", "--queue-name", "*", "--no-reload")


def _start_ticker():
    """`dangjian tick` every five minutes: reminders, overdue marks, 督办 without a cron job."""
    return _start_helper("tick", "--every", "300")


def _gunicorn(
    bind: str,
    workers: int,
    extra: list[str],
    *,
    with_worker: bool = True,
    with_ticker: bool = True,
) -> int:
    from gunicorn.app.wsgiapp import run

    helpers = []
    if with_worker:
        helpers.append(_start_task_worker())
    if with_ticker:
        helpers.append(_start_ticker())
    try:
        return _run_gunicorn(run, bind, workers, extra)
    finally:
        for helper in helpers:
            helper.terminate()
        for helper in helpers:
            helper.wait(timeout=30)


def _quiet_server_header() -> None:
    """gunicorn names itself and its version in a `Server` header on every answer: drop it
    (the workers are forked from this process and inherit the change)."""
    from gunicorn.http import wsgi

    if getattr(wsgi.Response, "_dangjian_quiet", False):
        return
    default_headers = wsgi.Response.default_headers

    def without_server(self):
        return [h for h in default_headers(self) if not h.lower().startswith("server:")]

    wsgi.Response.default_headers = without_server
    wsgi.Response._dangjian_quiet = True


# A Unix socket path must fit in sockaddr_un (108 bytes on Linux, with the final NUL).
_MAX_SOCKET_PATH = 100


def _control_socket_args() -> list[str]:
    """gunicorn's control socket inside the data folder, so two instances on one host (each
    with its own data folder) never share the per-user default."""
    from django.conf import settings

    path = settings.DATA_DIR / "gunicorn.ctl"
    if len(os.fsencode(str(path))) > _MAX_SOCKET_PATH:
        print(
            f"数据目录路径过长，无法在其中创建控制套接字（{path}），本次不启用 gunicorn 控制套接字。",
            file=sys.stderr,
        )
        return ["--no-control-socket"]
    return ["--control-socket", str(path)]


def _run_gunicorn(run, bind: str, workers: int, extra: list[str]) -> int:
    _quiet_server_header()
    # The checks and migrations above ran in this process; its database connections must not
    # be inherited by the forked workers, which keep connections of their own (CONN_MAX_AGE).
    from django.db import connections

    connections.close_all()
    sys.argv = [
        "gunicorn",
        "dangjian.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        # Paths without query strings or referrers, ID and phone numbers masked.
        "--logger-class",
        "dangjian.core.accesslog.AccessLogger",
        *_control_socket_args(),
        *extra,
    ]
    return run() or 0


def demo(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="dangjian demo", description="创建演示数据并启动（嵌入式 SQLite）"
    )
    parser.add_argument(
        "--prepare-only", action="store_true", help="只准备数据库和演示数据，不启动服务"
    )
    parser.add_argument("--password", default=None, help="演示账号的密码（默认 Dangjian@2026）")
    parser.add_argument("--bind", default="127.0.0.1:8000", help="监听地址，默认 127.0.0.1:8000")
    parser.add_argument("--seed", type=int, default=20261125, help="演示数据的随机种子")
    parser.add_argument(
        "--scale",
        choices=["organ", "province"],
        default="organ",
        help="演示数据规模：organ（一个机关，默认）或 province（约3000个党支部、6万名党员）",
    )
    args = parser.parse_args(argv)
    _setup()
    from django.conf import settings

    from dangjian.demo import (
        DEFAULT_PASSWORD,
        DEMO_USERS,
        PROVINCE_USER,
        ensure_demo,
        ensure_province,
    )
    from dangjian.meetings.packs import remember_demo_packs

    print(f"数据目录：{settings.DATA_DIR}")
    _require_key()
    # The demo applies the bundled sample local pack; the data folder remembers the choice.
    remember_demo_packs()
    _prepare_database()
    _require_key()  # a new database records the key's check value
    password = args.password or DEFAULT_PASSWORD
    created = ensure_demo(password=password, seed=args.seed, out=print)
    if not created:
        print("演示数据已存在，保留原有数据。")
    from dangjian.core.clock import today
    from dangjian.demo import ensure_recruitment, ensure_study, ensure_work_items

    ensure_work_items(today=today(), seed=args.seed)
    ensure_study(today=today(), seed=args.seed)
    ensure_recruitment(today=today(), seed=args.seed)
    from dangjian.dues.demo import ensure_dues

    ensure_dues(today=today(), seed=args.seed)
    users = list(DEMO_USERS)
    if args.scale == "province":
        print("正在生成省级规模演示数据（约3000个党支部、6万名党员、3年会议记录）……", flush=True)
        if not ensure_province(password=password, seed=args.seed, out=print):
            print("省级规模演示数据已存在，保留原有数据。")
        users.append(PROVINCE_USER)
    print(
        "\n演示账号（密码：%s）："
        % (password if created or args.password else "首次创建时设置的密码")
    )
    for username, label in users:
        print(f"  {username:<10} {label}")
    if args.prepare_only:
        return 0
    print(f"\n打开浏览器访问： http://{args.bind}/   （按 Ctrl+C 停止）\n", flush=True)
    return _gunicorn(args.bind, 2, ["--timeout", "120"])


def serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="dangjian serve", description="以生产方式运行（gunicorn + whitenoise）"
    )
    parser.add_argument("--bind", default=os.environ.get("DANGJIAN_BIND", "127.0.0.1:8000"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("DANGJIAN_WORKERS", "3")))
    parser.add_argument("--no-migrate", action="store_true", help="启动前不执行数据库迁移")
    parser.add_argument(
        "--no-task-worker",
        action="store_true",
        help="不启动后台任务进程（另行运行 `dangjian db_worker` 时使用）",
    )
    parser.add_argument(
        "--no-tick",
        action="store_true",
        help="不自动运行定时任务（已用 cron 或 systemd 定时运行 `dangjian tick` 时使用；重复运行也无妨）",
    )
    args, extra = parser.parse_known_args(argv)
    _setup()
    _require_key()
    if not args.no_migrate:
        _prepare_database(verbosity=1)
        _require_key()  # a new database records the key's check value
    return _gunicorn(
        args.bind,
        args.workers,
        extra,
        with_worker=not args.no_task_worker,
        with_ticker=not args.no_tick,
    )


def main(argv: list[str] | None = None) -> int:
    # Every file and folder the platform creates (database, WAL, uploads, keys, backups) is
    # readable by its own user only.
    os.umask(0o077)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "demo":
        return demo(argv[1:])
    if argv and argv[0] == "serve":
        return serve(argv[1:])
    # Friendly spellings of our own commands (Django command modules cannot contain hyphens).
    aliases = {"import-roster": "import_roster"}
    if argv and argv[0] in aliases:
        argv[0] = aliases[argv[0]]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    if argv and argv[0] not in KEY_EXEMPT and not argv[0].startswith("-"):
        _setup()
        _require_key()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["dangjian", *argv])
    if argv and argv[0] == "migrate":
        _private_data_files()
    return 0


if __name__ == "__main__":
    sys.exit(main())
