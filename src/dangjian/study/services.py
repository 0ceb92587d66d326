"""Every write to the library: publishing, editing and withdrawing materials, monthly topics,
a meeting's materials, and the opened-count.

Each function checks the actor's write scope, validates everything first (one Chinese message
per field), then writes in one transaction with its audit event. A refused or failed publish
leaves nothing: no row, no stored file. Opening a material adds one to its total and records
nothing else (who opened it is never stored: no audit event, no log line with a name).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.db.models import F

from dangjian.accounts.access import require_write
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core import inputs
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.orgs.history import refuse_dissolved
from dangjian.orgs.models import Organization
from dangjian.study import analysis as analysis_
from dangjian.study import files, services_ocr
from dangjian.study import text as textlib
from dangjian.study.models import (
    Material,
    MaterialFormat,
    MaterialKeyword,
    MaterialText,
    MeetingMaterial,
    OcrState,
    StudyTopic,
)
from dangjian.study.queries import TOPIC_ORG_KINDS, materials_for_org

ABSTRACT_LIMIT = 2000
NOTE_LIMIT = 2000
MAX_TOPIC_MATERIALS = 50


@dataclass(frozen=True)
class Published:
    material: Material
    created: bool  # False: the same file was already published by the organization


def _fields(data: Mapping[str, Any], errors: dict[str, str], *, partial: bool = False) -> dict:
    """Title, author, category and abstract as given (only the given ones when `partial`)."""
    out: dict[str, str] = {}
    specs = (
        ("title", "标题", 200),
        ("author", "作者", 100),
        ("category", "分类", 50),
    )
    for key, label, limit in specs:
        if partial and key not in data:
            continue
        out[key] = inputs.short_text(data.get(key), key, label, limit, errors)
    if not partial or "abstract" in data:
        out["abstract"] = inputs.long_text(
            data.get("abstract"), "abstract", "摘要", ABSTRACT_LIMIT, errors
        )
    return out


def _format_of(checked: files.CheckedFile) -> str:
    if checked.kind == "doc":
        return MaterialFormat.WPS if checked.extension == ".wps" else MaterialFormat.DOC
    return checked.kind


def _index(material: Material, analysis: analysis_.Analysis | None) -> None:
    """The text row and keywords of a material (its search index follows by trigger or
    generated column); without `analysis`, only the title's terms are renewed."""
    if analysis is None:
        title_terms = textlib.terms(textlib.search_words(material.title))
        MaterialText.objects.filter(pk=material.pk).update(title_terms=title_terms)
        return
    MaterialText.objects.create(
        material=material,
        text=analysis.extracted.text,
        preview=analysis.extracted.preview,
        title_terms=analysis.title_terms,
        body_terms=analysis.body_terms,
    )
    _keyword_rows(material, analysis.keywords)


def _keyword_rows(material: Material, pairs: list[tuple[str, float]]) -> None:
    MaterialKeyword.objects.bulk_create(
        MaterialKeyword(material=material, word=word, weight=weight) for word, weight in pairs
    )


def index_keywords(material: Material, word_list: list[str]) -> None:
    # The title counts three times: it says what the material is about.
    _keyword_rows(material, textlib.keywords(textlib.words(material.title) * 3 + word_list))


def reindex_all() -> int:
    """Renew every material's search terms and keywords (after a tokenizer or dictionary
    change); one material per transaction, so a long run can be interrupted."""
    count = 0
    for pk in Material.objects.order_by("pk").values_list("pk", flat=True).iterator():
        with transaction.atomic():
            material = Material.objects.select_for_update().filter(pk=pk).first()
            row = MaterialText.objects.filter(pk=pk).first()
            if material is None or row is None:
                continue
            word_list = textlib.words(row.text[: textlib.INDEX_CHARS])
            row.title_terms = textlib.terms(textlib.search_words(material.title))
            row.body_terms = textlib.terms(textlib.expand(word_list))
            row.save(update_fields=["title_terms", "body_terms"])
            MaterialKeyword.objects.filter(material=material).delete()
            index_keywords(material, word_list)
            count += 1
    return count


def _publish(
    actor: Actor,
    organization: Organization,
    handle: IO[bytes],
    name: str,
    data: Mapping[str, Any],
    *,
    size: int | None = None,
    existing_ok: bool = False,
    analysis: analysis_.Analysis | None = None,
) -> Published:
    require_write(actor, organization, "您不能为该组织发布学习资料")
    errors: dict[str, str] = {}
    fields = _fields(data, errors)
    checked = None
    try:
        checked = files.check(handle, name, size)
    except ServiceValidationError as exc:
        errors.update(exc.errors)
    if checked is not None:
        existing = Material.objects.filter(organization=organization, sha256=checked.sha256).first()
        if existing is not None:
            if existing_ok:
                return Published(existing, False)
            errors["file"] = f"{checked.original_name}：该文件已发布过（《{existing.title}》）"
    if errors:
        raise ServiceValidationError(errors)
    title = fields["title"] or analysis_.default_title(checked.original_name)
    if analysis is None or analysis.sha256 != checked.sha256 or analysis.title != title:
        analysis = analysis_.analyse(checked, fields["title"])
    extracted = analysis.extracted
    fields["title"] = title
    fields["abstract"] = fields["abstract"] or analysis.abstract
    queue_ocr = services_ocr.wanted(extracted, checked.kind)
    stored = files.store(checked)
    try:
        with transaction.atomic():
            material = Material.objects.create(
                organization=organization,
                format=_format_of(checked),
                file=stored,
                original_name=checked.original_name,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                pages=extracted.pages,
                char_count=len(extracted.text.replace("\f", "")),
                has_text=extracted.has_text,
                ocr_state=OcrState.PENDING if queue_ocr else OcrState.NONE,
                text_truncated=extracted.truncated,
                published_on=today(),
                created_by=actor.user,
                **fields,
            )
            _index(material, analysis)
            message = "发布学习资料" + _scan_note(extracted.has_text, queue_ocr)
            changes = diff(None, material.audit_fields())
            record(actor, AuditAction.CREATE, material, changes=changes, message=message)
            if queue_ocr:
                services_ocr.enqueue(material.pk)
    except IntegrityError:
        files.remove(stored)
        # Two uploads of the same file at once: the other one won.
        existing = Material.objects.filter(organization=organization, sha256=checked.sha256).first()
        if existing is not None and existing_ok:
            return Published(existing, False)
        raise ServiceValidationError({"file": f"{checked.original_name}：该文件已发布过"}) from None
    except BaseException:
        files.remove(stored)
        raise
    return Published(material, True)


def _scan_note(has_text: bool, queue_ocr: bool) -> str:
    if has_text:
        return ""
    if queue_ocr:
        return "（无文字层，已排队识别文字）"
    return "（无文字层，不能全文检索）"


def scan_note(material: Material) -> str:
    """What a publisher is told about a scan just published."""
    if material.has_text:
        return ""
    if material.ocr_state == OcrState.PENDING:
        return "（扫描件无文字层，已在后台识别文字，完成后可全文检索）"
    return "（扫描件无文字层，不能全文检索）"


def publish(
    actor: Actor,
    organization: Organization,
    handle: IO[bytes],
    name: str,
    data: Mapping[str, Any] | None = None,
    *,
    size: int | None = None,
) -> Material:
    """Publish one file to the organization's subtree: title, author, category, abstract
    (each optional: the title defaults to the file name, the abstract to the text's start)."""
    return _publish(actor, organization, handle, name, data or {}, size=size).material


def import_file(
    actor: Actor,
    organization: Organization,
    handle: IO[bytes],
    name: str,
    data: Mapping[str, Any] | None = None,
    *,
    size: int | None = None,
    analysis: analysis_.Analysis | None = None,
) -> Published:
    """Like `publish`, but a file the organization already published is returned as it is.
    `analysis` is the file's, computed beforehand (`analysis.analyse_file`); it is used only
    if it is of the same content and title, else the file is analysed again."""
    return _publish(
        actor,
        organization,
        handle,
        name,
        data or {},
        size=size,
        existing_ok=True,
        analysis=analysis,
    )


@transaction.atomic
def update_material(actor: Actor, material: Material, data: Mapping[str, Any]) -> Material:
    """Change the title, author, category or abstract (only the keys given)."""
    require_write(actor, material.organization, "您不能修改该组织发布的资料")
    errors: dict[str, str] = {}
    fields = _fields(data, errors, partial=True)
    if "title" in fields and not fields["title"]:
        errors["title"] = "请填写标题"
    if errors:
        raise ServiceValidationError(errors)
    material = Material.objects.select_for_update().get(pk=material.pk)
    before = material.audit_fields()
    for key, value in fields.items():
        setattr(material, key, value)
    material.save()
    if before["title"] != material.title:
        _index(material, None)
    changes = diff(before, material.audit_fields())
    if changes:
        record(actor, AuditAction.UPDATE, material, changes=changes, message="修改学习资料信息")
    return material


@transaction.atomic
def withdraw(actor: Actor, material: Material) -> None:
    """Remove a material (and its file). One that a meeting studied or a monthly topic lists
    stays: the dossier shows what was studied."""
    require_write(actor, material.organization, "您不能撤回该组织发布的资料")
    material = Material.objects.select_for_update().get(pk=material.pk)
    if MeetingMaterial.objects.filter(material=material).exists():
        raise ServiceValidationError({"material": "该资料已作为会议学习内容，不能撤回"})
    if material.topics.exists():
        raise ServiceValidationError({"material": "该资料已列入月度学习主题，不能撤回"})
    name = material.file.name
    record(
        actor,
        AuditAction.DELETE,
        material,
        changes=diff(material.audit_fields(), None),
        message="撤回学习资料",
    )
    material.delete()
    transaction.on_commit(lambda: files.remove(name))


def record_open(material: Material) -> None:
    """One more opening of the material: a total, never who or when."""
    Material.objects.filter(pk=material.pk).update(open_count=F("open_count") + 1)


# ---- monthly topics ------------------------------------------------------------------------


def parse_month(value: Any, errors: dict[str, str], field: str = "month") -> dt.date | None:
    if isinstance(value, dt.date):
        return value.replace(day=1)
    raw = inputs.text(value)
    if not raw:
        errors[field] = "请选择月份"
        return None
    try:
        year, month = (int(part) for part in raw[:7].split("-"))
        if not 2000 <= year <= 2100:
            raise ValueError
        return dt.date(year, month, 1)
    except ValueError:
        errors[field] = "月份格式不正确，应为 YYYY-MM"
        return None


def _material_ids(value: Any, errors: dict[str, str], field: str, limit: int) -> list[int]:
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        errors[field] = "学习资料应为资料编号的列表"
        return []
    ids: list[int] = []
    for item in value:
        pk = item.pk if isinstance(item, Material) else item
        try:
            if isinstance(pk, bool):
                raise ValueError
            ids.append(int(pk))
        except (TypeError, ValueError):
            errors[field] = f"资料编号不正确：{pk}"
            return []
    ids = list(dict.fromkeys(ids))
    if len(ids) > limit:
        errors[field] = f"学习资料不能超过{limit}份"
    return ids


def _readable_by(org: Organization, ids: list[int], errors: dict[str, str], field: str) -> list:
    """The materials, each one the organization's members all read (published at or above it)."""
    found = materials_for_org(org).in_bulk(ids)
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        errors[field] = (
            f"编号为 {'、'.join(missing[:10])} 的资料不存在，或不是{org.name}及其上级发布的"
            "（本组织党员看不到）"
        )
    return [found[pk] for pk in ids if pk in found]


@transaction.atomic
def save_topic(
    actor: Actor, organization: Organization, data: Mapping[str, Any]
) -> tuple[StudyTopic, bool]:
    """Set (or replace) the organization's study topic for a month: month, title, note,
    materials (ids). Returns the topic and whether it was new."""
    require_write(actor, organization, "您不能为该组织安排学习主题")
    refuse_dissolved(organization, "安排学习主题")
    if organization.kind not in TOPIC_ORG_KINDS:
        raise ServiceValidationError(
            {"organization": "只有机关党委、党总支和党支部可以安排月度学习主题"}
        )
    errors: dict[str, str] = {}
    month = parse_month(data.get("month"), errors)
    title = inputs.short_text(data.get("title"), "title", "学习主题", 200, errors)
    if not title and "title" not in errors:
        errors["title"] = "请填写学习主题"
    note = inputs.long_text(data.get("note"), "note", "说明", NOTE_LIMIT, errors)
    ids = _material_ids(data.get("materials"), errors, "materials", MAX_TOPIC_MATERIALS)
    materials = _readable_by(organization, ids, errors, "materials") if ids else []
    if errors:
        raise ServiceValidationError(errors)
    topic = (
        StudyTopic.objects.select_for_update()
        .filter(organization=organization, month=month)
        .first()
    )
    created = topic is None
    before = None if created else _topic_fields(topic)
    if created:
        topic = StudyTopic.objects.create(
            organization=organization, month=month, title=title, note=note, updated_by=actor.user
        )
    else:
        topic.title, topic.note, topic.updated_by = title, note, actor.user
        topic.save()
    topic.materials.set(materials)
    after = _topic_fields(topic)
    changes = diff(before, after)
    if created or changes:
        record(
            actor,
            AuditAction.CREATE if created else AuditAction.UPDATE,
            topic,
            changes=changes,
            message=f"{organization.name}{month:%Y年%m月}学习主题",
        )
    return topic, created


def _topic_fields(topic: StudyTopic) -> dict:
    return {
        "organization": topic.organization_id,
        "month": topic.month,
        "title": topic.title,
        "note": topic.note,
        "materials": sorted(topic.materials.values_list("pk", flat=True)),
    }


@transaction.atomic
def delete_topic(actor: Actor, topic: StudyTopic) -> None:
    require_write(actor, topic.organization, "您不能修改该组织的学习主题")
    record(
        actor,
        AuditAction.DELETE,
        topic,
        changes=diff(_topic_fields(topic), None),
        message=f"删除{topic.organization.name}{topic.month:%Y年%m月}学习主题",
    )
    topic.delete()


# ---- a meeting's materials -----------------------------------------------------------------


@transaction.atomic
def set_meeting_materials(actor: Actor, meeting, material_ids: Any) -> list[Material]:
    """What the meeting's topic studied: the list replaces the previous one."""
    require_write(actor, meeting.organization, "您不能修改该会议")
    if getattr(meeting, "status", "") == "cancelled":
        raise ServiceValidationError({"materials": "会议已取消，不能关联学习资料"})
    errors: dict[str, str] = {}
    ids = _material_ids(material_ids, errors, "materials", MAX_TOPIC_MATERIALS)
    materials = _readable_by(meeting.organization, ids, errors, "materials") if ids else []
    if errors:
        raise ServiceValidationError(errors)
    current = set(
        MeetingMaterial.objects.filter(meeting=meeting).values_list("material_id", flat=True)
    )
    wanted = {m.pk for m in materials}
    if current == wanted:
        return materials
    MeetingMaterial.objects.filter(meeting=meeting).exclude(material_id__in=wanted).delete()
    MeetingMaterial.objects.bulk_create(
        MeetingMaterial(meeting=meeting, material=m, linked_by=actor.user)
        for m in materials
        if m.pk not in current
    )
    record(
        actor,
        AuditAction.UPDATE,
        object_type="meetings.meeting",
        object_id=str(meeting.pk),
        object_repr=str(meeting)[:200],
        changes={"study_materials": [sorted(current), sorted(wanted)]},
        message="会议学习资料",
    )
    return materials
