"""The bulk move's page (整建制转移): a form, a preview listing who moves and writing nothing,
one confirmation that moves the chosen members on the day (all or nothing), and clear Chinese
messages for bad input."""

from __future__ import annotations

from django.urls import reverse

from dangjian.members.history import members_on
from dangjian.members.models import Member
from dangjian.transfers import services
from tests.helpers import actions_since, events_since, last_seq
from tests.transfers.helpers import D, as_, receiver

ON = D(2026, 11, 20)


def _current(org) -> list[int]:
    return list(
        Member.objects.filter(organization=org, left_on__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _in(org, day) -> set[int]:
    return set(members_on(org, day).values_list("pk", flat=True))


def _url(org) -> str:
    return reverse("transfers:bulk") + f"?org={org.pk}"


def test_preview_then_one_confirmation_moves_the_chosen_members(demo, client_for) -> None:
    source, target = demo.sibling_branch, demo.org["FGW-B03"]
    organ = client_for(demo.users["organ"])
    ids = _current(source)
    chosen, staying = ids[:-1], ids[-1]
    page = organ.get(_url(source))
    assert page.status_code == 200
    assert {m.pk for m, _, checked in page.context["rows"] if checked} == set(ids)
    assert target in page.context["targets"] and source not in page.context["targets"]
    form = {"target": target.pk, "on": ON.isoformat(), "reason": "两支部合并", "members": chosen}
    seq = last_seq()
    preview = organ.post(_url(source), form | {"action": "preview"})
    assert preview.status_code == 200 and preview.context["stage"] == "preview"
    assert [m.pk for m in preview.context["chosen"]] == chosen
    assert f"确认转移{len(chosen)}名党员" in preview.content.decode()
    assert events_since(seq) == [] and _current(source) == ids  # the preview writes nothing
    done = organ.post(_url(source), form | {"action": "confirm"})
    assert done.status_code == 302 and done["Location"].endswith(f"?org={target.pk}")
    assert actions_since(seq).count("move") == len(chosen)
    assert _current(source) == [staying]
    # Who was a member of each branch: the old one up to the day before, the new one from it.
    assert set(chosen) <= _in(source, D(2026, 11, 19)) and not set(chosen) & _in(source, ON)
    assert set(chosen) <= _in(target, ON) and not set(chosen) & _in(target, D(2026, 11, 19))
    # The summary event on the target carries counts and codes, never a name.
    names = set(Member.objects.filter(pk__in=ids).values_list("name", flat=True))
    for event in events_since(seq):
        if event.object_type == "orgs.organization":
            assert not any(n in event.message for n in names)


def test_bad_input_gets_a_chinese_message_and_nothing_is_written(demo, client_for) -> None:
    source, target = demo.sibling_branch, demo.org["FGW-B03"]
    organ = client_for(demo.users["organ"])
    ids = _current(source)
    base = {"target": target.pk, "on": ON.isoformat(), "reason": "合并", "action": "confirm"}
    cases = [
        ({"members": []}, "请至少选择一名党员"),
        ({"members": ids, "target": ""}, "请选择转入的党支部"),
        ({"members": ids, "target": demo.other_branch.pk}, "请选择转入的党支部"),
        ({"members": ids, "reason": " "}, "请填写转移原因"),
        ({"members": ids, "on": "2099-01-01"}, "转移日期不能晚于今天"),
        ({"members": ids, "on": "2026-13-01"}, "转移日期格式应为"),
        ({"members": ids, "on": "1990-01-01"}, "不能早于所选党员最近一次组织关系变动的日期"),
        ({"members": [demo.member_in_branch.pk]}, "已不在该支部在册"),
    ]
    seq = last_seq()
    for change, message in cases:
        page = organ.post(_url(source), base | change)
        assert page.status_code == 200, change
        assert any(message in m for m in page.context["errors"].values()), (change, page.context)
    # A member in transit blocks the move of a selection that includes them.
    services.start(
        as_(receiver(demo)), Member.objects.get(pk=ids[0]), kind="out", to_name="外省某党支部",
        reason="外出", applied_on=D(2026, 11, 2),
    )  # fmt: skip
    seq = last_seq()
    page = organ.post(_url(source), base | {"members": ids})
    assert "1名党员正在办理组织关系转接" in page.context["errors"]["source"]
    assert events_since(seq) == [] and _current(source) == ids
    # The form does not offer them.
    rows = organ.get(_url(source)).context["rows"]
    assert [(m.pk, busy) for m, busy, _ in rows if busy] == [(ids[0], True)]


def test_only_the_committee_above_may_open_or_post(demo, client_for) -> None:
    source = demo.sibling_branch
    ids = _current(source)
    form = {"target": demo.org["FGW-B03"].pk, "on": ON.isoformat(), "reason": "合并",
            "members": ids, "action": "confirm"}  # fmt: skip
    secretary = client_for(receiver(demo))
    assert secretary.get(_url(source)).status_code == 403
    assert secretary.post(_url(source), form).status_code == 403
    assert client_for(demo.users["secretary"]).post(_url(source), form).status_code == 404
    assert _current(source) == ids
    # The list page offers the link to the committee only.
    listing = reverse("transfers:list") + f"?org={source.pk}"
    assert client_for(demo.users["organ"]).get(listing).context["can_bulk"]
    assert not secretary.get(listing).context["can_bulk"]
