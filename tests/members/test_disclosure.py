"""Minimum disclosure (issue 10): what a reader without the reveal permission can piece together.

The de-masking attack of the issue, run for every role that may not reveal: collect everything
the role is shown (list and detail pages, the API, the masked export, the audit log), then count
the ID numbers consistent with it. The attacker knows the public list of address codes (as
python-stdnum ships GB/T 2260) and the checksum; no member may come out with fewer than 1,000
candidates. Searching by a whole ID number is closed to these roles, so no candidate can be
tested either. Then the search that is left: revealers only, with a reason, audited (masked),
limited per user.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter
from functools import cache
from pathlib import Path

import openpyxl
import pytest
import stdnum.cn
import time_machine
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts.access import Action, member_allows
from dangjian.accounts.models import Role
from dangjian.accounts.services import assign_role, create_user
from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.audit.services import Actor
from dangjian.members import services
from dangjian.members.access import visible_members
from dangjian.members.models import Member
from tests.conftest import member_payload

pytestmark = pytest.mark.django_db

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"
THRESHOLD = 1000
TOKEN = re.compile(r"(?<![0-9X*])[0-9X*]{18}(?![0-9X*])")


@cache
def region_codes() -> tuple[str, ...]:
    """Every county-level code python-stdnum knows (current and historical), ~6,900."""
    codes, province = [], ""
    for line in (Path(stdnum.cn.__file__).parent / "loc.dat").read_text().splitlines():
        if re.match(r"^\d{2} ", line):
            province = line[:2]
        elif re.match(r"^  \d{4} ", line) and province:
            codes.append(province + line.strip()[:4])
    return tuple(codes)


@cache
def _region_sums(known: tuple[tuple[int, str], ...]) -> Counter:
    """Weighted digit sums (mod 11) of the address codes that agree with the known digits."""
    return Counter(_weighted(r, 0) % 11 for r in region_codes() if all(r[i] == d for i, d in known))


def _weighted(digits: str, offset: int) -> int:
    return sum(int(d) * WEIGHTS[offset + i] for i, d in enumerate(digits))


def candidates(known: dict[int, str], birth: dt.date | None, year: int | None) -> int:
    """How many checksum-valid ID numbers agree with what is known: digits by position (0-17),
    the birth date or only its year (or neither)."""

    def fits(text: str, offset: int) -> bool:
        return all(known.get(offset + i, ch) == ch for i, ch in enumerate(text))

    regions = _region_sums(tuple(sorted((i, d) for i, d in known.items() if i < 6)))
    if birth is not None:
        days = [birth]
    else:
        years = [year] if year is not None else range(1900, 2011)
        days = [
            dt.date(y, 1, 1) + dt.timedelta(n)
            for y in years
            for n in range((dt.date(y + 1, 1, 1) - dt.date(y, 1, 1)).days)
        ]
    dates = Counter(_weighted(f"{d:%Y%m%d}", 6) % 11 for d in days if fits(f"{d:%Y%m%d}", 6))
    sequences = Counter(
        (_weighted(f"{s:03d}", 14) % 11, CHECK[(_weighted(f"{s:03d}", 14)) % 11])
        for s in range(1000)
        if fits(f"{s:03d}", 14)
    )
    total = 0
    for seq_sum, _ in sequences:
        for check in "0123456789X":
            if not fits(check, 17):
                continue
            for region_sum, region_count in regions.items():
                for date_sum, date_count in dates.items():
                    if CHECK[(region_sum + date_sum + seq_sum) % 11] == check:
                        total += region_count * date_count * sequences[(seq_sum, _)]
    return total


def test_the_count_catches_the_disclosure_the_issue_found():
    number = "110105199005030012"
    birth = dt.date(1990, 5, 3)
    old_mask = {i: number[i] for i in [0, 1, 2, 14, 15, 16, 17]}
    assert candidates(old_mask, birth, None) < 100  # first 3 + last 4 + the birth date
    new_mask = {i: number[i] for i in [14, 15, 16, 17]}
    assert candidates(new_mask, birth, None) < THRESHOLD  # the birth date is too much
    assert candidates(new_mask, None, 1990) > 100 * THRESHOLD  # the year is not


# ---- what each role is shown ----------------------------------------------------------------


def _xlsx_text(content: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        " ".join("" if v is None else str(v) for v in row)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
    )


def _corpus(client, members: list[Member]) -> str:
    """Everything the client gets about these members, from every page and endpoint."""
    parts = []
    for url in (reverse("members:list"), "/api/v1/members"):
        response = client.get(url)
        if response.status_code == 200:
            parts.append(response.content.decode())
    export = client.get(reverse("members:export"))
    if export.status_code == 200:
        parts.append(_xlsx_text(export.content))
    for member in members:  # (the others answer 404, as the permission matrix proves)
        for url in (reverse("members:detail", args=[member.pk]), f"/api/v1/members/{member.pk}"):
            response = client.get(url)
            if response.status_code == 200:
                parts.append(response.content.decode())
    for url in (reverse("audit:list"), reverse("accounts:users"), reverse("orgs:tree")):
        response = client.get(url)
        if response.status_code == 200:
            parts.append(response.content.decode())
    export = client.get(reverse("audit:export"))
    if export.status_code == 200:
        parts.append(_xlsx_text(export.content))
    return "\n".join(parts)


def _learned(corpus: str, member: Member) -> tuple[dict[int, str], dt.date | None]:
    """The digits of the member's ID number that some shown token agrees with (all such tokens
    are credited to the member: the attacker is given the link), and whether the full birth
    date is shown anywhere."""
    number = member.id_number
    known: dict[int, str] = {}
    for token in TOKEN.findall(corpus):
        shown = {i: ch for i, ch in enumerate(token) if ch != "*"}
        if shown and all(number[i] == ch for i, ch in shown.items()):
            known.update(shown)
    b = member.birth_date
    spelled = (f"{b:%Y-%m-%d}", f"{b.year}年{b.month}月{b.day}日", f"{b:%Y%m%d}", f"{b:%Y/%m/%d}")
    # A date shown as a birth date: labelled so shortly before (another member's admission on
    # the same day is no disclosure).
    for text in spelled:
        for found in re.finditer(re.escape(text), corpus):
            before = corpus[max(0, found.start() - 120) : found.start()]
            if "birth" in before or "出生" in before:
                return known, b
    return known, None


@pytest.fixture
def shown_members(demo):
    """The audit log holds member events too: a member created and edited through services."""
    actor = Actor(demo.users["secretary"], "10.0.0.8")
    member, _ = services.create_member(actor, demo.branch, member_payload(seed=77))
    services.update_member(actor, member, {**_form(member), "job_title": "组织员"})
    return list(Member.objects.select_related("organization"))


def _form(member: Member) -> dict:
    return {
        "name": member.name,
        "id_number": member.id_number,
        "phone": member.phone,
        "status": member.status,
        "category": member.category,
        "admitted_on": member.admitted_on,
        "confirmed_on": member.confirmed_on,
    }


@pytest.fixture
def committee_member(demo):
    actor = Actor.system("test")
    user = create_user(actor, "zhiwei", "Branch#2026x", display_name="支委")
    assign_role(actor, user, Role.BRANCH_COMMITTEE, demo.branch)
    return user


@pytest.mark.parametrize("persona", ["inspector", "committee", "auditor", "sysadmin", "secadmin"])
def test_no_role_without_the_reveal_permission_can_narrow_an_id_number_below_1000(
    demo, client_for, settings, shown_members, committee_member, persona
):
    settings.PAGE_SIZE = 10_000
    user = committee_member if persona == "committee" else demo.users[persona]
    client = client_for(user)
    readable = set(visible_members(user).values_list("pk", flat=True))
    corpus = _corpus(client, [m for m in shown_members if m.pk in readable])
    assert persona == "secadmin" or len(corpus) > 1000, "the role should be shown something"

    # A user linked to a member may reveal their own record: that one is theirs to see.
    others = [m for m in shown_members if not member_allows(user, m, Action.REVEAL)]
    assert len(others) >= len(shown_members) - 1
    for member in others:
        known, birth = _learned(corpus, member)
        assert birth is None, f"{member.name}'s birth date is shown to {persona}"
        count = candidates(known, None, member.birth_year)  # the year is taken as known
        assert count >= THRESHOLD, f"{member.name}: {count} candidates for {persona}"
    # The oracle is closed: a whole ID number is not searched for these roles.
    target = shown_members[0].id_number
    listed = client.get(reverse("members:list"), {"q": target})
    assert listed.status_code in (200, 403, 404)
    assert listed.status_code != 200 or not list(listed.context["page"].object_list)
    assert client.get("/api/v1/members", {"q": target}).status_code in (403, 404)
    found = client.post(
        "/api/v1/members/find-by-id",
        {"id_number": target, "reason": "核对"},
        content_type="application/json",
    )
    assert found.status_code in (403, 404)
    assert client.post(reverse("members:find_by_id"), {"id_number": target}).status_code in (
        403,
        404,
    )


# ---- what a reader sees of the birth date ---------------------------------------------------


def test_a_reader_who_may_not_reveal_sees_the_birth_year_and_a_revealer_the_date(demo, client_for):
    member = demo.member_in_branch
    birth = member.birth_date
    inspector = client_for(demo.users["inspector"])
    secretary = client_for(demo.users["secretary"])

    page = inspector.get(reverse("members:detail", args=[member.pk])).content.decode()
    assert f'id="birth-year">{birth.year}年<' in page
    assert f"{birth.year}年{birth.month}月{birth.day}日" not in page
    api = inspector.get(f"/api/v1/members/{member.pk}").json()
    assert (api["birth_year"], api["birth_date"]) == (birth.year, None)
    assert api["id_number_masked"] == "*" * 14 + member.id_number[-4:]

    page = secretary.get(reverse("members:detail", args=[member.pk])).content.decode()
    assert f"{birth.year}年{birth.month}月{birth.day}日" in page
    api = secretary.get(f"/api/v1/members/{member.pk}").json()
    assert api["birth_date"] == birth.isoformat()


# ---- the search by ID number that is left ---------------------------------------------------


def id_searches(user) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(actor=user, object_type="members.id_search"))


def test_a_revealer_finds_a_member_by_id_number_with_a_reason_and_it_is_audited_masked(
    demo, client_for
):
    member = demo.member_in_branch
    client = client_for(demo.users["secretary"])
    assert reverse("members:find_by_id") in client.get(reverse("members:list")).content.decode()

    response = client.post(
        reverse("members:find_by_id"),
        {"id_number": member.id_number, "reason": "核对组织关系转入材料"},
    )

    assert response.status_code == 200
    assert response.context["found"] == [member]
    assert member.id_number not in response.content.decode()
    [event] = id_searches(demo.users["secretary"])
    assert event.action == AuditAction.REVEAL
    assert (event.object_id, event.object_repr) == (str(member.pk), member.name)
    assert event.message == (
        f"按身份证号查找（{'*' * 14}{member.id_number[-4:]}），"
        f"事由：核对组织关系转入材料；找到 {member.name}"
    )
    assert member.id_number not in f"{event.message}{event.changes}{event.object_repr}"


def test_a_number_outside_the_reveal_scope_is_not_found_but_the_search_is_audited(demo, client_for):
    other = demo.member_in_sibling
    client = client_for(demo.users["secretary"])

    response = client.post(
        "/api/v1/members/find-by-id",
        {"id_number": other.id_number, "reason": "核对"},
        content_type="application/json",
    )

    assert response.status_code == 200 and response.json() == {"items": []}
    [event] = id_searches(demo.users["secretary"])
    assert event.object_id == "" and event.message.endswith("未找到")


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"id_number": "11010519491231002X", "reason": " "}, {"reason": "请填写查询事由（将记入审计日志）"}),
        ({"id_number": "110105199005030013", "reason": "核对"}, {"id_number": "身份证号校验位不正确，请核对号码是否有误"}),
    ],
    ids=["no reason", "bad checksum"],
)  # fmt: skip
def test_bad_input_gets_one_message_per_field_and_is_not_audited(demo, client_for, data, errors):
    client = client_for(demo.users["secretary"])

    response = client.post("/api/v1/members/find-by-id", data, content_type="application/json")

    assert response.status_code == 422
    assert {e["field"]: e["message"] for e in response.json()["detail"]} == errors
    assert id_searches(demo.users["secretary"]) == []


def test_searches_by_id_number_are_limited_per_user_with_the_time_to_retry(
    demo, client_for, settings
):
    settings.ID_SEARCH_LIMIT, settings.ID_SEARCH_MINUTES = 3, 60
    settings.IDLE_TIMEOUT = dt.timedelta(hours=2)  # the sessions outlive the waiting
    member = demo.member_in_branch
    secretary, organ = client_for(demo.users["secretary"]), client_for(demo.users["organ"])
    body = {"id_number": member.id_number, "reason": "核对"}

    def search(client):
        return client.post("/api/v1/members/find-by-id", body, content_type="application/json")

    # On the tests' pinned clock, at a whole second (audit times are stored without fractions).
    start = (timezone.now() + dt.timedelta(seconds=2)).replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        assert [search(secretary).status_code for _ in range(3)] == [200, 200, 200]
        clock.shift(dt.timedelta(minutes=10))
        refused = search(secretary)
        assert refused.status_code == 429
        assert refused["Retry-After"] == str(50 * 60 + 1)
        retry = f"{timezone.localtime(start + dt.timedelta(hours=1)):%H:%M}"
        assert refused.json()["detail"] == [
            {
                "field": "id_number",
                "message": f"按身份证号查找过于频繁（每 60 分钟最多 3 次），请于 {retry} 后再试",
            }
        ]
        page = secretary.post(reverse("members:find_by_id"), body)
        assert f"请于 {retry} 后再试" in page.content.decode()
        assert len(id_searches(demo.users["secretary"])) == 3  # refused ones find nothing
        assert search(organ).status_code == 200  # per user
        clock.shift(dt.timedelta(minutes=10))
        assert search(secretary).status_code == 429
        clock.shift(dt.timedelta(minutes=41))
        assert search(secretary).status_code == 200
