import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests.api import ApiClient
from accounts.tests.factories import StaffFactory, UserFactory
from appointments.models import Appointment, Slot
from appointments.tests.factories import AppointmentFactory
from doctors.models import DoctorProfile
from doctors.tests.factories import DoctorProfileFactory
from reviews import services
from reviews.models import Review
from reviews.tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db


def create_url(appointment) -> str:
    return reverse("reviews:create", args=[appointment.pk])


def panel_url(doctor) -> str:
    return reverse("reviews:doctor_reviews", args=[doctor.slug])


def bulk_reviews(doctor, count: int) -> None:
    """`count` visible reviews of `doctor` by 20 patients, in a few bulk inserts."""
    patients = [UserFactory() for _ in range(20)]
    start = timezone.now() - timedelta(days=count + 1)
    slots = Slot.objects.bulk_create(
        Slot(
            doctor=doctor,
            starts_at=start + timedelta(days=n),
            ends_at=start + timedelta(days=n, minutes=30),
            is_booked=True,
        )
        for n in range(count)
    )
    appointments = Appointment.objects.bulk_create(
        Appointment(
            slot=slot,
            doctor=doctor,
            patient=patients[n % 20],
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            reason="Check-up",
            status=Appointment.Status.COMPLETED,
        )
        for n, slot in enumerate(slots)
    )
    Review.objects.bulk_create(
        Review(
            appointment=appointment,
            doctor=doctor,
            patient=appointment.patient,
            rating=n % 5 + 1,
            comment="Clear explanations.",
            reply="Thank you." if n % 3 == 0 else "",
        )
        for n, appointment in enumerate(appointments)
    )
    services.recompute_rating(doctor_id=doctor.pk)


# --- writing a review ------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, visit):
    for url in (
        create_url(visit),
        reverse("reviews:mine"),
        reverse("reviews:inbox"),
        reverse("reviews:edit", args=[1]),
        reverse("reviews:delete", args=[1]),
        reverse("reviews:reply", args=[1]),
    ):
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND, url
        assert response.url.startswith(reverse("account_login")), url


def test_the_patient_sees_a_form_with_a_labelled_rating_group(patient_client, visit):
    response = patient_client.get(create_url(visit))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "<title>Review your visit · Clinic</title>" in html
    rating = response.context["form"]["rating"]
    assert [choice.data["value"] for choice in rating] == [5, 4, 3, 2, 1]
    for choice in rating:
        assert f'id="{choice.id_for_label}"' in html
    assert "Your rating" in html
    assert "Publish review" in html
    assert "Persistent cough" not in html  # the visit's reason stays private


def test_posting_a_review_publishes_it_on_the_doctor_page(
    patient_client, patient, doctor, visit
):
    response = patient_client.post(
        create_url(visit), {"rating": "4", "comment": "Very kind."}, follow=True
    )
    review = Review.objects.get()
    assert (review.rating, review.comment, review.patient) == (4, "Very kind.", patient)
    assert response.redirect_chain[-1][0].startswith(panel_url(doctor))
    html = response.content.decode()
    assert "Thank you: your review is published." in html
    assert "Very kind." in html
    assert "Verified visit" in html
    assert patient.public_name in html
    assert patient.full_name not in html.split('id="content"')[1]
    assert "4.0" in html and "1 review" in html


def test_an_invalid_rating_keeps_the_comment_and_says_why(patient_client, visit):
    response = patient_client.post(
        create_url(visit), {"rating": "9", "comment": "Kept text"}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert "Choose a rating from 1 to 5 stars." in html
    assert "Kept text" in html
    assert not Review.objects.exists()


def test_someone_elses_appointment_is_404(client, other_patient, doctor, visit):
    client.force_login(other_patient)
    assert client.get(create_url(visit)).status_code == HTTPStatus.NOT_FOUND
    response = client.post(create_url(visit), {"rating": "1"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    client.force_login(doctor.user)  # the doctor cannot review their own visit
    assert client.get(create_url(visit)).status_code == HTTPStatus.NOT_FOUND
    client.force_login(StaffFactory())  # staff moderate; they do not write reviews
    assert client.get(create_url(visit)).status_code == HTTPStatus.NOT_FOUND
    assert not Review.objects.exists()


def test_a_visit_not_yet_completed_gets_a_clear_message(
    patient_client, patient, doctor
):
    appointment = AppointmentFactory(
        patient=patient, slot__doctor=doctor, status=Appointment.Status.CONFIRMED
    )
    response = patient_client.post(create_url(appointment), {"rating": "5"})
    assert response.status_code == HTTPStatus.CONFLICT
    assert (
        "You can review a visit once it has taken place." in response.content.decode()
    )
    assert not Review.objects.exists()


def test_a_second_review_of_the_same_visit_is_refused(patient_client, patient, visit):
    review = services.create(
        patient=patient, appointment_id=visit.pk, rating=5, comment=""
    )
    response = patient_client.post(create_url(visit), {"rating": "1"})
    assert response.status_code == HTTPStatus.CONFLICT
    assert "You have already reviewed this visit." in response.content.decode()
    assert Review.objects.get().rating == 5
    # Following "Write a review" again leads to the review, with the same message.
    response = patient_client.get(create_url(visit), follow=True)
    assert response.redirect_chain == [(review.get_absolute_url(), HTTPStatus.FOUND)]
    assert "You have already reviewed this visit." in response.content.decode()


def test_appointment_pages_lead_to_writing_and_replying(client, patient, doctor, visit):
    client.force_login(patient)
    past = client.get(reverse("appointments:list"), {"tab": "past"}).content.decode()
    assert create_url(visit) in past
    detail = client.get(visit.get_absolute_url()).content.decode()
    assert create_url(visit) in detail and "Write a review" in detail
    review = services.create(
        patient=patient, appointment_id=visit.pk, rating=5, comment=""
    )
    detail = client.get(visit.get_absolute_url()).content.decode()
    assert "See your review" in detail
    client.force_login(doctor.user)
    detail = client.get(visit.get_absolute_url()).content.decode()
    assert reverse("reviews:reply", args=[review.pk]) in detail


def test_posting_reviews_is_rate_limited_per_user(
    one_rate_window, patient_client, visit
):
    for _ in range(10):
        response = patient_client.post(create_url(visit), {"rating": ""})
        assert response.status_code == HTTPStatus.BAD_REQUEST
    response = patient_client.post(create_url(visit), {"rating": "5"})
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert not Review.objects.exists()


@pytest.mark.parametrize("name", ["reviews:edit", "reviews:delete", "reviews:reply"])
def test_changing_reviews_is_rate_limited_per_user(
    one_rate_window, client, name, patient, doctor
):
    review = ReviewFactory(
        appointment__slot__doctor=doctor, appointment__patient=patient, patient=patient
    )
    client.force_login(doctor.user if name == "reviews:reply" else patient)
    url = reverse(name, args=[review.pk + 1000])  # not found still counts
    for _ in range(30):
        assert client.post(url).status_code == HTTPStatus.NOT_FOUND
    response = client.post(reverse(name, args=[review.pk]), {"rating": "1"})
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert Review.objects.filter(pk=review.pk, rating=5, reply="").exists()


# --- escaping --------------------------------------------------------------------

ATTACK = '<script>alert("x")</script><b onmouseover="steal()">bold</b>'


def test_html_in_comments_and_replies_is_shown_as_text(client, doctor):
    ReviewFactory(appointment__slot__doctor=doctor, comment=ATTACK, reply=ATTACK)
    html = client.get(panel_url(doctor)).content.decode()
    assert "<script>alert" not in html
    assert "<b onmouseover" not in html
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") == 2


def test_line_breaks_in_a_comment_are_kept(client, doctor):
    ReviewFactory(appointment__slot__doctor=doctor, comment="First\nSecond")
    assert "First<br>Second" in client.get(panel_url(doctor)).content.decode()


# --- editing and deleting --------------------------------------------------------


def test_the_author_edits_their_review(patient_client, patient, doctor, visit):
    review = services.create(
        patient=patient, appointment_id=visit.pk, rating=2, comment=""
    )
    url = reverse("reviews:edit", args=[review.pk])
    html = patient_client.get(url).content.decode()
    assert re.search(r'value="2"[^>]*checked', html)  # the given rating stays chosen
    response = patient_client.post(url, {"rating": "5", "comment": "Better now"})
    assert response.status_code == HTTPStatus.FOUND
    review.refresh_from_db()
    assert (review.rating, review.comment) == (5, "Better now")
    doctor.refresh_from_db()
    assert doctor.rating_avg == 5


def test_editing_after_30_days_is_refused_with_a_message(
    patient_client, patient, visit
):
    review = services.create(
        patient=patient, appointment_id=visit.pk, rating=2, comment=""
    )
    Review.objects.filter(pk=review.pk).update(
        created_at=timezone.now() - timedelta(days=30, minutes=1)
    )
    url = reverse("reviews:edit", args=[review.pk])
    response = patient_client.post(url, {"rating": "5"})
    # The same answer as the API's: the review's state refuses, not the role.
    assert response.status_code == HTTPStatus.CONFLICT
    assert "edited for 30 days" in response.content.decode()
    mine = patient_client.get(reverse("reviews:mine")).content.decode()
    assert reverse("reviews:edit", args=[review.pk]) not in mine
    assert reverse("reviews:delete", args=[review.pk]) in mine
    assert Review.objects.get().rating == 2


def test_delete_asks_first_then_deletes(patient_client, patient, doctor, visit):
    review = services.create(
        patient=patient, appointment_id=visit.pk, rating=2, comment=""
    )
    url = reverse("reviews:delete", args=[review.pk])
    html = patient_client.get(url).content.decode()
    assert "Delete your review?" in html
    assert "btn-outline-danger" in html
    assert Review.objects.exists()
    response = patient_client.post(url, follow=True)
    assert "Your review is deleted." in response.content.decode()
    assert not Review.objects.exists()
    doctor.refresh_from_db()
    assert doctor.rating_count == 0


@pytest.mark.parametrize("name", ["reviews:edit", "reviews:delete"])
def test_nobody_but_the_author_reaches_edit_or_delete(
    client, name, other_patient, doctor, staff
):
    review = ReviewFactory(appointment__slot__doctor=doctor)
    url = reverse(name, args=[review.pk])
    for user in (other_patient, doctor.user, staff):
        client.force_login(user)
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND
        assert client.post(url, {"rating": "1"}).status_code == HTTPStatus.NOT_FOUND
    assert Review.objects.get().rating == 5


def test_my_reviews_marks_a_hidden_review_with_the_reason(patient_client, patient):
    ReviewFactory(
        patient=patient,
        appointment__patient=patient,
        is_hidden=True,
        hidden_reason="Personal data",
    )
    html = patient_client.get(reverse("reviews:mine")).content.decode()
    assert "Hidden by the clinic:" in html
    assert "Personal data" in html


def test_my_reviews_empty_state_points_to_the_directory(patient_client):
    html = patient_client.get(reverse("reviews:mine")).content.decode()
    assert "You haven't reviewed a visit yet" in html
    assert reverse("doctors:list") in html


# --- doctor replies --------------------------------------------------------------


def test_the_doctor_replies_from_their_reviews_page(doctor_client, doctor):
    review = ReviewFactory(appointment__slot__doctor=doctor)
    inbox = doctor_client.get(reverse("reviews:inbox")).content.decode()
    url = reverse("reviews:reply", args=[review.pk])
    assert url in inbox
    assert doctor_client.get(url).status_code == HTTPStatus.OK
    response = doctor_client.post(url, {"reply": "Thank you!"}, follow=True)
    assert "Your reply is published." in response.content.decode()
    assert "Reply from Dr Ada Lee" in response.content.decode()
    review.refresh_from_db()
    assert review.reply == "Thank you!"


def test_the_doctor_sees_reply_buttons_on_their_own_public_panel(doctor_client, doctor):
    review = ReviewFactory(appointment__slot__doctor=doctor)
    html = doctor_client.get(panel_url(doctor)).content.decode()
    assert reverse("reviews:reply", args=[review.pk]) in html


def test_a_reply_needs_text_and_keeps_the_page(doctor_client, doctor):
    review = ReviewFactory(appointment__slot__doctor=doctor)
    response = doctor_client.post(
        reverse("reviews:reply", args=[review.pk]), {"reply": ""}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Write your reply." in response.content.decode()


def test_replying_to_another_doctors_review_is_404(client, doctor):
    review = ReviewFactory(appointment__slot__doctor=doctor)
    client.force_login(DoctorProfileFactory().user)
    url = reverse("reviews:reply", args=[review.pk])
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert client.post(url, {"reply": "Hi"}).status_code == HTTPStatus.NOT_FOUND


def test_patients_and_staff_cannot_reply(client, patient, staff, doctor):
    review = ReviewFactory(appointment__slot__doctor=doctor, patient=patient)
    for user in (patient, staff):
        client.force_login(user)
        url = reverse("reviews:reply", args=[review.pk])
        assert client.post(url, {"reply": "Hi"}).status_code == HTTPStatus.FORBIDDEN
        assert client.get(reverse("reviews:inbox")).status_code == HTTPStatus.FORBIDDEN
    assert Review.objects.get().reply == ""


def doors_for_doctors(client, doctor) -> dict[str, int]:
    """What each doctors-only door answers `doctor.user`: the reviews inbox and
    reply (page and API) and the doctor's own schedule (page and API)."""
    review = ReviewFactory(appointment__slot__doctor=doctor)
    client.force_login(doctor.user)
    reply = {"reply": "Thank you"}
    return {
        "inbox": client.get(reverse("reviews:inbox")).status_code,
        "reply page": client.get(
            reverse("reviews:reply", args=[review.pk])
        ).status_code,
        "reply API": ApiClient(doctor.user)
        .put(f"/api/v1/reviews/{review.pk}/reply/", reply)
        .status_code,
        "schedule page": client.get(reverse("appointments:schedule_week")).status_code,
        "schedule API": ApiClient(doctor.user)
        .get("/api/v1/me/availability/")
        .status_code,
    }


@pytest.mark.parametrize(
    "status", [DoctorProfile.Status.PENDING, DoctorProfile.Status.REJECTED]
)
def test_a_doctor_whose_profile_is_no_longer_approved_is_refused_everywhere(
    client, doctor, status
):
    # Staff changed the status in admin; the user stayed in the Doctors group.
    DoctorProfile.objects.filter(pk=doctor.pk).update(status=status)
    assert doctor.user.has_role(Role.DOCTOR)
    doors = doors_for_doctors(client, doctor)
    assert doors == dict.fromkeys(doors, HTTPStatus.FORBIDDEN)


def test_an_approved_doctor_outside_the_group_is_let_in_everywhere(client, doctor):
    doctor.user.groups.remove(Group.objects.get(name=Role.DOCTOR))
    doors = doors_for_doctors(client, doctor)
    assert doors == dict.fromkeys(doors, HTTPStatus.OK)


# --- the public panel ------------------------------------------------------------


def test_the_panel_shows_average_count_and_distribution_in_text(client, doctor):
    shown = [
        ReviewFactory(appointment__slot__doctor=doctor, rating=rating)
        for rating in (5, 5, 5, 4)
    ]
    ReviewFactory(appointment__slot__doctor=doctor, rating=1, is_hidden=True)
    services.recompute_rating(doctor_id=doctor.pk)
    response = client.get(panel_url(doctor))
    html = response.content.decode()
    assert "<title>Reviews of Dr Ada Lee · Clinic</title>" in html
    assert "4.8" in html and "4 reviews" in html
    assert "75%" in html and "25%" in html
    assert [
        (share.stars, share.count, share.percent)
        for share in response.context["distribution"]
    ] == [(5, 3, 75), (4, 1, 25), (3, 0, 0), (2, 0, 0), (1, 0, 0)]
    assert " style=" not in html
    assert set(response.context["page_obj"].object_list) == set(shown)
    assert "Verified visit" in html


def test_the_panel_shows_the_month_of_the_visit_and_public_name(client, doctor):
    author = UserFactory(full_name="Grace Brewster Hopper")
    review = ReviewFactory(
        appointment__slot__doctor=doctor, appointment__patient=author, patient=author
    )
    html = client.get(panel_url(doctor)).content.decode()
    assert f"Visited in {review.appointment.starts_at:%B %Y}" in html
    assert "Grace H." in html
    assert "Brewster" not in html


def test_the_panel_sorts_and_paginates(client, doctor):
    bulk_reviews(doctor, 25)
    newest = client.get(panel_url(doctor)).context["page_obj"]
    assert len(newest) == 10 and newest.paginator.num_pages == 3
    created = [review.created_at for review in newest]
    assert created == sorted(created, reverse=True)
    highest = client.get(panel_url(doctor), {"sort": "highest"}).context["page_obj"]
    assert [review.rating for review in highest] == [5] * 5 + [4] * 5
    lowest = client.get(panel_url(doctor), {"sort": "lowest", "page": "3"})
    assert [r.rating for r in lowest.context["page_obj"]] == [5] * 5
    assert client.get(panel_url(doctor), {"sort": "x", "page": "z"}).status_code == 200


def test_htmx_gets_the_panel_fragment(client, doctor):
    ReviewFactory(appointment__slot__doctor=doctor)
    response = client.get(panel_url(doctor), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert "Verified visit" in html
    assert 'hx-target="#reviews-panel"' in html


def test_the_author_sees_their_hidden_review_on_the_panel(client, doctor, patient):
    ReviewFactory(
        appointment__slot__doctor=doctor,
        appointment__patient=patient,
        patient=patient,
        comment="My honest view",
        is_hidden=True,
        hidden_reason="Names a nurse",
    )
    assert "My honest view" not in client.get(panel_url(doctor)).content.decode()
    client.force_login(UserFactory())
    assert "My honest view" not in client.get(panel_url(doctor)).content.decode()
    client.force_login(patient)
    html = client.get(panel_url(doctor)).content.decode()
    assert "My honest view" in html
    assert "Hidden by the clinic:" in html and "Names a nurse" in html


def test_an_empty_panel_invites_to_book(client, doctor):
    html = client.get(panel_url(doctor)).content.decode()
    assert "No reviews yet." in html
    assert doctor.get_absolute_url() in html


def test_an_unapproved_doctors_reviews_are_404(client):
    pending = DoctorProfileFactory(status="pending")
    assert client.get(panel_url(pending)).status_code == HTTPStatus.NOT_FOUND


def test_the_doctor_page_holds_the_panel_itself(client, doctor):
    """Rendered in (one request, not a second one by htmx on load): the same HTML
    the fragment gives, whose sort and page links swap it by htmx."""
    html = client.get(doctor.get_absolute_url()).content.decode()
    fragment = client.get(panel_url(doctor), headers={"HX-Request": "true"})
    assert 'hx-trigger="load"' not in html
    assert (
        f'<div id="reviews-panel" aria-live="polite">{fragment.content.decode()}</div>'
        in html
    )


# --- query counts ----------------------------------------------------------------


def count_queries(client, url: str) -> int:
    """Queries of the panel when it is rendered (not served from the cache)."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == HTTPStatus.OK
    return len(queries)


@pytest.mark.parametrize("htmx", [False, True])
def test_panel_queries_are_pinned_and_do_not_grow(
    client, patient, doctor, django_assert_max_num_queries, htmx
):
    headers = {"HX-Request": "true"} if htmx else {}
    bulk_reviews(doctor, 10)
    client.force_login(patient)
    few = count_queries(client, panel_url(doctor))
    other = DoctorProfileFactory()
    bulk_reviews(other, 1000)
    with django_assert_max_num_queries(9):
        response = client.get(panel_url(other), headers=headers)
    assert len(response.context["page_obj"]) == 10
    assert count_queries(client, panel_url(other)) == few
    client.logout()
    with django_assert_max_num_queries(4):
        client.get(panel_url(other), {"sort": "lowest", "page": "50"}, headers=headers)


def test_my_reviews_and_the_inbox_do_not_grow(client, doctor, patient):
    bulk_reviews(doctor, 30)
    client.force_login(doctor.user)
    few = count_queries(client, reverse("reviews:inbox"))
    bulk_reviews(doctor, 60)
    assert count_queries(client, reverse("reviews:inbox")) == few
    author = Review.objects.first().patient
    client.force_login(author)
    assert count_queries(client, reverse("reviews:mine")) <= few + 1


def test_the_account_menu_links_my_reviews_and_for_doctors_reviews_of_me(
    client, patient, doctor
):
    client.force_login(patient)
    html = client.get(reverse("reviews:mine")).content.decode()
    assert reverse("reviews:mine") in html
    assert reverse("reviews:inbox") not in html
    client.force_login(doctor.user)
    assert (
        reverse("reviews:inbox") in client.get(reverse("reviews:mine")).content.decode()
    )


# --- the directory reads the aggregates the services keep -------------------------


def test_the_directory_sorts_by_rating_and_shows_it_on_cards(client, patient):
    low = DoctorProfileFactory(user__full_name="Low Rated")
    high = DoctorProfileFactory(user__full_name="High Rated")
    unrated = DoctorProfileFactory(user__full_name="Not Rated")
    for doctor, rating in ((low, 2), (high, 5), (high, 4)):
        visit = AppointmentFactory(
            slot__doctor=doctor, status=Appointment.Status.COMPLETED
        )
        services.create(
            patient=visit.patient, appointment_id=visit.pk, rating=rating, comment=""
        )
    response = client.get(reverse("doctors:list"), {"sort": "rating"})
    html = response.content.decode()
    assert html.index("High Rated") < html.index("Low Rated") < html.index("Not Rated")
    assert "4.5 · 2 reviews" in html
    assert "2.0 · 1 review" in html
    assert unrated.rating_count == 0


@pytest.mark.parametrize("count", [2, 12])
def test_my_past_visits_offer_a_review_or_show_the_one_written(
    client, count, django_assert_max_num_queries
):
    """One link per completed visit: "See your review" once written, else "Write
    a review"; the page costs the same queries however many there are."""
    patient = UserFactory()
    client.force_login(patient)
    start = timezone.now() - timedelta(days=count + 1)
    visits = [
        AppointmentFactory(
            patient=patient,
            slot__starts_at=start + timedelta(days=n),
            status=Appointment.Status.COMPLETED,
        )
        for n in range(count)
    ]
    reviewed = [ReviewFactory(appointment=visit) for visit in visits[::2]]
    # Session, user, groups (navbar), unread bell, count, appointments, events.
    with django_assert_max_num_queries(7):
        html = client.get(reverse("appointments:list") + "?tab=past").content.decode()
    for review in reviewed:
        assert review.get_absolute_url() in html
        assert create_url(review.appointment) not in html
    for visit in visits[1::2]:
        assert create_url(visit) in html
    assert html.count("See your review") == len(reviewed)
    assert html.count("Write a review") == count - len(reviewed)
