"""Verifying a dossier against the manifest an inspector uploads (the `manifest.json` inside the
dossier's .zip), not against a dossier row of the platform: the inspector holds the file, the
platform answers whether the records it lists are still those of today.

- `read(handle, name, size)` takes the upload through the shared uploads home (type by content,
  size limit) and checks that it is a dossier manifest: valid JSON, an organization code, a
  period of at most three years, per section the SHA-256 of its rows, per file its SHA-256. Every
  refusal is a Chinese `ServiceValidationError` on the field `manifest`.
- `check(user, manifest)` rebuilds each listed section from today's records (the organization
  must be in the user's read scope: 404 otherwise) and answers per entry 未变 / 已变化 / 已缺失:
  a section by its rows' hash; an .xlsx annex with its section; the .docx and its PDF with every
  section; a meeting attachment by the SHA-256 of the stored file today. It also says whether the
  audit chain head the manifest names is the platform's, and whether the platform generated a
  dossier with exactly this manifest (a manifest edited by hand matches none).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import IO, Any

from dangjian.accounts.access import Action, get_org_for_user
from dangjian.audit.models import AuditEvent
from dangjian.core import uploads
from dangjian.core.dossier import records_hash, sections
from dangjian.core.errors import ServiceValidationError
from dangjian.desk.dossiers import DOCX_NAME, MAX_DAYS, PDF_NAME
from dangjian.desk.models import Dossier

MANIFEST = uploads.Policy(
    kinds={"txt": ("application/json", frozenset({".json"}))},
    allowed_text="台账压缩包中的清单文件 manifest.json",
    max_mb_setting="DANGJIAN_MANIFEST_MAX_MB",
    max_mb_default=5,
    default_name="manifest.json",
    refusals={
        "zip": "这是一个压缩包：请解压台账压缩包，上传其中的 manifest.json",
        "damaged-zip": "这是一个已损坏的压缩包：请上传台账压缩包中的 manifest.json",
    },
    name_content=True,
)
HEX64 = re.compile(r"^[0-9a-f]{64}$")
ANNEX = re.compile(r"^\d{3}-(?P<key>[a-z_]+)\.xlsx$")
ATTACHMENT = re.compile(r"^attachments/(?P<key>[a-z_]+)/(?P<name>.+)$")
DAMAGED = "清单内容不完整或已被改动，无法核验"

UNCHANGED, CHANGED, MISSING = "unchanged", "changed", "missing"
VERDICTS = {UNCHANGED: "未变", CHANGED: "已变化", MISSING: "已缺失"}


@dataclass(frozen=True)
class Manifest:
    code: str
    name: str
    starts_on: dt.date
    ends_on: dt.date
    audit_seq: int
    audit_hash: str
    generated_at: str
    sections: dict[str, str]  # key -> SHA-256 of its rows
    titles: dict[str, str]
    files: dict[str, str]  # name in the .zip -> SHA-256
    raw: dict = field(repr=False, compare=False, default_factory=dict)


@dataclass(frozen=True)
class Entry:
    kind: str  # 记录 / 文件
    name: str
    verdict: str

    @property
    def label(self) -> str:
        return VERDICTS[self.verdict]


@dataclass
class Outcome:
    manifest: Manifest
    org: Any
    entries: list[Entry]
    chain_ok: bool
    dossier: Dossier | None

    def count(self, verdict: str) -> int:
        return sum(1 for e in self.entries if e.verdict == verdict)

    @property
    def counts(self) -> dict[str, int]:
        return {v: self.count(v) for v in VERDICTS}

    @property
    def unchanged(self) -> bool:
        return all(e.verdict == UNCHANGED for e in self.entries)


def _refuse(detail: str) -> ServiceValidationError:
    return ServiceValidationError({"manifest": detail})


def read(handle: IO[bytes], name: object, size: int | None = None) -> Manifest:
    """The uploaded file as a manifest, or a Chinese refusal saying what is wrong with it."""
    checked = uploads.check(handle, name, MANIFEST, size, "manifest")
    handle.seek(0)
    try:
        raw = json.loads(handle.read(checked.size + 1).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _refuse(f"{checked.original_name}：不是有效的台账清单（无法按 JSON 读取）") from None
    if not isinstance(raw, dict) or not {"organization", "period", "sections"} <= set(raw):
        raise _refuse(f"{checked.original_name}：不是台账清单（缺少组织、期间或各部分摘要）")
    try:
        return _parse(raw)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise _refuse(f"{checked.original_name}：{DAMAGED}") from None


def _digests(mapping: Any, pick) -> dict[str, str]:
    out = {}
    for key, value in dict(mapping).items():
        digest = pick(value)
        if not isinstance(key, str) or not isinstance(digest, str) or not HEX64.match(digest):
            raise ValueError(key)
        out[key] = digest
    return out


def _parse(raw: dict) -> Manifest:
    org = raw["organization"]
    start, end = (dt.date.fromisoformat(d) for d in raw["period"])
    if not isinstance(org["code"], str) or end < start or (end - start).days > MAX_DAYS:
        raise ValueError("period")
    head = raw.get("audit_head") or {}
    return Manifest(
        code=org["code"],
        name=str(org.get("name", "")),
        starts_on=start,
        ends_on=end,
        audit_seq=int(head.get("seq", 0)),
        audit_hash=str(head.get("hash", "")),
        generated_at=str(raw.get("generated_at", "")),
        sections=_digests(raw["sections"], lambda v: v["records_sha256"]),
        titles={k: str(v.get("title", k)) for k, v in raw["sections"].items()},
        files=_digests(raw.get("files") or {}, lambda v: v),
        raw=raw,
    )


def _file_digest(field_file) -> str | None:
    digest = hashlib.sha256()
    try:
        with field_file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except (FileNotFoundError, ValueError):
        return None
    return digest.hexdigest()


def check(user, manifest: Manifest) -> Outcome:
    """Each entry of the manifest against today's records (404 outside the user's read scope)."""
    org = get_org_for_user(user, manifest.code, Action.READ, field_name="code")
    start, end = manifest.starts_on, manifest.ends_on
    known = {s.key: s for s in sections()}
    verdicts: dict[str, str] = {}
    entries = []
    for key, digest in manifest.sections.items():
        section = known.get(key)
        if section is None:
            verdicts[key] = MISSING
        else:
            same = records_hash(section.build(org, start, end)) == digest
            verdicts[key] = UNCHANGED if same else CHANGED
        entries.append(Entry("记录", manifest.titles.get(key, key), verdicts[key]))
    whole = UNCHANGED if all(v == UNCHANGED for v in verdicts.values()) else CHANGED
    now: dict[str, dict[str, str | None]] = {}
    for name, digest in sorted(manifest.files.items()):
        if name in (DOCX_NAME, PDF_NAME):
            verdict = whole
        else:
            verdict = _file_verdict(name, digest, org, manifest, now, verdicts)
        entries.append(Entry("文件", name, verdict))
    return Outcome(manifest, org, entries, _chain_ok(manifest), _platform_dossier(org, manifest))


def _file_verdict(name, digest, org, manifest, now, verdicts) -> str:
    """A file's verdict: the .docx and its PDF follow every section (made from all their rows),
    an .xlsx annex its section, an attachment the stored file's bytes today."""
    annex = ANNEX.match(name)
    if annex:
        return verdicts.get(annex["key"], MISSING)
    attachment = ATTACHMENT.match(name)
    if attachment:
        key = attachment["key"]
        if key not in now:
            now[key] = _attachments_now(key, org, manifest)
        current = now[key].get(attachment["name"])
        if current is None:
            return MISSING
        return UNCHANGED if current == digest else CHANGED
    return MISSING


def _attachments_now(key, org, manifest) -> dict[str, str | None]:
    section = {s.key: s for s in sections()}.get(key)
    if section is None or section.attachments is None:
        return {}
    listed = section.attachments(org, manifest.starts_on, manifest.ends_on)
    return {name: _file_digest(field_file) for name, field_file in listed}


def _chain_ok(manifest: Manifest) -> bool:
    """Is the head the manifest names the platform's audit event of that number?"""
    if manifest.audit_seq == 0:
        return False
    event = AuditEvent.objects.filter(seq=manifest.audit_seq).values_list("hash", flat=True)
    return next(iter(event), None) == manifest.audit_hash


def _platform_dossier(org, manifest: Manifest) -> Dossier | None:
    """The platform's dossier whose manifest is exactly the uploaded one, if any."""
    made = Dossier.objects.filter(
        organization=org, starts_on=manifest.starts_on, ends_on=manifest.ends_on
    ).only("pk", "manifest", "created_at", "organization")
    return next((d for d in made if d.manifest == manifest.raw), None)
