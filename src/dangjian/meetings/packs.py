"""The rule set in force: the national pack plus the deployment's local packs, audited on change.

Where the local packs come from, first match wins:

1. `settings.DANGJIAN_RULE_PACKS` (a list of sources), when the settings define it;
2. the environment variable `DANGJIAN_RULE_PACKS` (comma-separated sources; empty means none);
3. the file `DATA_DIR/rule_packs.txt` (one source a line, `#` starts a comment), which
   `dangjian demo` writes once with the bundled sample pack so the server it starts, and any
   later `dangjian serve` on the same data folder, applies the same rules;
4. otherwise no local pack: the national pack alone.

A source is a TOML file path (relative paths are read from DATA_DIR) or `bundled:NAME` for a
pack shipped in `dangjian/regulations/packs/` (e.g. `bundled:sample_local`). Every pack is
validated on load (`regulations.engine`); a Django system check turns a `PackError` into a
startup error. The first time a process applies a set of packs it compares each pack's
SHA-256 with the `LoadedRulePack` row and, when it differs, records one audit event with the
overrides, additions and parameters the pack applies, then updates the row.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.db import IntegrityError, transaction

from dangjian.regulations.engine import (
    PackError,
    RulePack,
    RuleSet,
    effective_rules,
    load_pack,
    national_pack,
)

__all__ = [
    "BUNDLED_PREFIX",
    "PACKS_ENV",
    "PACKS_FILE",
    "LoadedPack",
    "PackError",
    "check_rule_packs",
    "configured_sources",
    "load_rules",
    "remember_demo_packs",
    "rules_in_force",
    "sync_loaded_packs",
]

PACKS_ENV = "DANGJIAN_RULE_PACKS"
PACKS_FILE = "rule_packs.txt"
BUNDLED_PREFIX = "bundled:"
DEMO_SOURCES = ("bundled:sample_local",)
NATIONAL_SOURCE = "bundled:national"


@dataclass(frozen=True)
class LoadedPack:
    pack: RulePack
    source: str
    sha256: str


def _data_dir() -> Path:
    return Path(settings.DATA_DIR)


def _split(raw: str) -> list[str]:
    return [item.strip() for item in raw.replace("\n", ",").split(",") if item.strip()]


def configured_sources() -> list[str]:
    """The local pack sources in force, in the order they are applied."""
    value = getattr(settings, "DANGJIAN_RULE_PACKS", None)
    if value is not None:
        return _split(value) if isinstance(value, str) else [str(v) for v in value]
    raw = os.environ.get(PACKS_ENV)
    if raw is not None:
        return _split(raw)
    listed = _data_dir() / PACKS_FILE
    if listed.is_file():
        lines = listed.read_text(encoding="utf-8").splitlines()
        return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]
    return []


def _bundled_text(name: str) -> str:
    resource = resources.files("dangjian.regulations").joinpath("packs", f"{name}.toml")
    try:
        return resource.read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        raise PackError(f"{BUNDLED_PREFIX}{name}", "没有这个内置规则包") from None


def _path(source: str) -> Path:
    path = Path(source)
    return path if path.is_absolute() else _data_dir() / path


def _load(source: str) -> LoadedPack:
    if source.startswith(BUNDLED_PREFIX):
        name = source[len(BUNDLED_PREFIX) :]
        text = _bundled_text(name)
        pack = load_pack(text, name=f"packs/{name}.toml")
    else:
        path = _path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PackError(str(path), f"无法读取文件（{exc.strerror or exc}）") from exc
        # Through the path, so load_pack never mistakes a one-line file for TOML text.
        pack = load_pack(path, name=str(path))
    return LoadedPack(pack, source, hashlib.sha256(text.encode("utf-8")).hexdigest())


def _signature(sources: list[str]) -> tuple:
    """What must change for the packs to be read again: the sources and their files' stat."""
    parts: list[object] = []
    for source in sources:
        if source.startswith(BUNDLED_PREFIX):
            parts.append(source)
            continue
        try:
            stat = _path(source).stat()
            parts.append((source, stat.st_mtime_ns, stat.st_size))
        except OSError:
            parts.append((source, None))
    return tuple(parts)


def load_rules(sources: list[str] | None = None) -> tuple[RuleSet, tuple[LoadedPack, ...]]:
    """Read and validate the packs (national first) and apply them; raises PackError."""
    sources = configured_sources() if sources is None else sources
    national = national_pack()
    national_loaded = LoadedPack(
        national,
        NATIONAL_SOURCE,
        hashlib.sha256(_bundled_text("national").encode("utf-8")).hexdigest(),
    )
    local = tuple(_load(source) for source in sources)
    rules = effective_rules(national, *(item.pack for item in local))
    return rules, (national_loaded, *local)


_lock = threading.Lock()
_cache: dict[str, object] = {}


def rules_in_force(*, sync: bool = True) -> RuleSet:
    """The rule set in force, read once per process and again when a pack file changes.

    The first use of a new set of packs records any change of a pack in the audit log
    (`sync_loaded_packs`); later calls cost no query.
    """
    sources = configured_sources()
    signature = _signature(sources)
    with _lock:
        if _cache.get("signature") != signature:
            rules, loaded = load_rules(sources)
            _cache.update(signature=signature, rules=rules, loaded=loaded, synced=False)
        if sync and not _cache["synced"]:
            sync_loaded_packs(_cache["rules"], _cache["loaded"])  # type: ignore[arg-type]
            _cache["synced"] = True
        return _cache["rules"]  # type: ignore[return-value]


def reset_cache() -> None:
    """Forget the packs read so far (tests that change the packs in force)."""
    with _lock:
        _cache.clear()


def _what_pack_applies(item: LoadedPack, rules: RuleSet) -> dict[str, object]:
    pack = item.pack
    return {
        "source": item.source,
        "title": pack.title,
        "overrides": [
            {
                "rule_id": applied.rule_id,
                "before": dict(applied.before),
                "after": dict(applied.after),
                "reason": applied.reason,
            }
            for applied in rules.applied
            if applied.pack_id == pack.id
        ],
        "definitions": [
            {"rule_id": d.id, **dict(d.rule.params), "severity": d.severity.value}
            for d in pack.definitions
        ],
        "params": dict(pack.params),
    }


def sync_loaded_packs(rules: RuleSet, loaded: tuple[LoadedPack, ...]) -> list[str]:
    """Bring the LoadedRulePack rows in line with the packs in force; audit every change.

    Returns the ids of the packs whose change was recorded. Safe when two processes start
    at once: the row update is conditional, so only one of them records the change.
    """
    from dangjian.audit.models import AuditAction
    from dangjian.audit.services import Actor, record
    from dangjian.meetings.models import LoadedRulePack

    actor = Actor.system("rule_packs")
    changed: list[str] = []
    with transaction.atomic():
        stored = {row.pack_id: row for row in LoadedRulePack.objects.all()}
        for item in loaded:
            pack_id = item.pack.id
            row = stored.pop(pack_id, None)
            if row is not None and row.sha256 == item.sha256 and row.source == item.source:
                continue
            what = _what_pack_applies(item, rules)
            if row is None:
                try:
                    with transaction.atomic():
                        row = LoadedRulePack.objects.create(
                            pack_id=pack_id, source=item.source[:500], sha256=item.sha256
                        )
                except IntegrityError:
                    continue  # another process recorded it first
                action, message = AuditAction.CREATE, f"启用规则包 {pack_id}（{item.pack.title}）"
                changes = {"sha256": [None, item.sha256], **what}
            else:
                updated = (
                    LoadedRulePack.objects.filter(pk=row.pk, sha256=row.sha256, source=row.source)
                    .exclude(sha256=item.sha256, source=item.source)
                    .update(source=item.source[:500], sha256=item.sha256)
                )
                if not updated:
                    continue
                action = AuditAction.UPDATE
                message = f"规则包 {pack_id}（{item.pack.title}）内容已变更，按新内容生效"
                changes = {"sha256": [row.sha256, item.sha256], **what}
            record(
                actor,
                action,
                object_type="meetings.loadedrulepack",
                object_id=pack_id,
                object_repr=f"规则包 {pack_id}",
                changes=changes,
                message=message,
            )
            changed.append(pack_id)
        for pack_id, row in stored.items():
            if LoadedRulePack.objects.filter(pk=row.pk).delete()[0]:
                record(
                    actor,
                    AuditAction.DELETE,
                    object_type="meetings.loadedrulepack",
                    object_id=pack_id,
                    object_repr=f"规则包 {pack_id}",
                    changes={"sha256": [row.sha256, None], "source": [row.source, None]},
                    message=f"停用规则包 {pack_id}",
                )
                changed.append(pack_id)
    return changed


def remember_demo_packs() -> str | None:
    """Make the demo's packs (the bundled sample) the data folder's choice, once.

    Nothing is written when the packs are set by the settings or the environment, or when
    the data folder already names its packs. Returns the file written, or None.
    """
    if getattr(settings, "DANGJIAN_RULE_PACKS", None) is not None or PACKS_ENV in os.environ:
        return None
    listed = _data_dir() / PACKS_FILE
    if listed.exists():
        return None
    listed.parent.mkdir(parents=True, exist_ok=True)
    listed.write_text(
        "# 本数据目录启用的地方规则包（每行一个；bundled:名称 为内置规则包，其他为 TOML 文件路径）\n"
        "# 环境变量 DANGJIAN_RULE_PACKS 优先于本文件。\n" + "\n".join(DEMO_SOURCES) + "\n",
        encoding="utf-8",
    )
    return str(listed)


@checks.register("dangjian")
def check_rule_packs(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Refuse to start with a rule pack that does not load or apply."""
    try:
        load_rules()
    except PackError as exc:
        return [
            checks.Error(
                f"地方规则包无效，系统未启动：{exc}",
                hint=(
                    f"请修改规则包文件，或调整环境变量 {PACKS_ENV} / 数据目录中的 {PACKS_FILE}"
                    "（规则包格式见 dangjian/regulations/packs/sample_local.toml）"
                ),
                id="dangjian.E101",
            )
        ]
    return []
