"""Delivering notices (idempotent per recipient and key), what a notice is about, marking read,
and e-mail: the inbox's writes, which every app uses through `dangjian.notices.services`."""

from __future__ import annotations

import pytest

from dangjian.notices import services
from dangjian.notices.models import Notice
from dangjian.notices.registry import kind_label
from dangjian.orgs.models import Organization


def test_notices_are_idempotent_per_key_and_marked_read(demo):
    secretary, organ = demo.users["secretary"], demo.users["organ"]

    assert services.notify([secretary.pk, organ.pk], key="k1", kind="reminder", title="t") == 2
    assert services.notify([secretary.pk, organ.pk], key="k1", kind="reminder", title="t") == 0
    assert services.notify([secretary.pk], key="k2", kind="reminder", title="t") == 1
    assert services.notify([], key="k3", kind="reminder", title="t") == 0

    assert Notice.objects.filter(recipient=secretary).count() == 2
    first = Notice.objects.filter(recipient=secretary, key="k1").get()
    assert services.mark_read(secretary, [first.pk]) == 1
    assert services.mark_read(secretary, [first.pk]) == 0
    assert services.mark_read(organ, [first.pk]) == 0  # not organ's notice
    assert services.mark_read(secretary) == 1
    assert Notice.objects.filter(recipient=secretary, read_at__isnull=True).count() == 0
    assert Notice.objects.filter(recipient=organ, read_at__isnull=True).count() == 1


def test_a_notice_names_the_record_it_is_about_and_links_to_its_page(demo):
    secretary = demo.users["secretary"]
    branch = Organization.objects.get(code="FGW-B01")

    services.notify_many(
        [
            services.Message(
                frozenset({secretary.pk}),
                "about:1",
                "reminder",
                "关于支部的消息",
                link=f"/orgs/{branch.pk}/",
                subject=branch,
            ),
            services.Message(frozenset({secretary.pk}), "plain:1", "reminder", "没有对象的消息"),
        ]
    )

    (about,) = Notice.objects.about(branch)
    assert (about.subject_type, about.subject_id, about.link) == (
        "orgs.organization",
        branch.pk,
        f"/orgs/{branch.pk}/",
    )
    plain = Notice.objects.get(key="plain:1")
    assert (plain.subject_type, plain.subject_id, plain.link) == ("", None, "")


def test_kinds_are_labelled_by_the_apps_that_send_them():
    # Registered by duties/inbox.py and meetings/inbox.py; an unknown code shows as itself.
    assert kind_label("escalation") == "督办"
    assert kind_label("leave") == "请假结果"
    assert kind_label("no-such-kind") == "no-such-kind"


@pytest.fixture
def email_on(settings):
    settings.EMAIL_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


def test_each_unread_notice_is_emailed_once_to_an_address(demo, email_on, mailoutbox):
    secretary, organ = demo.users["secretary"], demo.users["organ"]
    secretary.email = "secretary@example.org"
    secretary.save(update_fields=["email"])
    services.notify([secretary.pk, organ.pk], key="mail:1", kind="reminder", title="请报送")
    services.notify([secretary.pk], key="mail:2", kind="reminder", title="已读的消息")
    services.mark_read(secretary, Notice.objects.filter(key="mail:2").values_list("pk", flat=True))

    assert services.send_emails() == 1
    assert services.send_emails() == 0
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["secretary@example.org"], "【机关党建】请报送")
    ]
    # The 机关党委 officer has no address: the inbox only.
    assert Notice.objects.get(recipient=organ, key="mail:1").emailed_at is None
