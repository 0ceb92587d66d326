"""members/services.py: validation with one Chinese message per field, audit, encryption at rest."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.crypto import default_keyring
from dangjian.members import services
from dangjian.members.models import Member
from dangjian.regulations.synth import make_id_number, make_phone
from tests.conftest import member_payload
from tests.helpers import events_since, last_seq

# A 15-digit first-generation number (region 110105, born 1990-05-03, sequence 123, odd = male)
# and the 18-digit number GB 11643 turns it into (century 19 inserted, check character 0).
OLD_ID_15 = "110105900503123"
OLD_ID_15_AS_18 = "110105199005031230"

VALID = member_payload()


def secretary(demo) -> Actor:
    return Actor(user=demo.users["secretary"], ip="10.0.0.8")


def organ(demo) -> Actor:
    return Actor(user=demo.users["organ"], ip="10.0.0.9")


def id_ending_in_x(birth: dt.date, gender: str) -> str:
    """A synthetic ID number whose check character is X (about one number in eleven)."""
    for seed in range(10_000):
        candidate = make_id_number(random.Random(seed), birth, gender)
        if candidate.endswith("X"):
            return candidate
    raise AssertionError("no ID number ending in X found")


def phone_with_other_tail(phone: str) -> str:
    """A synthetic mobile number whose masked form differs from `phone`'s."""
    for seed in range(1_000):
        candidate = make_phone(random.Random(seed))
        if candidate[:3] != phone[:3] or candidate[-4:] != phone[-4:]:
            return candidate
    raise AssertionError("no different phone found")


def form_data(member: Member, **overrides) -> dict:
    """What an edit form would submit for `member`, unchanged unless overridden."""
    data = {
        "name": member.name,
        "id_number": member.id_number,
        "phone": member.phone,
        "status": member.status,
        "category": member.category,
        "admitted_on": member.admitted_on.isoformat(),
        "confirmed_on": member.confirmed_on.isoformat() if member.confirmed_on else "",
        "ethnicity": member.ethnicity,
        "education": member.education,
        "job_title": member.job_title,
    }
    data.update(overrides)
    return data


def _wrong_check_character(id_number: str) -> str:
    last = id_number[-1]
    return id_number[:-1] + ("1" if last != "1" else "2")


# ---- validation: one clear Chinese message per field -------------------------------------------

INVALID_CASES = [
    pytest.param({"name": ""}, "name", "请填写姓名", id="empty-name"),
    pytest.param({"name": "   "}, "name", "请填写姓名", id="blank-name"),
    pytest.param({"name": "张" * 51}, "name", "姓名不能超过50个字", id="long-name"),
    pytest.param({"id_number": ""}, "id_number", "请填写身份证号", id="empty-id"),
    pytest.param(
        {"id_number": _wrong_check_character(VALID["id_number"])},
        "id_number",
        "身份证号校验位不正确，请核对号码是否有误",
        id="bad-check-character",
    ),
    pytest.param(
        {"id_number": "1.10105199005031E+17"},
        "id_number",
        "身份证号已损坏（可能被表格软件转为数字），请以文本格式重新填写",
        id="scientific-notation-id",
    ),
    pytest.param(
        {"id_number": VALID["id_number"][:17]},
        "id_number",
        "身份证号应为18位（当前为17位），由17位数字和1位校验码（数字或X）组成",
        id="id-too-short",
    ),
    pytest.param(
        {"phone": "12345678"},
        "phone",
        "手机号应为11位中国大陆手机号码，如 13812345678",
        id="bad-phone",
    ),
    pytest.param(
        {"phone": "1.7012345678E+10"},
        "phone",
        "手机号已损坏（可能被表格软件转为数字），请以文本格式重新填写",
        id="scientific-notation-phone",
    ),
    pytest.param({"status": ""}, "status", "请选择党员状态", id="missing-status"),
    pytest.param(
        {"status": "member"},
        "status",
        "党员状态的取值不正确，可选：正式党员、预备党员",
        id="unknown-status",
    ),
    pytest.param(
        {"category": "student"},
        "category",
        "人员类别的取值不正确，可选：在职、离退休、其他",
        id="unknown-category",
    ),
    pytest.param({"admitted_on": ""}, "admitted_on", "请填写入党时间", id="missing-admitted-on"),
    pytest.param(
        {"admitted_on": "2015/07/01"},
        "admitted_on",
        "入党时间格式不正确，应为 YYYY-MM-DD，如 2020-07-01",
        id="admitted-on-not-iso",
    ),
    pytest.param(
        # Born 1990-05-03: the 18th birthday is 2008-05-03.
        {"admitted_on": "2008-05-02", "confirmed_on": "2009-05-02"},
        "admitted_on",
        "入党时间不能早于年满18周岁之日（2008年5月3日）",
        id="admitted-before-18th-birthday",
    ),
    pytest.param(
        {"confirmed_on": "2015-06-01"},
        "confirmed_on",
        "转正时间应晚于入党时间",
        id="confirmed-before-admitted",
    ),
    pytest.param(
        {"confirmed_on": "2016-03-01"},
        "confirmed_on",
        "转正时间不能早于预备期满之日（2016年7月1日），预备期为一年，"
        "从支部大会通过其为预备党员之日算起",
        id="confirmed-before-probation-ends",
    ),
    pytest.param(
        {"status": "full", "confirmed_on": ""},
        "confirmed_on",
        "正式党员请填写转正时间",
        id="full-member-without-confirmed-on",
    ),
    pytest.param(
        {"status": "probationary"},
        "confirmed_on",
        "预备党员不应有转正时间；已转正的请将党员状态改为正式党员",
        id="probationary-with-confirmed-on",
    ),
]


@pytest.mark.parametrize(("overrides", "field", "message"), INVALID_CASES)
def test_invalid_input_gets_one_chinese_message_for_its_field_and_writes_nothing(
    demo, overrides, field, message
):
    members_before = Member.objects.count()
    seq = last_seq()

    with pytest.raises(ServiceValidationError) as caught:
        services.create_member(secretary(demo), demo.branch, member_payload(**overrides))

    assert caught.value.errors == {field: message}
    assert caught.value.as_list() == [{"field": field, "message": message}]
    assert Member.objects.count() == members_before
    assert events_since(seq) == []


def test_every_bad_field_is_reported_at_once_each_with_its_own_message(demo):
    data = member_payload(name="", phone="999", admitted_on="2015/07/01")
    data["id_number"] = _wrong_check_character(data["id_number"])

    with pytest.raises(ServiceValidationError) as caught:
        services.create_member(secretary(demo), demo.branch, data)

    assert caught.value.errors == {
        "name": "请填写姓名",
        "id_number": "身份证号校验位不正确，请核对号码是否有误",
        "phone": "手机号应为11位中国大陆手机号码，如 13812345678",
        "admitted_on": "入党时间格式不正确，应为 YYYY-MM-DD，如 2020-07-01",
    }


def test_duplicate_id_number_is_rejected_and_nothing_is_written(demo):
    existing = demo.member_in_other_dept
    members_before = Member.objects.count()
    seq = last_seq()

    with pytest.raises(ServiceValidationError) as caught:
        services.create_member(
            secretary(demo), demo.branch, member_payload(id_number=existing.id_number)
        )

    assert caught.value.errors == {"id_number": "该身份证号已登记（同一人不能重复录入）"}
    assert Member.objects.count() == members_before
    assert events_since(seq) == []


def test_duplicate_is_found_when_typed_with_a_lowercase_x(demo):
    number = id_ending_in_x(dt.date(1988, 2, 14), "male")
    services.create_member(secretary(demo), demo.branch, member_payload(id_number=number))

    with pytest.raises(ServiceValidationError) as caught:
        services.create_member(
            secretary(demo), demo.branch, member_payload(id_number=number.lower(), seed=8)
        )

    assert caught.value.errors == {"id_number": "该身份证号已登记（同一人不能重复录入）"}


def test_updating_to_another_members_id_number_is_rejected(demo):
    member, other = demo.member_in_branch, demo.member_in_sibling
    seq = last_seq()

    with pytest.raises(ServiceValidationError) as caught:
        services.update_member(organ(demo), member, form_data(member, id_number=other.id_number))

    assert caught.value.errors == {"id_number": "该身份证号已登记（同一人不能重复录入）"}
    assert Member.objects.get(pk=member.pk).id_number != other.id_number
    assert events_since(seq) == []


def test_an_invalid_update_changes_nothing(demo):
    member = demo.member_in_branch
    stored = Member.objects.filter(pk=member.pk).values().get()
    seq = last_seq()

    with pytest.raises(ServiceValidationError) as caught:
        services.update_member(
            secretary(demo), member, form_data(member, name="", job_title="新岗位")
        )

    assert caught.value.errors == {"name": "请填写姓名"}
    assert Member.objects.filter(pk=member.pk).values().get() == stored
    assert events_since(seq) == []


# ---- values derived and normalised -------------------------------------------------------------


def test_lowercase_x_is_accepted_and_stored_as_uppercase(demo):
    number = id_ending_in_x(dt.date(1985, 9, 30), "female")

    member, warnings = services.create_member(
        secretary(demo), demo.branch, member_payload(id_number=number.lower())
    )

    assert warnings == []
    assert Member.objects.get(pk=member.pk).id_number == number
    assert number.endswith("X")


def test_fifteen_digit_id_number_is_converted_to_eighteen_digits_with_a_warning(demo):
    member, warnings = services.create_member(
        secretary(demo), demo.branch, member_payload(id_number=OLD_ID_15)
    )

    stored = Member.objects.get(pk=member.pk)
    assert stored.id_number == OLD_ID_15_AS_18
    assert warnings == ["15位旧身份证号已转换为18位：**************1230，请核对"]
    assert stored.birth_date == dt.date(1990, 5, 3)
    assert stored.gender == "male"


@pytest.mark.parametrize(
    ("birth", "gender"),
    [(dt.date(1990, 5, 3), "female"), (dt.date(1972, 12, 31), "male")],
)
def test_birth_date_and_gender_come_from_the_id_number(demo, birth, gender):
    number = make_id_number(random.Random(11), birth, gender)
    # Values typed for these fields are ignored: the ID number decides.
    data = member_payload(id_number=number, birth_date="1950-01-01", gender="other")

    member, _ = services.create_member(secretary(demo), demo.branch, data)

    stored = Member.objects.get(pk=member.pk)
    assert stored.birth_date == birth
    assert stored.gender == gender


def test_phone_is_stored_as_eleven_digits_without_country_code_or_spaces(demo):
    phone = make_phone(random.Random(5))
    typed = f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"

    member, _ = services.create_member(secretary(demo), demo.branch, member_payload(phone=typed))

    assert Member.objects.get(pk=member.pk).phone == phone


def test_phone_is_optional(demo):
    member, _ = services.create_member(secretary(demo), demo.branch, member_payload(phone=""))

    stored = Member.objects.get(pk=member.pk)
    assert stored.phone == ""
    assert stored.phone_masked == ""


@pytest.mark.parametrize(
    ("admitted_on", "probation_ends_on"),
    [
        ("2026-03-15", dt.date(2027, 3, 15)),
        # No 29 February a year later: probation ends on the last day of that month.
        ("2024-02-29", dt.date(2025, 2, 28)),
    ],
)
def test_probation_end_is_computed_one_year_after_admission(demo, admitted_on, probation_ends_on):
    data = member_payload(status="probationary", admitted_on=admitted_on, confirmed_on="")

    member, _ = services.create_member(secretary(demo), demo.branch, data)

    stored = Member.objects.get(pk=member.pk)
    assert stored.status == "probationary"
    assert stored.confirmed_on is None
    assert stored.probation_ends_on == probation_ends_on


def test_name_is_searchable_by_pinyin_after_create(demo):
    member, _ = services.create_member(secretary(demo), demo.branch, member_payload(name="张三"))

    stored = Member.objects.get(pk=member.pk)
    assert (stored.name_pinyin, stored.name_initials) == ("zhangsan", "zs")


# ---- audit: exactly one event per write, sensitive values masked ------------------------------


def test_create_records_one_audit_event_with_masked_sensitive_values(demo):
    data = member_payload()
    seq = last_seq()

    member, _ = services.create_member(secretary(demo), demo.branch, data)

    [event] = events_since(seq)
    assert event.action == AuditAction.CREATE
    assert (event.object_type, event.object_id) == ("members.member", str(member.pk))
    assert (event.actor_username, event.ip) == ("secretary", "10.0.0.8")
    assert event.changes["name"] == [None, "测试党员"]
    assert event.changes["organization"] == [None, demo.branch.pk]
    assert event.changes["birth_year"] == [None, 1990]
    assert "birth_date" not in event.changes  # digits 7–14 of the ID number
    assert event.changes["id_number"] == [None, member.id_number_masked]
    assert event.changes["phone"] == [None, member.phone_masked]
    stored = json.dumps(event.changes, ensure_ascii=False) + event.message + event.object_repr
    assert data["id_number"] not in stored
    assert data["phone"] not in stored


def test_update_records_before_and_after_of_changed_fields_only(demo):
    member = demo.member_in_branch
    old_job, old_phone_masked = member.job_title, member.phone_masked
    new_phone = phone_with_other_tail(member.phone)
    seq = last_seq()

    updated, _ = services.update_member(
        secretary(demo), member, form_data(member, job_title="党务专员", phone=new_phone)
    )

    [event] = events_since(seq)
    assert event.action == AuditAction.UPDATE
    assert event.object_id == str(member.pk)
    assert event.changes == {
        "job_title": [old_job, "党务专员"],
        "phone": [old_phone_masked, updated.phone_masked],
    }
    assert new_phone not in json.dumps(event.changes) + event.message
    stored = Member.objects.get(pk=member.pk)
    assert (stored.job_title, stored.phone) == ("党务专员", new_phone)


def test_changing_the_id_number_is_audited_without_either_full_number(demo):
    member = demo.member_in_branch
    old_number = member.id_number
    new_number = make_id_number(random.Random(99), member.birth_date, member.gender)
    assert new_number != old_number
    seq = last_seq()

    services.update_member(secretary(demo), member, form_data(member, id_number=new_number))

    [event] = events_since(seq)
    assert event.changes["id_number"] == [
        f"{'*' * 14}{old_number[-4:]}",
        f"{'*' * 14}{new_number[-4:]}",
    ]
    text = json.dumps(event.changes) + event.message + event.object_repr
    assert old_number not in text
    assert new_number not in text
    assert Member.objects.get(pk=member.pk).id_number == new_number


def test_a_phone_change_hidden_by_the_mask_is_still_saved_and_audited(demo):
    member = demo.member_in_branch
    old = member.phone
    new = old[:3] + ("0000" if old[3:7] != "0000" else "1111") + old[7:]
    seq = last_seq()

    services.update_member(secretary(demo), member, form_data(member, phone=new))

    assert Member.objects.get(pk=member.pk).phone == new
    [event] = events_since(seq)
    assert "phone" in event.changes


def test_update_with_unchanged_data_writes_nothing_and_records_nothing(demo):
    member = demo.member_in_branch
    stored = Member.objects.filter(pk=member.pk).values().get()
    seq = last_seq()

    _, warnings = services.update_member(secretary(demo), member, form_data(member))

    assert warnings == []
    # Re-encryption would give a new ciphertext and a new updated_at if anything were saved.
    assert Member.objects.filter(pk=member.pk).values().get() == stored
    assert events_since(seq) == []


def test_update_outside_write_scope_is_refused(demo):
    member = demo.member_in_branch
    stored = Member.objects.filter(pk=member.pk).values().get()
    seq = last_seq()
    inspector = Actor(user=demo.users["inspector"])

    with pytest.raises(PermissionDenied):
        services.update_member(inspector, member, form_data(member, job_title="处长"))

    assert Member.objects.filter(pk=member.pk).values().get() == stored
    assert events_since(seq) == []


def test_create_into_a_branch_outside_scope_is_refused(demo):
    members_before = Member.objects.count()
    seq = last_seq()

    with pytest.raises(ServiceValidationError) as caught:
        services.create_member(secretary(demo), demo.sibling_branch, member_payload())

    assert caught.value.errors == {"organization": "目标组织不在您的管理范围内"}
    assert Member.objects.count() == members_before
    assert events_since(seq) == []


def test_members_are_only_created_in_branches(demo):
    with pytest.raises(ServiceValidationError) as caught:
        services.create_member(organ(demo), demo.organ_committee, member_payload())

    assert caught.value.errors == {"organization": "党员的组织关系只能落在党支部"}


# ---- move ---------------------------------------------------------------------------------------


def test_move_within_scope_changes_the_branch_and_is_audited_once(demo):
    member = demo.member_in_branch
    old_group = member.party_group_id
    seq = last_seq()

    services.move_member(organ(demo), member, demo.sibling_branch, reason="工作调动")

    stored = Member.objects.get(pk=member.pk)
    assert (stored.organization_id, stored.party_group_id) == (demo.sibling_branch.pk, None)
    [event] = events_since(seq)
    assert event.action == AuditAction.MOVE
    assert event.message == "工作调动"
    expected = {"organization": [demo.branch.pk, demo.sibling_branch.pk]}
    if old_group is not None:
        expected["party_group"] = [old_group, None]
    assert event.changes == expected


def test_move_into_a_party_group_of_the_target_branch(demo):
    member = demo.member_in_branch
    group = demo.org["FGW-B02-G1"]

    services.move_member(organ(demo), member, demo.sibling_branch, group)

    stored = Member.objects.get(pk=member.pk)
    assert (stored.organization_id, stored.party_group_id) == (demo.sibling_branch.pk, group.pk)


@pytest.mark.parametrize(
    ("actor_name", "target_code", "group_code", "errors"),
    [
        pytest.param(
            "secretary",
            "FGW-B02",
            None,
            {"organization": "目标组织不在您的管理范围内"},
            id="secretary-to-sibling-branch",
        ),
        pytest.param(
            "organ",
            "CZJ-B01",
            None,
            {"organization": "目标组织不在您的管理范围内"},
            id="organ-to-other-department",
        ),
        pytest.param(
            "organ",
            "FGW-ZZ",
            None,
            {"organization": "党员的组织关系只能落在党支部"},
            id="to-a-general-branch",
        ),
        pytest.param(
            "organ",
            "FGW-B02",
            "FGW-B01-G1",
            {"party_group": "党小组必须属于所在支部"},
            id="group-of-another-branch",
        ),
    ],
)
def test_move_outside_scope_or_structure_is_refused_and_changes_nothing(
    demo, actor_name, target_code, group_code, errors
):
    member = demo.member_in_branch
    stored = Member.objects.filter(pk=member.pk).values().get()
    seq = last_seq()
    actor = Actor(user=demo.users[actor_name])
    group = demo.org[group_code] if group_code else None

    with pytest.raises(ServiceValidationError) as caught:
        services.move_member(actor, member, demo.org[target_code], group)

    assert caught.value.errors == errors
    assert Member.objects.filter(pk=member.pk).values().get() == stored
    assert events_since(seq) == []


def test_a_read_only_user_cannot_move(demo):
    member = demo.member_in_branch
    seq = last_seq()

    with pytest.raises(PermissionDenied):
        services.move_member(Actor(user=demo.users["inspector"]), member, demo.sibling_branch)

    assert Member.objects.get(pk=member.pk).organization_id == demo.branch.pk
    assert events_since(seq) == []


# ---- reveal -------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["id_number", "phone"])
def test_reveal_returns_the_plaintext_and_records_a_reveal_event(demo, field):
    member = demo.member_in_branch
    expected = getattr(member, field)
    seq = last_seq()

    value = services.reveal(secretary(demo), member, field)

    assert value == expected
    [event] = events_since(seq)
    assert event.action == AuditAction.REVEAL
    assert (event.object_type, event.object_id) == ("members.member", str(member.pk))
    assert event.actor_username == "secretary"
    assert event.message == f"查看{services.REVEALABLE[field]}明文"
    assert expected not in json.dumps(event.changes) + event.message


def test_a_member_may_reveal_their_own_id_number(demo):
    own = demo.own_member

    assert services.reveal(Actor(user=demo.users["member"]), own, "id_number") == own.id_number


@pytest.mark.parametrize("username", ["inspector", "member"])
def test_reveal_without_the_permission_is_refused_and_not_recorded_as_a_reveal(demo, username):
    seq = last_seq()

    with pytest.raises(PermissionDenied):
        services.reveal(Actor(user=demo.users[username]), demo.member_in_branch, "id_number")

    assert events_since(seq) == []


def test_only_id_number_and_phone_can_be_revealed(demo):
    with pytest.raises(ServiceValidationError):
        services.reveal(secretary(demo), demo.member_in_branch, "id_number_encrypted")


# ---- encryption at rest and the blind index -----------------------------------------------------


def test_the_database_holds_neither_plaintext_id_number_nor_phone(demo):
    data = member_payload()
    member, _ = services.create_member(secretary(demo), demo.branch, data)

    table = connection.ops.quote_name(Member._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [member.pk])  # noqa: S608
        row = cursor.fetchone()
    raw = " ".join(str(value) for value in row)

    assert data["id_number"] not in raw
    assert data["phone"] not in raw
    stored = Member.objects.get(pk=member.pk)
    assert stored.id_number_encrypted.startswith("sm4gcm1:")
    assert stored.phone_encrypted.startswith("sm4gcm1:")
    assert stored.id_number == data["id_number"]


def test_the_blind_index_finds_a_member_by_id_number_and_phone(demo):
    data = member_payload()
    member, _ = services.create_member(secretary(demo), demo.branch, data)
    keyring = default_keyring()

    assert Member.objects.get(id_number_index=keyring.blind_index(data["id_number"])) == member
    assert Member.objects.get(phone_index=keyring.blind_index(data["phone"])) == member
    found = services.find_by_id_number(secretary(demo), data["id_number"], "核对材料")
    assert found == [member]
