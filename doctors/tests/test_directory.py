from http import HTTPStatus

import pytest
from django.urls import reverse

from doctors.tests.factories import DoctorProfileFactory, SpecializationFactory

pytestmark = pytest.mark.django_db


def test_home_page_links_specializations_to_their_directory(client):
    SpecializationFactory(name="Cardiology", slug="cardiology")
    response = client.get(reverse("home"))
    assert response.status_code == HTTPStatus.OK
    assert b'href="/specializations/cardiology/"' in response.content
    assert b'action="/doctors/"' in response.content


def test_specialization_page_lists_its_doctors(client):
    doctor = DoctorProfileFactory(specialization__slug="cardiology")
    response = client.get(reverse("doctors:specialization", args=["cardiology"]))
    assert response.status_code == HTTPStatus.OK
    assert doctor.user.full_name.encode() in response.content


def test_unknown_specialization_slug_is_404(client):
    response = client.get(reverse("doctors:specialization", args=["nope"]))
    assert response.status_code == HTTPStatus.NOT_FOUND
