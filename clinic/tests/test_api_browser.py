"""The API docs in a browser: a signed-in user opens /api/docs/ (Swagger UI served
offline) and calls "My profile" with "Try it out", on their session."""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_signed_in_user_tries_an_endpoint_from_the_docs(page, log_in, patient):
    log_in(patient)

    page.goto("/api/docs/")
    page.get_by_role("heading", name=re.compile("Clinic API")).wait_for()
    page.locator("#operations-me-me_retrieve").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    response = page.locator("#operations-me-me_retrieve .live-responses-table")
    response.get_by_text(patient.email).first.wait_for()
    assert "200" in response.inner_text()
