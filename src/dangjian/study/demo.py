"""The demo's study materials: a few synthetic DOCX, PDF and TXT documents published by the
机关工委, a 机关党委 and a branch, a monthly study topic, and a held meeting's materials.

`ensure_materials` is idempotent (the same generated file is the same material; topics are
upserted), so the demo generator may call it on every start.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import random

from django.db import transaction

from dangjian.audit.services import Actor
from dangjian.orgs.models import Organization
from dangjian.study import samples, services
from dangjian.study.models import Material

# (publishing organization code, file name, kind, category, author)
DEMO_FILES = (
    ("GW", "机关党建工作要点学习材料.docx", "docx", "党建业务", "机关工委办公室"),
    ("GW", "党员干部理论学习辅导读本.pdf", "pdf", "理论学习", "机关工委宣传部"),
    ("GW", "党章学习辅导材料.txt", "txt", "党章党规", "机关工委组织部"),
    ("FGW-JGDW", "严肃党内政治生活若干问题解读.docx", "docx", "党章党规", "机关党委"),
    ("FGW-JGDW", "党风廉政建设警示教育读本.pdf", "pdf", "廉政教育", "机关纪委"),
    ("FGW-JGDW", "支部书记履职能力提升专题讲稿.docx", "docx", "党建业务", "机关党委"),
    ("FGW-JGDW", "会议纪要扫描件.pdf", "scan", "党建业务", "机关党委"),
    ("FGW-B01", "主题党日活动组织指引.txt", "txt", "党建业务", "第一党支部"),
)


def _document(rng: random.Random, kind: str, title: str) -> bytes:
    paragraphs = samples.party_paragraphs(rng, rng.randint(12, 30))
    if kind == "docx":
        return samples.make_docx(
            paragraphs,
            title=title,
            headings={0: "一、总体要求", len(paragraphs) // 2: "二、主要措施"},
            table=[["项目", "要求", "责任"], ["三会一课", "按规定召开", "支部书记"]],
        )
    if kind == "pdf":
        return samples.make_pdf(paragraphs, title=title)
    if kind == "scan":
        return samples.make_pdf(paragraphs[:6], title=title, image_only=True)
    return samples.make_txt(paragraphs, title=title)


def ensure_materials(*, seed: int = 20261125, today: dt.date | None = None, out=print) -> int:
    """Publish the demo materials (and a topic for this month); returns how many were new."""
    from dangjian.core.clock import today as clock_today

    actor = Actor.system("demo")
    rng = random.Random(seed)
    orgs = {o.code: o for o in Organization.objects.filter(code__in={f[0] for f in DEMO_FILES})}
    created = 0
    materials: dict[str, Material] = {}
    for code, name, kind, category, author in DEMO_FILES:
        org = orgs.get(code)
        if org is None:
            continue
        title = name.rsplit(".", 1)[0]
        data = _document(rng, kind, title)
        result = services.import_file(
            actor,
            org,
            io.BytesIO(data),
            name,
            {"title": title, "category": category, "author": author},
            size=len(data),
        )
        created += result.created
        materials[name] = result.material
    month = (today or clock_today()).replace(day=1)
    committee = orgs.get("FGW-JGDW")
    chosen = [m.pk for n, m in materials.items() if n.startswith(("严肃", "党员干部"))]
    if committee is not None and chosen:
        services.save_topic(
            actor,
            committee,
            {
                "month": month,
                "title": "严肃党内政治生活",
                "note": "各支部结合主题党日组织学习，不另行报送材料。",
                "materials": chosen,
            },
        )
    if created:
        out(f"已生成学习资料 {created} 份（合成文本）。")
    return created


@transaction.atomic
def ensure_trainings(*, today: dt.date | None = None, out=print) -> int:
    """The demo's trainings for the first department's 机关党委: a completed concentrated
    training of its secretaries this year (one marked absent), an induction training planned
    for new secretaries next month, an external training waiting for the branch's approval,
    and this year's cadre training plan. Idempotent: nothing is added when the plan exists."""
    from dangjian.core.clock import today as clock_today
    from dangjian.study import services_training as training
    from dangjian.study.models import CadreTrainingPlan

    day = today or clock_today()
    committee = Organization.objects.filter(code="FGW-JGDW").first()
    if (
        committee is None
        or CadreTrainingPlan.objects.filter(organization=committee, year=day.year).exists()
    ):
        return 0
    actor = Actor.system("demo")
    _concentrated_training(actor, committee, day)
    _induction_training(actor, committee, day)
    _external_training(actor, day)
    training.save_plan(
        actor,
        committee,
        day.year,
        {
            "secretaries": "新任书记任职后3个月内参加任职培训；全体书记每年参加1次集中轮训（不少于3天）。",
            "committee_members": "组织委员、宣传委员、纪检委员每年参加1次专题培训。",
            "staff": "专职党务干部参加机关工委统一组织的业务培训。",
        },
    )
    out("已生成培训班、外部培训和党务干部培训规划（演示）。")
    return 1


def _concentrated_training(actor, committee, day: dt.date) -> None:
    """This year's spring training of the secretaries, completed if it is over (one absent)."""
    from dangjian.study import services_training as training

    spring = dt.date(day.year, 4, 14)
    done = training.plan_training(
        actor,
        committee,
        {
            "title": f"{day.year}年党支部书记集中轮训班",
            "organizer": committee.name,
            "kind": "concentrated",
            "starts_on": spring,
            "ends_on": spring + dt.timedelta(days=2),
            "hours": "24",
            "place": "机关党校",
            "expected_post": "secretary",
        },
    )
    if spring + dt.timedelta(days=2) <= day:
        first = done.participants.order_by("member_id").first()
        absent = {first.member_id: "因公出差，参加下期补训"} if first else {}
        training.record_completion(actor, done, absent)


def _induction_training(actor, committee, day: dt.date) -> None:
    """Next month's induction class for new secretaries (none when there is no new one)."""
    from dangjian.core.errors import ServiceValidationError
    from dangjian.study import services_training as training

    start = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 10)
    with contextlib.suppress(ServiceValidationError):  # no new secretary: no induction class
        training.plan_training(
            actor,
            committee,
            {
                "title": "新任党支部书记任职培训班",
                "organizer": committee.name,
                "kind": "induction",
                "starts_on": start,
                "ends_on": start + dt.timedelta(days=1),
                "hours": "16",
                "place": "机关党校",
                "expected_post": "new_secretary",
            },
        )


def _external_training(actor, day: dt.date) -> None:
    """The demo member's external training, with a certificate, waiting for approval."""
    from dangjian.members.models import Member
    from dangjian.study import services_training as training

    member = Member.objects.filter(user__username="member").first()
    if member is None:
        return
    evidence = samples.make_pdf(["结业证明", "兹证明该同志参加党校专题培训。"], title="结业证明")
    training.record_external(
        actor,
        member,
        {
            "title": "党的创新理论专题网络培训",
            "provider": "市委党校",
            "starts_on": day - dt.timedelta(days=20),
            "ends_on": day - dt.timedelta(days=18),
            "hours": "12",
        },
        io_file(evidence, "结业证明.pdf"),
    )


def io_file(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)
