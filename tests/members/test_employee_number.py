"""The optional 工号 (employee number): encrypted with a blind index, shown only to those who
may reveal the member's identifiers, never written into the audit log."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.crypto import default_keyring
from dangjian.members import services
from dangjian.members.models import Member
from dangjian.regulations.identity import IdentityError, normalize_employee_number
from tests.helpers import events_since, last_seq
from tests.matrix_helpers import client_as
from tests.members.test_services import form_data

pytestmark = pytest.mark.django_db

NUMBER = "GZ-770315"


def _secretary(demo) -> Actor:
    return Actor(user=demo.users["secretary"], ip="10.0.0.8")


def _with_number(demo, member: Member, number: str = NUMBER) -> tuple[Member, list[str]]:
    return services.update_member(
        _secretary(demo), member, form_data(member, employee_number=number)
    )


def _all_text(events) -> str:
    return " ".join(f"{e.message} {e.object_repr} {e.changes}" for e in events)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" gz-770315 ", "GZ-770315"),
        ("ＧＺ７７０３１５", "GZ770315"),  # full-width, as typed with a Chinese input method
        (10023.0, "10023"),
        (10023, "10023"),
        ("'00123", "00123"),
        ("", ""),
        (None, ""),
    ],
)
def test_an_employee_number_is_normalised(raw, expected):
    assert normalize_employee_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("张三", "工号只能包含字母、数字、“-”和“_”"),
        ("12.5", "工号只能包含字母、数字、“-”和“_”"),
        (12.5, "工号只能包含字母、数字、“-”和“_”"),
        ("1" * 31, "工号最长30个字符"),
    ],
)
def test_a_bad_employee_number_gets_a_chinese_message(raw, message):
    with pytest.raises(IdentityError) as exc:
        normalize_employee_number(raw)
    assert exc.value.message == message


def test_it_is_stored_encrypted_with_a_blind_index_and_audited_without_the_value(demo):
    member = demo.member_in_branch
    before = last_seq()
    member, _ = _with_number(demo, member, "gz-770315")
    stored = Member.objects.get(pk=member.pk)
    assert stored.employee_number == NUMBER
    assert NUMBER not in stored.employee_number_encrypted
    assert stored.employee_number_index == default_keyring().blind_index(NUMBER)
    (event,) = events_since(before)
    assert event.changes["employee_number"] == [None, "已登记"]
    assert NUMBER not in _all_text(events_since(before))


def test_a_changed_number_is_audited_as_changed_and_never_shown(demo):
    member, _ = _with_number(demo, demo.member_in_branch)
    before = last_seq()
    _with_number(demo, member, "GZ-000001")
    (event,) = events_since(before)
    assert event.changes["employee_number"] == ["已登记", "已更改"]
    assert "GZ-000001" not in _all_text([event]) and NUMBER not in _all_text([event])
    assert Member.objects.get(pk=member.pk).employee_number == "GZ-000001"


def test_a_write_without_the_field_keeps_the_number_and_an_empty_one_clears_it(demo):
    member, _ = _with_number(demo, demo.member_in_branch)
    services.update_member(_secretary(demo), member, form_data(member, job_title="科员"))
    assert Member.objects.get(pk=member.pk).employee_number == NUMBER
    services.update_member(_secretary(demo), member, form_data(member, employee_number=""))
    stored = Member.objects.get(pk=member.pk)
    assert (stored.employee_number, stored.employee_number_index) == ("", "")


def test_a_bad_number_is_refused_and_nothing_is_written(demo):
    member = demo.member_in_branch
    before = last_seq()
    with pytest.raises(ServiceValidationError) as exc:
        _with_number(demo, member, "工号123")
    assert exc.value.errors == {"employee_number": "工号只能包含字母、数字、“-”和“_”"}
    assert Member.objects.get(pk=member.pk).employee_number == ""
    assert last_seq() == before


def test_the_same_number_twice_in_a_branch_gives_a_warning(demo):
    first, second = Member.objects.current().filter(organization=demo.branch)[:2]
    _, warnings = _with_number(demo, first)
    assert warnings == []
    _, warnings = _with_number(demo, second)
    assert any("相同的工号" in w for w in warnings)


def test_the_detail_page_shows_it_only_to_revealers_and_a_reveal_is_audited(demo):
    member, _ = _with_number(demo, demo.member_in_branch)
    url = reverse("members:detail", args=[member.pk])
    secretary = client_as(demo.users["secretary"], api=False)
    html = secretary.get(url).content.decode()
    assert "工号" in html and "已登记" in html and NUMBER not in html
    inspector = client_as(demo.users["inspector"], api=False)
    html = inspector.get(url).content.decode()
    assert "工号" not in html and NUMBER not in html
    before = last_seq()
    reveal = reverse("members:reveal", args=[member.pk, "employee_number"])
    assert NUMBER in secretary.post(reveal).content.decode()
    (event,) = events_since(before)
    assert event.message == "查看工号明文"
    assert inspector.post(reveal).status_code == 403


def test_the_edit_form_keeps_the_number_behind_its_mask(demo):
    member, _ = _with_number(demo, demo.member_in_branch)
    page = client_as(demo.users["secretary"], api=False)
    url = reverse("members:edit", args=[member.pk])
    html = page.get(url).content.decode()
    assert Member.EMPLOYEE_NUMBER_MASK in html and NUMBER not in html
    data = form_data(member, employee_number=Member.EMPLOYEE_NUMBER_MASK, job_title="副处长")
    data["id_number"] = member.id_number_masked
    data["phone"] = member.phone_masked
    response = page.post(url, data)
    assert response.status_code == 302
    stored = Member.objects.get(pk=member.pk)
    assert (stored.job_title, stored.employee_number) == ("副处长", NUMBER)


def test_the_create_form_takes_a_number_from_a_revealer(demo):
    page = client_as(demo.users["secretary"], api=False)
    url = reverse("members:create") + f"?org={demo.branch.code}"
    assert "工号" in page.get(url).content.decode()
