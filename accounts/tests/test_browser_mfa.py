import re

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, StaffFactory
from accounts.tests.mfa import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_set_up_an_authenticator_on_their_way_to_the_admin(page, log_in):
    staff = StaffFactory(totp=False, full_name="Sam Staff")
    log_in(staff)
    page.goto("/admin/")
    # allauth asks for the password again before adding a factor.
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    assert "authenticator app" in page.locator("#messages").inner_text()
    page.get_by_role("textbox", name="Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/"))
    page.screenshot(path="/tmp/mfa-activate-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/mfa-activate-390.png", full_page=True)
    secret = page.get_by_label("Authenticator secret").input_value()
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()

    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    page.screenshot(path="/tmp/mfa-codes-390.png", full_page=True)
    page.goto("/admin/")
    assert page.get_by_role("heading", name="Front desk and records").is_visible()


def test_everyone_finds_two_factor_settings_in_the_account_menu(page, log_in, patient):
    log_in(patient)
    page.goto("/account/profile/")
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="Two-factor authentication").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/"))
    assert page.get_by_role("heading", name="Two-Factor Authentication").is_visible()
    page.screenshot(path="/tmp/mfa-index-390.png", full_page=True)
