from http import HTTPStatus

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_an_unknown_zone_shows_pages_in_utc(client, patient):
    patient.timezone = "Mars/Olympus"  # written around the form's validation
    patient.save(update_fields=["timezone"])
    client.force_login(patient)
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == HTTPStatus.OK
    assert "Times shown in UTC" in response.content.decode()
