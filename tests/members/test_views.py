"""Member pages: list with filters, search and pagination, export, masking, reveal, forms, move."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.urls import reverse

from dangjian.accounts.models import Role
from dangjian.accounts.services import assign_role, create_user
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor
from dangjian.core.clock import today
from dangjian.members import services
from dangjian.members.models import Member
from dangjian.members.roster.layout import TEMPLATE_COLUMNS
from dangjian.orgs.models import Post
from tests.conftest import member_payload
from tests.helpers import events_since, last_seq

MASKED_ID = re.compile(r"^\*{14}[\dX]{4}$")
MASKED_PHONE = re.compile(r"^\d{3}\*{4}\d{4}$")
EXPORT_HEADERS = [column.header for column in TEMPLATE_COLUMNS]


def in_subtree(org):
    return Member.objects.filter(organization__path__startswith=org.path)


def listed(response) -> list[Member]:
    return list(response.context["page"].object_list)


def form_post(member: Member, **overrides) -> dict:
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


@pytest.fixture
def organ_client(demo, client_for):
    return client_for(demo.users["organ"])


@pytest.fixture
def secretary_client(demo, client_for):
    return client_for(demo.users["secretary"])


@pytest.fixture
def page_size_50(settings):
    settings.PAGE_SIZE = 50


# ---- list: filters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"status": "probationary"}, {"status": "probationary"}, id="probationary"),
        pytest.param({"status": "full"}, {"status": "full"}, id="full"),
        pytest.param({"category": "retired"}, {"category": "retired"}, id="retired"),
        pytest.param({"category": "other"}, {"category": "other"}, id="other"),
        pytest.param(
            {"status": "full", "category": "employed"},
            {"status": "full", "category": "employed"},
            id="full-and-employed",
        ),
    ],
)
def test_list_filters_by_status_and_category(demo, organ_client, page_size_50, params, expected):
    org = demo.organ_committee
    wanted = set(in_subtree(org).filter(**expected).values_list("pk", flat=True))

    response = organ_client.get(reverse("members:list"), {"org": org.code, **params, "page": 1})
    # More than one page: collect every page.
    pages = response.context["page"].paginator.num_pages
    found = {m.pk for m in listed(response)}
    for number in range(2, pages + 1):
        more = organ_client.get(
            reverse("members:list"), {"org": org.code, **params, "page": number}
        )
        found |= {m.pk for m in listed(more)}

    assert response.status_code == 200
    assert wanted, "the demo organ should have members matching the filter"
    assert found == wanted
    assert response.context["page"].paginator.count == len(wanted) < in_subtree(org).count()


@pytest.mark.parametrize("post", ["secretary", "organization_officer", "group_leader", "any"])
def test_list_filters_by_current_post(demo, organ_client, page_size_50, post):
    org = demo.organ_committee
    posts = Post.objects.filter(
        ended_on__isnull=True, member__organization__path__startswith=org.path
    )
    if post != "any":
        posts = posts.filter(kind=post)
    wanted = set(posts.values_list("member_id", flat=True))

    response = organ_client.get(reverse("members:list"), {"post": post})

    assert wanted
    assert {m.pk for m in listed(response)} == wanted


def test_an_ended_post_no_longer_matches_the_post_filter(demo, organ_client):
    from dangjian.orgs.services import end_post

    post = Post.objects.get(organization=demo.sibling_branch, kind="secretary", ended_on=None)
    end_post(Actor.system("test"), post, post.started_on.replace(year=post.started_on.year + 3))

    response = organ_client.get(reverse("members:list"), {"post": "secretary"})

    assert post.member_id not in {m.pk for m in listed(response)}


def test_list_only_shows_members_in_the_users_scope(demo, secretary_client):
    response = secretary_client.get(reverse("members:list"))

    assert {m.pk for m in listed(response)} == set(
        Member.objects.filter(organization=demo.branch).values_list("pk", flat=True)
    )


def test_list_for_an_organization_outside_scope_is_not_found(secretary_client, demo):
    response = secretary_client.get(reverse("members:list"), {"org": demo.sibling_branch.code})

    assert response.status_code == 404


# ---- list: search --------------------------------------------------------------------------------


@pytest.fixture
def zhang_san(demo):
    member, _ = services.create_member(
        Actor(user=demo.users["secretary"]), demo.branch, member_payload(name="张三")
    )
    return member


@pytest.mark.parametrize("query", ["zs", "ZS", "zhangsan", "zhang", "张三", "张"])
def test_search_finds_a_member_by_name_pinyin_or_initials(demo, secretary_client, zhang_san, query):
    response = secretary_client.get(reverse("members:list"), {"q": query})

    found = listed(response)
    assert zhang_san in found
    assert len(found) < Member.objects.filter(organization=demo.branch).count()


def test_search_by_initials_only_returns_matching_members(secretary_client, zhang_san):
    response = secretary_client.get(reverse("members:list"), {"q": "zs"})

    for member in listed(response):
        assert member.name_initials.startswith("zs") or "zs" in member.name_pinyin


def test_search_for_an_unknown_name_finds_nobody(secretary_client, zhang_san):
    response = secretary_client.get(reverse("members:list"), {"q": "李四"})

    assert listed(response) == []
    assert "没有符合条件的党员" in response.content.decode()


def test_search_does_not_reach_outside_the_users_scope(demo, secretary_client, zhang_san):
    namesake, _ = services.create_member(
        Actor(user=demo.users["organ"]),
        demo.sibling_branch,
        member_payload(name="张三", seed=21),
    )

    response = secretary_client.get(reverse("members:list"), {"q": "zs"})

    assert zhang_san in listed(response)
    assert namesake not in listed(response)


def test_a_whole_id_number_in_the_search_box_is_not_searched_and_says_why(
    demo, secretary_client, client_for, committee_member
):
    member = demo.member_in_branch
    seq = last_seq()

    response = secretary_client.get(reverse("members:list"), {"q": member.id_number})

    assert listed(response) == []
    text = response.content.decode()
    assert "请使用「按身份证号查找」并填写查询事由" in text
    assert reverse("members:find_by_id") in text
    assert events_since(seq) == []
    committee = client_for(committee_member)
    refused = committee.get(reverse("members:list"), {"q": member.id_number})
    assert listed(refused) == []
    assert "您没有按身份证号查找的权限，请按姓名或拼音查找" in refused.content.decode()
    assert reverse("members:find_by_id") not in refused.content.decode()


def test_htmx_search_returns_only_the_rows(secretary_client, zhang_san):
    response = secretary_client.get(
        reverse("members:list"),
        {"q": "zs"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="member-rows",
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="member-rows">')
    assert "张三" in html
    assert "<html" not in html


# ---- list: pagination ----------------------------------------------------------------------------


def test_list_paginates_the_organs_subtree_by_fifty(demo, organ_client, page_size_50):
    org = demo.organ_committee
    total = in_subtree(org).count()
    assert total > 50

    first = organ_client.get(reverse("members:list"), {"org": org.code})
    second = organ_client.get(reverse("members:list"), {"org": org.code, "page": 2})

    assert second.status_code == 200
    assert second.context["page"].number == 2
    assert len(listed(first)) == 50
    assert len(listed(second)) == total - 50
    ids = [m.pk for m in listed(first)] + [m.pk for m in listed(second)]
    assert len(set(ids)) == total
    assert set(ids) == set(in_subtree(org).values_list("pk", flat=True))
    assert "第 2 / 2 页" in second.content.decode()
    assert "page=2" in first.content.decode()


def test_list_page_and_api_take_their_page_size_from_the_setting(demo, organ_client, settings):
    settings.PAGE_SIZE = 7
    org = demo.organ_committee

    page = organ_client.get(reverse("members:list"), {"org": org.code})
    api = organ_client.get("/api/v1/members", {"org": org.code}).json()

    assert len(listed(page)) == 7
    assert page.context["page"].paginator.num_pages == -(-in_subtree(org).count() // 7)
    assert (api["page_size"], len(api["items"])) == (7, 7)


# ---- export --------------------------------------------------------------------------------------


def test_export_writes_the_filtered_list_masked_to_xlsx_and_is_audited(demo, organ_client):
    org = demo.organ_committee
    expected = in_subtree(org).filter(status="full", category="employed")
    seq = last_seq()

    response = organ_client.get(
        reverse("members:export"), {"org": org.code, "status": "full", "category": "employed"}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    # The export uses the import template's layout, so export → edit → import round-trips.
    assert list(rows[0]) == EXPORT_HEADERS
    col = {header.rstrip("*"): i for i, header in enumerate(EXPORT_HEADERS)}
    body = rows[1:]
    assert len(body) == expected.count()
    assert {row[col["姓名"]] for row in body} == set(expected.values_list("name", flat=True))
    for row in body:
        assert MASKED_ID.match(row[col["身份证号"]]), row[col["身份证号"]]
        phone = row[col["手机号"]]
        assert phone is None or MASKED_PHONE.match(phone), phone
        assert row[col["党员状态"]] == "正式党员"
        assert row[col["人员类别"]] == "在职"
    plaintexts = {m.id_number for m in expected}
    assert not plaintexts & {row[col["身份证号"]] for row in body}
    [event] = events_since(seq)
    assert event.action == AuditAction.EXPORT
    assert event.actor_username == "organ"
    assert f"导出党员名单 {expected.count()} 人（脱敏" in event.message


def test_export_for_a_discipline_reader_is_allowed_but_never_unmasked(demo, client_for):
    client = client_for(demo.users["inspector"])

    masked = client.get(reverse("members:export"))
    unmasked = client.get(reverse("members:export"), {"unmasked": "1"})

    assert masked.status_code == 200
    assert unmasked.status_code == 403


def test_an_ordinary_member_cannot_export(demo, client_for):
    client = client_for(demo.users["member"])
    seq = last_seq()

    response = client.get(reverse("members:export"))

    assert response.status_code == 403
    assert [e for e in events_since(seq) if e.action == AuditAction.EXPORT] == []


# ---- masking and reveal --------------------------------------------------------------------------


def test_list_page_shows_id_numbers_and_phones_masked_only(secretary_client):
    response = secretary_client.get(reverse("members:list"))

    html = response.content.decode()
    members = listed(response)
    assert members
    for member in members:
        assert member.id_number not in html
        assert member.phone not in html
        assert member.id_number_masked in html
        assert member.phone_masked in html
        assert MASKED_ID.match(member.id_number_masked)


@pytest.mark.parametrize("username", ["secretary", "organ", "inspector", "member"])
def test_detail_page_shows_id_number_and_phone_masked_only(demo, client_for, username):
    member = demo.own_member if username == "member" else demo.member_in_branch

    response = client_for(demo.users[username]).get(reverse("members:detail", args=[member.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert member.id_number not in html
    assert member.phone not in html
    assert member.id_number_masked in html
    assert member.phone_masked in html


def test_detail_page_offers_reveal_only_to_roles_allowed_to_reveal(demo, client_for):
    url = reverse("members:detail", args=[demo.member_in_branch.pk])
    reveal_url = reverse("members:reveal", args=[demo.member_in_branch.pk, "id_number"])

    allowed = client_for(demo.users["secretary"]).get(url).content.decode()
    refused = client_for(demo.users["inspector"]).get(url).content.decode()

    assert reveal_url in allowed
    assert reveal_url not in refused


@pytest.mark.parametrize("field", ["id_number", "phone"])
def test_reveal_by_post_returns_the_plaintext_and_is_audited(demo, secretary_client, field):
    member = demo.member_in_branch
    seq = last_seq()

    response = secretary_client.post(reverse("members:reveal", args=[member.pk, field]))

    assert response.status_code == 200
    assert getattr(member, field) in response.content.decode()
    [event] = events_since(seq)
    assert event.action == AuditAction.REVEAL
    assert (event.object_id, event.actor_username) == (str(member.pk), "secretary")


def test_reveal_needs_a_post(demo, secretary_client):
    member = demo.member_in_branch
    seq = last_seq()

    response = secretary_client.get(reverse("members:reveal", args=[member.pk, "id_number"]))

    assert response.status_code == 405
    assert member.id_number not in response.content.decode()
    assert events_since(seq) == []


@pytest.mark.parametrize(
    ("username", "member_attr", "status"),
    [
        ("inspector", "member_in_branch", 403),
        ("secretary", "member_in_sibling", 404),
        ("member", "member_in_branch", 404),
    ],
)
def test_reveal_is_refused_without_permission_and_not_recorded(
    demo, client_for, username, member_attr, status
):
    member = getattr(demo, member_attr)
    client = client_for(demo.users[username])
    seq = last_seq()

    response = client.post(reverse("members:reveal", args=[member.pk, "id_number"]))

    assert response.status_code == status
    assert member.id_number not in response.content.decode()
    assert events_since(seq) == []


def test_a_member_can_reveal_their_own_id_number(demo, client_for):
    own = demo.own_member

    response = client_for(demo.users["member"]).post(
        reverse("members:reveal", args=[own.pk, "id_number"])
    )

    assert response.status_code == 200
    assert own.id_number in response.content.decode()


@pytest.fixture
def committee_member(demo):
    """A 支委: may read and write in the branch, but may not reveal ID numbers."""
    actor = Actor.system("test")
    user = create_user(actor, "zhiwei", "Branch#2026x", display_name="支委")
    assign_role(actor, user, Role.BRANCH_COMMITTEE, demo.branch)
    return user


def test_the_edit_form_does_not_show_plaintext_to_a_user_who_may_not_reveal(
    demo, client_for, committee_member
):
    member = demo.member_in_branch

    response = client_for(committee_member).get(reverse("members:edit", args=[member.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert member.id_number not in html
    assert member.phone not in html


# ---- create and edit forms -----------------------------------------------------------------------


def test_create_form_shows_field_errors_in_chinese_and_keeps_nothing(demo, secretary_client):
    data = member_payload(name="", phone="12345", confirmed_on="2015-01-01")
    data["id_number"] = data["id_number"][:-1] + ("1" if data["id_number"][-1] != "1" else "2")
    members_before = Member.objects.count()
    seq = last_seq()

    response = secretary_client.post(reverse("members:create"), {"org": demo.branch.code, **data})

    assert response.status_code == 200
    html = response.content.decode()
    errors = dict(re.findall(r'data-field="(\w+)">([^<]+)</div>', html))
    assert errors == {
        "name": "请填写姓名",
        "id_number": "身份证号校验位不正确，请核对号码是否有误",
        "phone": "手机号应为11位中国大陆手机号码，如 13812345678",
        "confirmed_on": "转正时间应晚于入党时间",
    }
    assert Member.objects.count() == members_before
    assert events_since(seq) == []


def test_create_form_adds_a_member_and_shows_the_id_conversion_warning(demo, secretary_client):
    data = member_payload(name="王五", id_number="110105900503123")
    seq = last_seq()

    response = secretary_client.post(
        reverse("members:create"), {"org": demo.branch.code, **data}, follow=True
    )

    member = Member.objects.get(name="王五", organization=demo.branch)
    assert response.redirect_chain[-1][0] == reverse("members:detail", args=[member.pk])
    assert member.id_number == "110105199005031230"
    html = response.content.decode()
    assert "15位旧身份证号已转换为18位：**************1230，请核对" in html
    assert "110105199005031230" not in html
    assert [e.action for e in events_since(seq)] == [AuditAction.CREATE]


def test_create_form_for_a_branch_outside_scope_is_not_found(demo, secretary_client):
    members_before = Member.objects.count()

    response = secretary_client.post(
        reverse("members:create"), {"org": demo.sibling_branch.code, **member_payload()}
    )

    assert response.status_code == 404
    assert Member.objects.count() == members_before


def test_create_form_is_forbidden_to_a_read_only_user(demo, client_for):
    members_before = Member.objects.count()

    response = client_for(demo.users["inspector"]).post(
        reverse("members:create"), {"org": demo.branch.code, **member_payload()}
    )

    assert response.status_code == 403
    assert Member.objects.count() == members_before


def test_edit_form_shows_field_errors_in_chinese_and_keeps_nothing(demo, secretary_client):
    member = demo.member_in_branch
    stored = Member.objects.filter(pk=member.pk).values().get()
    seq = last_seq()

    response = secretary_client.post(
        reverse("members:edit", args=[member.pk]),
        form_post(
            member,
            job_title="党务专员",
            admitted_on=(today() + dt.timedelta(days=30)).isoformat(),
            status="probationary",
            confirmed_on="",
        ),
    )

    assert response.status_code == 200
    errors = dict(re.findall(r'data-field="(\w+)">([^<]+)</div>', response.content.decode()))
    assert errors == {"admitted_on": "入党时间不能晚于今天"}
    assert Member.objects.filter(pk=member.pk).values().get() == stored
    assert events_since(seq) == []


def test_edit_form_saves_a_change_and_audits_it(demo, secretary_client):
    member = demo.member_in_branch
    seq = last_seq()

    response = secretary_client.post(
        reverse("members:edit", args=[member.pk]), form_post(member, job_title="党务专员")
    )

    assert response.status_code == 302
    assert Member.objects.get(pk=member.pk).job_title == "党务专员"
    [event] = events_since(seq)
    assert event.action == AuditAction.UPDATE
    assert event.changes == {"job_title": [member.job_title, "党务专员"]}


def test_edit_form_of_a_member_outside_scope_is_not_found(demo, secretary_client):
    member = demo.member_in_sibling

    response = secretary_client.post(
        reverse("members:edit", args=[member.pk]), form_post(member, job_title="党务专员")
    )

    assert response.status_code == 404
    assert Member.objects.get(pk=member.pk).job_title == member.job_title


# ---- move ----------------------------------------------------------------------------------------


def test_move_within_the_organs_scope_works_and_is_audited(demo, organ_client):
    member = demo.member_in_branch
    target = demo.sibling_branch
    group = demo.org["FGW-B02-G2"]
    seq = last_seq()

    response = organ_client.post(
        reverse("members:move", args=[member.pk]),
        {"organization": target.pk, "party_group": group.pk, "reason": "处室调整"},
    )

    assert response.status_code == 302
    stored = Member.objects.get(pk=member.pk)
    assert (stored.organization_id, stored.party_group_id) == (target.pk, group.pk)
    [event] = events_since(seq)
    assert event.action == AuditAction.MOVE
    assert event.changes["organization"] == [demo.branch.pk, target.pk]
    assert event.changes["party_group"] == [member.party_group_id, group.pk]
    assert event.message == "处室调整"


def test_move_form_offers_only_branches_in_scope(demo, client_for):
    member = demo.member_in_branch

    organ_form = client_for(demo.users["organ"]).get(reverse("members:move", args=[member.pk]))
    secretary_form = client_for(demo.users["secretary"]).get(
        reverse("members:move", args=[member.pk])
    )

    organ_choices = {int(v) for v, _ in organ_form.context["form"].fields["organization"].choices}
    assert organ_choices == {
        o.pk for o in demo.org.values() if o.kind == "branch" and o.code.startswith("FGW-")
    }
    secretary_choices = [
        int(v) for v, _ in secretary_form.context["form"].fields["organization"].choices
    ]
    assert secretary_choices == [demo.branch.pk]


@pytest.mark.parametrize(
    ("username", "target_code"),
    [("secretary", "FGW-B02"), ("organ", "CZJ-B01"), ("organ", "FGW-ZZ")],
)
def test_move_outside_scope_is_refused_and_changes_nothing(demo, client_for, username, target_code):
    member = demo.member_in_branch
    client = client_for(demo.users[username])
    seq = last_seq()

    response = client.post(
        reverse("members:move", args=[member.pk]), {"organization": demo.org[target_code].pk}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["organization"]
    assert Member.objects.get(pk=member.pk).organization_id == demo.branch.pk
    assert events_since(seq) == []


def test_move_with_a_party_group_of_another_branch_is_refused(demo, organ_client):
    member = demo.member_in_branch
    seq = last_seq()

    response = organ_client.post(
        reverse("members:move", args=[member.pk]),
        {"organization": demo.sibling_branch.pk, "party_group": demo.org["FGW-B01-G1"].pk},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["party_group"] == ["党小组必须属于所在支部"]
    assert Member.objects.get(pk=member.pk).organization_id == demo.branch.pk
    assert events_since(seq) == []


@pytest.mark.parametrize(
    ("username", "member_attr", "status"),
    [("inspector", "member_in_branch", 403), ("secretary", "member_in_sibling", 404)],
)
def test_move_page_is_refused_to_users_who_may_not_move_the_member(
    demo, client_for, username, member_attr, status
):
    member = getattr(demo, member_attr)

    response = client_for(demo.users[username]).post(
        reverse("members:move", args=[member.pk]), {"organization": demo.branch.pk}
    )

    assert response.status_code == status
    assert Member.objects.get(pk=member.pk).organization_id == member.organization_id


def test_the_history_of_membership_stacks_on_a_phone(demo, client_for):
    """Five columns squeezed 办公室党支部 to a character a line at 360 px (ux30): the table is a
    .table-stack, each cell labelled with its column for the stacked layout."""
    member = demo.own_member
    html = client_for(demo.users["member"]).get(f"/members/{member.pk}/").content.decode()
    table = html.split('id="history-spells"', 1)[1].split("</table>", 1)[0]
    assert 'class="table table-sm small table-stack"' in html
    for label in ("起始", "截止", "所在组织", "身份", "变动原因"):
        assert f'data-label="{label}"' in table
    assert f'data-label="所在组织">{member.organization.name}</td>' in table
