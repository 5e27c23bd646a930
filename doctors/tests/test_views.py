import datetime
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse

from accounts.tests.factories import UserFactory
from doctors import services
from doctors.models import DoctorProfile, Follow, Language
from doctors.tests.factories import (
    DoctorProfileFactory,
    FollowFactory,
    SpecializationFactory,
)

pytestmark = pytest.mark.django_db

# Rate-limit tests run with the clock stopped, so no window boundary falls inside.
FROZEN = datetime.datetime(2026, 3, 2, 9, 0, 30, tzinfo=datetime.UTC)

HTMX = {"HTTP_HX_REQUEST": "true"}


def language(name: str) -> Language:
    """A migration-made language (re-made if a transactional test flushed it)."""
    return Language.objects.get_or_create(slug=name.lower(), defaults={"name": name})[0]


def follow_url(doctor) -> str:
    return reverse("doctors:follow", args=[doctor.slug])


def unfollow_url(doctor) -> str:
    return reverse("doctors:unfollow", args=[doctor.slug])


def application_data(**overrides) -> dict:
    return {
        "specialization": SpecializationFactory(name="Cardiology").pk,
        "license_number": " lic-123 ",
        "bio": "I listen first.",
        "qualifications": "MD, Charité",
        "years_of_experience": "12",
        "languages": [language("English").pk],
        "clinic_name": "Heart Centre",
        "address": "1 Main Street",
        "city": "berlin",
        "consultation_fee": "90.00",
        "timezone": "Europe/Berlin",
        **overrides,
    }


def assert_login_redirect(response) -> None:
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


# --- Access rules ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("doctors:apply", "get"),
        ("doctors:apply", "post"),
        ("doctors:application", "get"),
        ("doctors:edit", "get"),
        ("doctors:edit", "post"),
        ("doctors:following", "get"),
    ],
)
def test_anonymous_visitors_are_sent_to_log_in(client, name, method):
    assert_login_redirect(getattr(client, method)(reverse(name)))


def test_anonymous_follow_and_unfollow_are_sent_to_log_in(client, doctor):
    assert_login_redirect(client.post(follow_url(doctor)))
    assert_login_redirect(client.post(unfollow_url(doctor)))
    assert not Follow.objects.exists()


def test_an_expired_session_sends_htmx_to_the_log_in_page(client, doctor):
    response = client.post(
        follow_url(doctor),
        HTTP_HX_CURRENT_URL=f"http://testserver{doctor.get_absolute_url()}",
        **HTMX,
    )
    assert response.status_code == HTTPStatus.OK
    assert response["HX-Redirect"] == (
        f"{reverse('account_login')}?next=%2Fdoctors%2F{doctor.slug}%2F"
    )
    assert not Follow.objects.exists()


def test_follow_and_unfollow_only_accept_post(patient_client, doctor):
    assert patient_client.get(follow_url(doctor)).status_code == 405
    assert patient_client.get(unfollow_url(doctor)).status_code == 405


def test_anyone_sees_an_approved_doctors_page(client, doctor):
    response = client.get(doctor.get_absolute_url())
    assert response.status_code == HTTPStatus.OK
    assert "Dr Ada Lee" in response.content.decode()


@pytest.mark.parametrize(
    "status", [DoctorProfile.Status.PENDING, DoctorProfile.Status.REJECTED]
)
def test_an_unapproved_profile_is_404_except_for_its_owner_and_staff(
    client, patient, staff, status
):
    profile = DoctorProfileFactory(status=status)
    url = profile.get_absolute_url()

    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    client.force_login(patient)
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    client.force_login(DoctorProfileFactory().user)
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND

    client.force_login(profile.user)
    owner_page = client.get(url)
    assert owner_page.status_code == HTTPStatus.OK
    assert "This profile is not public yet" in owner_page.content.decode()
    client.force_login(staff)
    assert client.get(url).status_code == HTTPStatus.OK


def test_an_unknown_slug_is_404(client):
    assert client.get("/doctors/nobody-here/").status_code == HTTPStatus.NOT_FOUND


def test_someone_elses_pending_profile_cannot_be_followed(patient_client):
    pending = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    response = patient_client.post(follow_url(pending))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Follow.objects.exists()


def test_staff_cannot_follow_a_pending_profile_they_can_see(staff_client):
    pending = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    page = staff_client.get(pending.get_absolute_url()).content.decode()
    assert f'action="{follow_url(pending)}"' not in page
    response = staff_client.post(follow_url(pending))
    assert response.status_code == HTTPStatus.NOT_FOUND


# --- The public page ---------------------------------------------------------------


def test_the_doctor_page_shows_the_profile(client, settings):
    settings.CLINIC_CURRENCY = "EUR"
    doctor = DoctorProfileFactory(
        user__full_name="Ada Lee",
        specialization=SpecializationFactory(name="Cardiology", slug="cardiology"),
        bio="Heart health, explained.",
        qualifications="MD, Charité Berlin",
        clinic_name="Heart Centre",
        address="1 Main Street",
        city="Berlin",
        followers_count=0,
        rating_avg="4.56",
        rating_count=128,
    )
    doctor.languages.add(language("German"))

    response = client.get(doctor.get_absolute_url())
    html = response.content.decode()

    for text in [
        "<title>Dr Ada Lee · Clinic</title>",
        "Cardiology",
        "Heart health, explained.",
        "MD, Charité Berlin",
        "German",
        "Heart Centre",
        "1 Main Street",
        "60.00 EUR",
        "0 followers",
        "4.6 · 128 reviews",
    ]:
        assert text in html
    assert response.context["breadcrumbs"] == [
        ("Doctors", reverse("doctors:list")),
        ("Cardiology", reverse("doctors:specialization", args=["cardiology"])),
        ("Dr Ada Lee", ""),
    ]
    assert html.count("<h1") == 1


def test_no_rating_line_without_ratings(client, doctor):
    html = client.get(doctor.get_absolute_url()).content.decode()
    assert 'class="doctor-rating' not in html


def test_anonymous_visitors_get_a_log_in_link_instead_of_a_follow_form(client, doctor):
    html = client.get(doctor.get_absolute_url()).content.decode()
    assert f'action="{follow_url(doctor)}"' not in html
    assert reverse("account_login") in html


def test_the_doctor_sees_no_follow_button_on_their_own_page(doctor_client, doctor):
    html = doctor_client.get(doctor.get_absolute_url()).content.decode()
    assert f'action="{follow_url(doctor)}"' not in html
    assert reverse("doctors:edit") in html


def test_the_page_shows_unfollow_to_a_follower(patient_client, patient, doctor):
    services.follow(patient=patient, doctor=doctor)
    html = patient_client.get(doctor.get_absolute_url()).content.decode()
    assert f'action="{unfollow_url(doctor)}"' in html
    assert "1 follower" in html


# --- Follow / unfollow ---------------------------------------------------------------


def test_following_without_javascript_redirects_back_with_a_message(
    patient_client, patient, doctor
):
    response = patient_client.post(follow_url(doctor), follow=True)

    assert response.redirect_chain[-1][0] == doctor.get_absolute_url()
    assert "You now follow Dr Ada Lee." in response.content.decode()
    doctor.refresh_from_db()
    assert doctor.followers_count == 1


def test_following_goes_back_to_a_safe_next_page_only(patient_client, doctor):
    response = patient_client.post(follow_url(doctor), {"next": "/doctors/?page=2"})
    assert response.url == "/doctors/?page=2"
    response = patient_client.post(
        unfollow_url(doctor), {"next": "https://evil.example/"}
    )
    assert response.url == doctor.get_absolute_url()


def test_following_with_htmx_returns_the_button_and_count_in_place(
    patient_client, doctor
):
    response = patient_client.post(follow_url(doctor), **HTMX)

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert html.lstrip().startswith("<div") and "<html" not in html
    assert f'id="follow-{doctor.pk}"' in html
    assert 'aria-live="polite"' in html
    assert "1 follower" in html
    assert f'hx-post="{unfollow_url(doctor)}"' in html
    assert "You now follow Dr Ada Lee." in html


def test_unfollowing_with_htmx_swaps_back_to_follow(patient_client, patient, doctor):
    services.follow(patient=patient, doctor=doctor)
    response = patient_client.post(unfollow_url(doctor), **HTMX)

    html = response.content.decode()
    assert "0 followers" in html
    assert f'hx-post="{follow_url(doctor)}"' in html
    doctor.refresh_from_db()
    assert doctor.followers_count == 0


def test_following_twice_is_not_an_error(patient_client, doctor):
    patient_client.post(follow_url(doctor))
    response = patient_client.post(follow_url(doctor), follow=True)

    assert response.status_code == HTTPStatus.OK
    assert "You already follow Dr Ada Lee." in response.content.decode()
    doctor.refresh_from_db()
    assert doctor.followers_count == 1


def test_a_doctor_following_their_own_profile_is_refused(doctor_client, doctor):
    response = doctor_client.post(follow_url(doctor), follow=True)
    assert "You cannot follow your own profile." in response.content.decode()

    htmx = doctor_client.post(follow_url(doctor), **HTMX)
    assert htmx.status_code == HTTPStatus.FORBIDDEN
    doctor.refresh_from_db()
    assert doctor.followers_count == 0
    assert not Follow.objects.exists()


@time_machine.travel(FROZEN, tick=False)  # one rate-limit window
def test_follow_and_unfollow_are_rate_limited_per_user(
    one_rate_window, patient_client, client, doctor
):
    # One budget for both: toggling spends it twice as fast.
    for _ in range(15):
        assert patient_client.post(follow_url(doctor)).status_code == 302
        assert patient_client.post(unfollow_url(doctor)).status_code == 302
    response = patient_client.post(follow_url(doctor))
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    htmx = patient_client.post(unfollow_url(doctor), **HTMX)
    assert htmx.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "too often" in htmx.content.decode()

    other = UserFactory()
    client.force_login(other)  # another user has their own budget
    assert client.post(follow_url(doctor)).status_code == HTTPStatus.FOUND


# --- Following page ------------------------------------------------------------------


def test_the_following_page_lists_my_doctors_with_unfollow_buttons(
    patient_client, patient, django_assert_max_num_queries
):
    mine = DoctorProfileFactory.create_batch(5)
    for doctor in mine:
        FollowFactory(patient=patient, doctor=doctor)
    FollowFactory(doctor=DoctorProfileFactory())  # someone else's
    hidden = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    FollowFactory(patient=patient, doctor=hidden)

    with django_assert_max_num_queries(8):
        response = patient_client.get(reverse("doctors:following"))

    assert list(response.context["doctors"]) == list(reversed(mine))
    html = response.content.decode()
    for doctor in mine:
        assert f'action="{unfollow_url(doctor)}"' in html
    assert unfollow_url(hidden) not in html


def test_the_following_page_query_count_does_not_grow_with_doctors(
    patient_client, patient, django_assert_max_num_queries
):
    for doctor in DoctorProfileFactory.create_batch(20):
        FollowFactory(patient=patient, doctor=doctor)
    with django_assert_max_num_queries(8):
        patient_client.get(reverse("doctors:following"))


def test_the_following_page_has_an_empty_state(patient_client):
    html = patient_client.get(reverse("doctors:following")).content.decode()
    assert "You do not follow any doctors yet." in html
    assert reverse("doctors:list") in html


# --- Applying ------------------------------------------------------------------------


def test_applying_creates_a_pending_application_and_shows_its_status(
    patient_client, patient
):
    response = patient_client.post(
        reverse("doctors:apply"), application_data(), follow=True
    )

    profile = DoctorProfile.objects.get(user=patient)
    assert profile.status == DoctorProfile.Status.PENDING
    assert profile.license_number == "LIC-123"
    assert profile.city == "Berlin"
    assert response.redirect_chain[-1][0] == reverse("doctors:application")
    html = response.content.decode()
    assert "Application sent." in html
    assert "Pending review" in html


def test_application_errors_stay_next_to_the_fields_with_the_input_kept(
    patient_client, patient
):
    response = patient_client.post(
        reverse("doctors:apply"),
        application_data(consultation_fee="-5", years_of_experience="200", bio=""),
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    errors = response.context["form"].errors
    assert {"consultation_fee", "years_of_experience", "bio"} <= set(errors)
    html = response.content.decode()
    assert 'value="Heart Centre"' in html
    assert 'value="-5"' in html
    assert not DoctorProfile.objects.filter(user=patient).exists()


def test_a_pending_applicant_is_sent_to_the_status_page(client):
    pending = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    client.force_login(pending.user)
    response = client.get(reverse("doctors:apply"))
    assert response.url == reverse("doctors:application")
    response = client.post(reverse("doctors:apply"), application_data())
    assert response.url == reverse("doctors:application")
    assert DoctorProfile.objects.filter(user=pending.user).count() == 1


def test_a_rejected_applicant_sees_the_reason_and_can_apply_again(client, staff):
    profile = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    services.reject(profile=profile, by=staff, reason="Your license has expired.")
    client.force_login(profile.user)

    status_page = client.get(reverse("doctors:application")).content.decode()
    assert "Your license has expired." in status_page
    form_page = client.get(reverse("doctors:apply"))
    assert form_page.status_code == HTTPStatus.OK
    assert f'value="{profile.license_number}"' in form_page.content.decode()

    client.post(reverse("doctors:apply"), application_data())
    profile.refresh_from_db()
    assert profile.status == DoctorProfile.Status.PENDING


def test_a_patient_without_an_application_sees_an_empty_state(patient_client):
    html = patient_client.get(reverse("doctors:application")).content.decode()
    assert "You have not applied" in html
    assert reverse("doctors:apply") in html


def test_an_approved_doctor_sees_the_approved_status(doctor_client):
    html = doctor_client.get(reverse("doctors:application")).content.decode()
    assert "Approved" in html and reverse("doctors:edit") in html


@time_machine.travel(FROZEN, tick=False)  # one rate-limit window
def test_applying_is_rate_limited(one_rate_window, patient_client):
    for _ in range(10):
        patient_client.post(reverse("doctors:apply"), {"bio": ""})
    response = patient_client.post(reverse("doctors:apply"), {"bio": ""})
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


# --- Editing -------------------------------------------------------------------------


def test_an_approved_doctor_edits_their_profile(doctor_client, doctor):
    data = application_data(bio="New bio.", city="munich")
    del data["specialization"], data["license_number"]

    response = doctor_client.post(reverse("doctors:edit"), data, follow=True)

    doctor.refresh_from_db()
    assert doctor.bio == "New bio."
    assert doctor.city == "Munich"
    assert response.redirect_chain[-1][0] == doctor.get_absolute_url()
    assert "Your doctor profile was saved." in response.content.decode()


def test_edit_errors_keep_the_input(doctor_client, doctor):
    response = doctor_client.post(
        reverse("doctors:edit"), {"bio": "Draft bio", "consultation_fee": "abc"}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Draft bio" in response.content.decode()
    doctor.refresh_from_db()
    assert doctor.bio != "Draft bio"


def test_patients_and_applicants_cannot_edit_a_doctor_profile(patient_client, client):
    assert patient_client.get(reverse("doctors:edit")).url == reverse("doctors:apply")
    pending = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    client.force_login(pending.user)
    assert client.get(reverse("doctors:edit")).url == reverse("doctors:application")


def test_staff_without_a_profile_are_sent_to_apply(staff_client):
    assert staff_client.get(reverse("doctors:edit")).url == reverse("doctors:apply")


@time_machine.travel(FROZEN, tick=False)  # one rate-limit window
def test_editing_is_rate_limited(one_rate_window, doctor_client):
    for _ in range(20):
        doctor_client.post(reverse("doctors:edit"), {})
    response = doctor_client.post(reverse("doctors:edit"), {})
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


# --- Navigation ----------------------------------------------------------------------


def test_the_account_menu_offers_following_and_the_doctor_links(
    patient_client, client, doctor
):
    html = patient_client.get(reverse("accounts:profile")).content.decode()
    assert reverse("doctors:following") in html
    assert reverse("doctors:apply") in html
    client.force_login(doctor.user)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("doctors:edit") in html
