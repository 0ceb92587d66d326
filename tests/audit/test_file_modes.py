"""The data folder is 0700 and the embedded SQLite database with its WAL 0600 after `dangjian
migrate` (an older install's looser modes are repaired too)."""

from __future__ import annotations

import stat

from tests.test_cli import DB_FILE, dangjian, on_sqlite_runs_only


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@on_sqlite_runs_only
def test_migrate_leaves_the_data_folder_and_the_database_files_private(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)

    result = dangjian(data_dir, "migrate", "-v", "0")
    assert result.returncode == 0, result.stderr
    db = data_dir / DB_FILE
    db.chmod(0o644)  # as an older version left it
    assert dangjian(data_dir, "migrate", "-v", "0").returncode == 0

    assert mode(data_dir) == 0o700
    assert mode(db) == 0o600
    for other in data_dir.glob(DB_FILE + "-*"):  # -wal, -shm
        assert mode(other) == 0o600
    loose = [
        str(p.relative_to(data_dir))
        for p in data_dir.rglob("*")
        if mode(p) & 0o077 and not p.is_symlink()
    ]
    assert loose == []
