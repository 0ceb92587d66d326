"""The administrators' main flow in a real browser, with the second factor on: the system
administrator enrols (QR page, code from the key), makes an account with no role and requests a
role; the security administrator enrols and approves; the new user is held on the password page
until they set their own, then works in their branch.
"""

from __future__ import annotations

import base64

import pytest
from django_otp.oath import totp
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from dangjian.accounts.models import Grant, GrantStatus, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

INITIAL = "Chushi#2026x"
OWN = "Ziji#mima2027"


def _enrol(page) -> None:
    page.wait_for_url("**/2fa/setup/**")
    expect(page.locator("#totp-qr")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_label("验证码").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="确认绑定").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="继续").click()


def _logout(page) -> None:
    # Once on PostgreSQL under load the click's form post was lost (a broken pipe on the live
    # server, no navigation): click again once if the page is still not the login page.
    for attempt in range(2):
        if "/login/" in page.url:
            return
        page.get_by_role("button", name="退出").click()
        try:
            page.wait_for_url("**/login/**", timeout=10_000)
            return
        except PlaywrightTimeoutError:
            if attempt:
                raise


def test_an_account_is_made_granted_by_two_people_and_its_first_password_replaced(
    page, demo, login, settings, results_dir
):
    settings.TOTP_REQUIRED = True

    # The system administrator: second factor, then 用户管理.
    login(page, "sysadmin", PASSWORD)
    _enrol(page)
    page.goto("/admin/users/")
    page.get_by_role("link", name="新建用户").click()
    expect(page.locator("#id_role")).to_have_count(0)  # no role in the form
    page.get_by_label("用户名").fill("wang.wu")
    page.get_by_label("姓名").fill("王五")
    page.get_by_label("初始密码").fill(INITIAL)
    page.get_by_role("button", name="创建").click()
    expect(page.get_by_role("heading", name="用户 wang.wu")).to_be_visible()
    page.locator("#grant-form #id_role").select_option("branch_committee")
    page.locator("#grant-form #id_organization").fill("FGW-B01")
    page.get_by_role("button", name="申请授予").click()
    expect(page.get_by_text("待安全管理员审批后生效")).to_be_visible()
    page.screenshot(path=str(results_dir / "accounts-user-detail.png"), full_page=True)
    _logout(page)

    # The security administrator approves.
    login(page, "secadmin", PASSWORD)
    _enrol(page)
    page.goto("/admin/grants/?status=pending")
    row = page.locator("tr", has_text="授予 wang.wu 支委")
    row.get_by_role("button", name="批准").click()
    expect(page.get_by_text("已批准：授予 wang.wu 支委")).to_be_visible()
    assert Grant.objects.get(user__username="wang.wu").status == GrantStatus.APPROVED
    _logout(page)

    # The new user: the initial password opens only the password page.
    login(page, "wang.wu", INITIAL)
    page.wait_for_url("**/password/**")
    expect(page.get_by_text("初始密码")).to_be_visible()
    page.get_by_label("当前密码").fill(INITIAL)
    page.get_by_label("新密码", exact=True).fill(OWN)
    page.get_by_label("再次输入新密码").fill(OWN)
    page.get_by_role("button", name="修改密码").click()
    expect(page.get_by_text("密码已修改")).to_be_visible()
    page.goto("/members/?org=FGW-B01")
    expect(page.get_by_role("heading", name="党员")).to_be_visible()
    assert not User.objects.get(username="wang.wu").must_change_password
