"""Two-factor login: required for the administrators (and by a setting for 机关党委 and 纪检),
enrolment with a QR code and recovery codes shown once, a reset by the security administrator."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from dangjian.accounts import twofactor
from dangjian.audit.models import AuditAction
from tests.conftest import PASSWORD
from tests.helpers import assert_audited, last_seq


@pytest.fixture(autouse=True)
def required(settings):
    settings.TOTP_REQUIRED = True


def _login(username: str) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _code(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _enrol(client: Client, user) -> list[str]:
    client.get(reverse("two_factor_setup"))
    response = client.post(reverse("two_factor_setup"), {"token": _code(user)})
    assert response.status_code == 200
    return response.context["codes"]


def test_an_administrator_must_enrol_before_anything_else(demo):
    client = _login("sysadmin")
    response = client.get(reverse("accounts:users"))
    assert response["Location"].startswith(reverse("two_factor_setup"))
    assert client.get("/api/v1/orgs/tree").status_code == 403

    page = client.get(reverse("two_factor_setup"))
    assert page.context["qr"].startswith("data:image/svg+xml")
    assert page.context["secret"] in page.content.decode()
    wrong = client.post(reverse("two_factor_setup"), {"token": "000000"})
    assert "验证码不正确" in wrong.content.decode()
    start = last_seq()

    codes = _enrol(client, demo.users["sysadmin"])

    assert len(codes) == 10 and len(set(codes)) == 10
    assert_audited(
        start, AuditAction.UPDATE, demo.users["sysadmin"], message="sysadmin 启用双因素认证"
    )
    assert client.get(reverse("accounts:users")).status_code == 200


def test_the_next_login_asks_for_a_code_and_a_recovery_code_works_once(demo):
    user = demo.users["auditor"]
    codes = _enrol(_login("auditor"), user)

    client = _login("auditor")
    assert client.get(reverse("audit:list"))["Location"].startswith(reverse("two_factor_verify"))
    start = last_seq()
    bad = client.post(reverse("two_factor_verify"), {"token": "12345678"})
    assert "验证码不正确" in bad.content.decode()
    assert_audited(start, AuditAction.LOGIN_FAILED, user)
    # A failure slows the next try down (django-otp's throttling): a few seconds later.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    with time_machine.travel(later, tick=True):
        assert client.post(reverse("two_factor_verify"), {"token": codes[0]}).status_code == 302
        assert client.get(reverse("audit:list")).status_code == 200

    again = _login("auditor")
    assert again.post(reverse("two_factor_verify"), {"token": codes[0]}).status_code == 200
    assert again.get(reverse("audit:list")).status_code == 302


def test_members_and_secretaries_are_not_asked(demo):
    for name in ("member", "secretary", "organ"):
        assert not twofactor.required_for(demo.users[name])
    assert _login("secretary").get(reverse("members:list")).status_code == 200


def test_a_setting_requires_it_for_the_organ_committee_and_discipline(demo, settings):
    settings.TOTP_BUSINESS_ROLES = True
    assert twofactor.required_for(demo.users["organ"])
    assert twofactor.required_for(demo.users["inspector"])
    assert not twofactor.required_for(demo.users["secretary"])
    response = _login("inspector").get(reverse("members:list"))
    assert response["Location"].startswith(reverse("two_factor_setup"))


def test_the_security_administrator_resets_a_second_factor(demo):
    auditor = demo.users["auditor"]
    _enrol(_login("auditor"), auditor)
    secadmin = _login("secadmin")
    _enrol(secadmin, demo.users["secadmin"])
    listed = dict(secadmin.get(reverse("accounts:two_factor_admin")).context["rows"])
    assert listed[auditor] is True
    start = last_seq()

    secadmin.post(reverse("accounts:two_factor_reset", args=[auditor.pk]))

    assert_audited(
        start, AuditAction.UPDATE, auditor, actor="secadmin", message="重置 auditor 的双因素认证"
    )
    assert not twofactor.enrolled(auditor)
    again = _login("auditor")
    assert again.get(reverse("audit:list"))["Location"].startswith(reverse("two_factor_setup"))


def test_nobody_else_resets_a_second_factor(demo):
    sysadmin = _login("sysadmin")
    _enrol(sysadmin, demo.users["sysadmin"])
    target = demo.users["auditor"]
    assert sysadmin.post(reverse("accounts:two_factor_reset", args=[target.pk])).status_code == 403
