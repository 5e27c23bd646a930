import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from appointments import services
from appointments.models import Appointment, AppointmentEvent, Slot
from appointments.tests.factories import (
    AppointmentFactory,
    SlotFactory,
    TimeOffFactory,
)
from doctors.models import DoctorProfile
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import Notification

pytestmark = pytest.mark.django_db

Status = Appointment.Status
NOW = dt.datetime(2030, 3, 4, 8, 0, tzinfo=dt.UTC)  # a Monday, 08:00 UTC


def slot_at(doctor, start: dt.datetime, minutes: int = 30, **fields) -> Slot:
    return SlotFactory(
        doctor=doctor,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=minutes),
        **fields,
    )


def later(**delta) -> dt.datetime:
    return NOW + dt.timedelta(**delta)


def book(patient, slot, reason="Persistent cough for two weeks", now=NOW):
    return services.book(patient=patient, slot_id=slot.pk, reason=reason, now=now)


# --- booking ---------------------------------------------------------------------


def test_booking_creates_a_pending_appointment_and_marks_the_slot(patient, doctor):
    slot = slot_at(doctor, later(days=1))
    appointment = book(patient, slot)
    slot.refresh_from_db()
    assert appointment.status == Status.PENDING
    assert (appointment.starts_at, appointment.ends_at) == (
        slot.starts_at,
        slot.ends_at,
    )
    assert slot.is_booked and slot.held_by is None and slot.held_until is None
    event = appointment.events.get()
    assert (event.actor, event.from_status, event.to_status) == (
        patient,
        "",
        Status.PENDING,
    )


def test_auto_confirm_books_straight_to_confirmed(patient):
    doctor = DoctorProfileFactory(auto_confirm=True)
    appointment = book(patient, slot_at(doctor, later(days=1)))
    assert appointment.status == Status.CONFIRMED
    assert appointment.events.get().to_status == Status.CONFIRMED


def test_booking_a_taken_slot_raises_slot_unavailable(patient, other_patient, doctor):
    slot = slot_at(doctor, later(days=1))
    book(other_patient, slot)
    with pytest.raises(services.SlotUnavailable) as refused:
        book(patient, slot)
    assert "just taken" in refused.value.message
    assert Appointment.objects.count() == 1


def test_a_missing_slot_is_unavailable(patient):
    with pytest.raises(services.SlotUnavailable):
        services.book(patient=patient, slot_id=987654, reason="Checkup please", now=NOW)


def test_the_constraint_error_becomes_slot_unavailable(patient, doctor, monkeypatch):
    """Even if the checks were fooled, the database's refusal is not a 500."""
    slot = slot_at(doctor, later(days=1))
    AppointmentFactory(slot=slot, status=Status.CONFIRMED)
    Slot.objects.filter(pk=slot.pk).update(is_booked=False)  # a stale flag
    with pytest.raises(services.SlotUnavailable):
        book(patient, slot)
    assert slot.appointments.count() == 1


@pytest.mark.parametrize(
    ("setup", "error", "words"),
    [
        (lambda d, p: slot_at(d, later(hours=-1)), services.SlotInPast, "passed"),
        (
            lambda d, p: slot_at(
                DoctorProfileFactory(min_notice=dt.timedelta(hours=24)), later(hours=3)
            ),
            services.NoticeTooShort,
            "at least 24 hours ahead",
        ),
        (
            lambda d, p: slot_at(
                DoctorProfileFactory(booking_horizon=dt.timedelta(days=7)),
                later(days=8),
            ),
            services.BeyondHorizon,
            "up to 7 days ahead",
        ),
        (
            lambda d, p: (
                TimeOffFactory(doctor=d, starts_at=later(days=1), ends_at=later(days=2))
                and slot_at(d, later(days=1, hours=2))
            ),
            services.DoctorAway,
            "away",
        ),
        (
            lambda d, p: slot_at(
                d,
                later(days=1),
                held_by=UserFactory(),
                held_until=later(minutes=3),
            ),
            services.SlotHeld,
            "Someone else is confirming",
        ),
        (
            lambda d, p: slot_at(DoctorProfileFactory(user=p), later(days=1)),
            services.OwnSlot,
            "yourself",
        ),
        (
            lambda d, p: (
                AppointmentFactory(
                    patient=p,
                    slot=slot_at(DoctorProfileFactory(), later(days=1, minutes=15)),
                )
                and slot_at(d, later(days=1))
            ),
            services.Overlap,
            "already have an appointment at that time",
        ),
        (
            lambda d, p: (
                AppointmentFactory(
                    patient=p, slot=slot_at(d, later(days=1), is_booked=True)
                )
                and slot_at(d, later(days=1, hours=5))
            ),
            services.SameDoctorSameDay,
            "with this doctor on that day",
        ),
        (
            lambda d, p: (
                [
                    AppointmentFactory(
                        patient=p,
                        slot=slot_at(DoctorProfileFactory(), later(days=2 + n)),
                    )
                    for n in range(10)
                ]
                and slot_at(d, later(days=1))
            ),
            services.TooManyAppointments,
            "10 upcoming appointments",
        ),
        (
            lambda d, p: slot_at(
                DoctorProfileFactory(status=DoctorProfile.Status.PENDING),
                later(days=1),
            ),
            services.SlotUnavailable,
            "just taken",
        ),
    ],
    ids=[
        "past",
        "min-notice",
        "horizon",
        "time-off",
        "held-by-other",
        "own-slot",
        "overlap",
        "same-doctor-same-day",
        "ten-at-most",
        "unapproved-doctor",
    ],
)
def test_each_booking_rule_refuses_with_its_own_message(
    patient, doctor, setup, error, words
):
    slot = setup(doctor, patient)
    with pytest.raises(error) as refused:
        book(patient, slot)
    assert words in refused.value.message
    assert not Appointment.objects.filter(slot=slot).exists()
    # Holding runs the same checks.
    with pytest.raises(error):
        services.hold(patient=patient, slot_id=slot.pk, now=NOW)


def test_same_doctor_day_is_the_doctors_local_day(patient):
    """23:30 and 00:30 UTC are the same day in Berlin (UTC+1 in March)."""
    doctor = DoctorProfileFactory(timezone="Europe/Berlin")
    AppointmentFactory(
        patient=patient,
        slot=slot_at(doctor, dt.datetime(2030, 3, 5, 23, 30, tzinfo=dt.UTC)),
    )
    next_utc_day = slot_at(doctor, dt.datetime(2030, 3, 6, 0, 30, tzinfo=dt.UTC))
    with pytest.raises(services.SameDoctorSameDay):
        book(patient, next_utc_day)
    next_local_day = slot_at(doctor, dt.datetime(2030, 3, 6, 23, 30, tzinfo=dt.UTC))
    assert book(patient, next_local_day).status == Status.PENDING


def test_cancelled_and_past_appointments_do_not_count_against_the_limits(patient):
    doctor = DoctorProfileFactory()
    AppointmentFactory(
        patient=patient, slot=slot_at(doctor, later(days=1)), status=Status.CANCELLED
    )
    for n in range(10):
        AppointmentFactory(
            patient=patient,
            slot=slot_at(DoctorProfileFactory(), later(days=-2 - n)),
            status=Status.COMPLETED,
        )
    assert book(patient, slot_at(doctor, later(days=1, hours=1))).is_active


# --- holds -----------------------------------------------------------------------


def test_a_hold_reserves_the_slot_for_five_minutes(patient, other_patient, doctor):
    slot = services.hold(
        patient=patient, slot_id=slot_at(doctor, later(days=1)).pk, now=NOW
    )
    assert slot.held_by == patient and slot.held_until == later(minutes=5)
    assert slot not in Slot.objects.bookable(later(minutes=4))
    with pytest.raises(services.SlotHeld):
        services.hold(patient=other_patient, slot_id=slot.pk, now=later(minutes=4))
    with pytest.raises(services.SlotHeld):
        book(other_patient, slot, now=later(minutes=4))
    # The holder books through their own hold.
    assert book(patient, slot, now=later(minutes=4)).patient == patient


def test_an_expired_hold_lets_others_book(patient, other_patient, doctor):
    slot = slot_at(doctor, later(days=1))
    services.hold(patient=patient, slot_id=slot.pk, now=NOW)
    assert slot in Slot.objects.bookable(later(minutes=5, seconds=1))
    appointment = book(other_patient, slot, now=later(minutes=6))
    assert appointment.patient == other_patient


def test_an_expired_own_hold_still_books_when_the_slot_is_free(patient, doctor):
    slot = slot_at(doctor, later(days=1))
    with time_machine.travel(NOW, tick=False):
        services.hold(patient=patient, slot_id=slot.pk)
    with time_machine.travel(later(minutes=30), tick=False):
        appointment = services.book(
            patient=patient, slot_id=slot.pk, reason="Persistent cough"
        )
    assert appointment.status == Status.PENDING


def test_holding_another_slot_releases_the_first(patient, doctor):
    first, second = slot_at(doctor, later(days=1)), slot_at(doctor, later(days=2))
    services.hold(patient=patient, slot_id=first.pk, now=NOW)
    services.hold(patient=patient, slot_id=second.pk, now=NOW)
    first.refresh_from_db()
    assert first.held_by is None and first.held_until is None
    assert list(Slot.objects.filter(held_by=patient)) == [second]


def test_release_hold_frees_only_the_patients_own_hold(patient, other_patient, doctor):
    slot = slot_at(doctor, later(days=1))
    services.hold(patient=patient, slot_id=slot.pk, now=NOW)
    assert services.release_hold(patient=other_patient, slot_id=slot.pk) is False
    assert services.release_hold(patient=patient, slot_id=slot.pk) is True
    slot.refresh_from_db()
    assert slot.held_by is None


# --- lifecycle: the transition table ----------------------------------------------


def actors(appointment):
    return {
        "patient": appointment.patient,
        "doctor": appointment.doctor.user,
        "staff": StaffFactory(),
        "stranger": UserFactory(),
        "system": None,
    }


ACTIONS = {
    Status.CONFIRMED: lambda user, appointment, now, reason: services.confirm(
        user=user, appointment_id=appointment.pk, now=now
    ),
    Status.CANCELLED: lambda user, appointment, now, reason: services.cancel(
        user=user, appointment_id=appointment.pk, reason=reason, now=now
    ),
    Status.COMPLETED: lambda user, appointment, now, reason: services.complete(
        user=user, appointment_id=appointment.pk, now=now
    ),
}

START = later(days=1)
BEFORE_CUTOFF = START - dt.timedelta(hours=3)
INSIDE_CUTOFF = START - dt.timedelta(hours=1)
AFTER_START = START + dt.timedelta(minutes=10)
AFTER_END = START + dt.timedelta(hours=1)

# (from, to, actor, now, reason, allowed)
CASES = [
    (Status.PENDING, Status.CONFIRMED, "doctor", BEFORE_CUTOFF, "", True),
    (Status.PENDING, Status.CONFIRMED, "patient", BEFORE_CUTOFF, "", False),
    (Status.PENDING, Status.CONFIRMED, "staff", BEFORE_CUTOFF, "", False),
    (Status.PENDING, Status.CONFIRMED, "stranger", BEFORE_CUTOFF, "", False),
    (Status.PENDING, Status.CANCELLED, "patient", INSIDE_CUTOFF, "", True),
    (Status.PENDING, Status.CANCELLED, "doctor", BEFORE_CUTOFF, "Fully booked", True),
    (Status.PENDING, Status.CANCELLED, "doctor", BEFORE_CUTOFF, "", False),
    (Status.PENDING, Status.CANCELLED, "staff", BEFORE_CUTOFF, "Duplicate", True),
    (Status.PENDING, Status.CANCELLED, "system", AFTER_START, "Too late", True),
    (Status.PENDING, Status.CANCELLED, "stranger", BEFORE_CUTOFF, "x", False),
    (Status.PENDING, Status.COMPLETED, "doctor", AFTER_START, "", False),
    (Status.CONFIRMED, Status.CANCELLED, "patient", BEFORE_CUTOFF, "", True),
    (Status.CONFIRMED, Status.CANCELLED, "patient", INSIDE_CUTOFF, "", False),
    (Status.CONFIRMED, Status.CANCELLED, "doctor", INSIDE_CUTOFF, "Ill today", True),
    (Status.CONFIRMED, Status.CANCELLED, "doctor", INSIDE_CUTOFF, "", False),
    (Status.CONFIRMED, Status.CANCELLED, "staff", INSIDE_CUTOFF, "Closed", True),
    (Status.CONFIRMED, Status.COMPLETED, "doctor", AFTER_START, "", True),
    (Status.CONFIRMED, Status.COMPLETED, "doctor", BEFORE_CUTOFF, "", False),
    (Status.CONFIRMED, Status.COMPLETED, "patient", AFTER_START, "", False),
    (Status.CONFIRMED, Status.COMPLETED, "system", AFTER_START, "", False),
    (Status.CONFIRMED, Status.COMPLETED, "system", AFTER_END, "", True),
    (Status.CONFIRMED, Status.CONFIRMED, "doctor", BEFORE_CUTOFF, "", False),
    (Status.CANCELLED, Status.CONFIRMED, "doctor", BEFORE_CUTOFF, "", False),
    (Status.CANCELLED, Status.CANCELLED, "patient", BEFORE_CUTOFF, "", False),
    (Status.CANCELLED, Status.COMPLETED, "doctor", AFTER_START, "", False),
    (Status.COMPLETED, Status.CANCELLED, "doctor", AFTER_END, "Oops", False),
    (Status.COMPLETED, Status.CONFIRMED, "doctor", AFTER_END, "", False),
]


@pytest.mark.parametrize(
    ("from_status", "to_status", "actor", "now", "reason", "allowed"),
    CASES,
    ids=[f"{c[0]}->{c[1]}-by-{c[2]}-{'ok' if c[5] else 'refused'}" for c in CASES],
)
def test_transition_table(doctor, from_status, to_status, actor, now, reason, allowed):
    appointment = AppointmentFactory(
        slot=slot_at(doctor, START, is_booked=True), status=from_status
    )
    user = actors(appointment)[actor]
    act = ACTIONS[to_status]
    if allowed:
        act(user, appointment, now, reason)
        appointment.refresh_from_db()
        assert appointment.status == to_status
        event = appointment.events.get()
        assert (event.actor, event.from_status, event.to_status, event.note) == (
            user,
            from_status,
            to_status,
            reason,
        )
    else:
        with pytest.raises(services.TransitionRefused) as refused:
            act(user, appointment, now, reason)
        assert refused.value.message
        appointment.refresh_from_db()
        assert appointment.status == from_status
        assert not appointment.events.exists()


def test_refusals_explain_themselves(doctor):
    appointment = AppointmentFactory(
        slot=slot_at(doctor, START, is_booked=True), status=Status.CONFIRMED
    )
    with pytest.raises(services.TransitionRefused, match="less than 2 hours"):
        services.cancel(
            user=appointment.patient, appointment_id=appointment.pk, now=INSIDE_CUTOFF
        )
    with pytest.raises(services.TransitionRefused, match="give a reason"):
        services.cancel(
            user=doctor.user, appointment_id=appointment.pk, now=INSIDE_CUTOFF
        )
    with pytest.raises(services.TransitionRefused, match="once it has started"):
        services.complete(
            user=doctor.user, appointment_id=appointment.pk, now=BEFORE_CUTOFF
        )


def test_cancelling_frees_a_future_slot_and_records_who_and_why(doctor):
    appointment = AppointmentFactory(
        slot=slot_at(doctor, START, is_booked=True), status=Status.CONFIRMED
    )
    services.cancel(
        user=doctor.user,
        appointment_id=appointment.pk,
        reason="Called away to surgery",
        now=BEFORE_CUTOFF,
    )
    appointment.refresh_from_db()
    assert appointment.cancelled_by == doctor.user
    assert appointment.cancellation_reason == "Called away to surgery"
    appointment.slot.refresh_from_db()
    assert appointment.slot.is_booked is False
    assert appointment.slot in Slot.objects.bookable(BEFORE_CUTOFF)


def test_cancelling_after_the_start_leaves_the_slot_alone(doctor):
    appointment = AppointmentFactory(
        slot=slot_at(doctor, START, is_booked=True), status=Status.CONFIRMED
    )
    services.cancel(
        user=doctor.user, appointment_id=appointment.pk, reason="No show", now=AFTER_END
    )
    appointment.slot.refresh_from_db()
    assert appointment.slot.is_booked is True


def test_a_cancelled_slot_can_be_booked_again(patient, other_patient, doctor):
    slot = slot_at(doctor, later(days=1))
    first = book(patient, slot)
    services.cancel(user=patient, appointment_id=first.pk, now=NOW)
    second = book(other_patient, slot)
    assert second.status == Status.PENDING
    assert slot.appointments.count() == 2


def test_compare_and_set_refuses_a_stale_transition(doctor, monkeypatch):
    """If the row changed between the check and the update, nothing is written."""
    appointment = AppointmentFactory(
        slot=slot_at(doctor, START, is_booked=True), status=Status.PENDING
    )
    real_check = services.check_transition

    def check_then_someone_else_wins(*args, **kwargs):
        real_check(*args, **kwargs)
        Appointment.objects.filter(pk=appointment.pk).update(status=Status.CANCELLED)

    monkeypatch.setattr(services, "check_transition", check_then_someone_else_wins)
    with pytest.raises(services.TransitionRefused, match="just changed"):
        services.confirm(user=doctor.user, appointment_id=appointment.pk, now=NOW)
    assert not AppointmentEvent.objects.exists()


# --- reschedule -------------------------------------------------------------------


def test_reschedule_moves_to_the_new_slot_and_frees_the_old(patient, doctor):
    old, new = slot_at(doctor, later(days=1)), slot_at(doctor, later(days=2))
    appointment = book(patient, old)
    services.confirm(user=doctor.user, appointment_id=appointment.pk, now=NOW)
    moved = services.reschedule(
        user=patient, appointment_id=appointment.pk, new_slot_id=new.pk, now=NOW
    )
    old.refresh_from_db()
    new.refresh_from_db()
    assert (moved.slot, moved.starts_at, moved.status) == (
        new,
        new.starts_at,
        Status.PENDING,
    )
    assert new.is_booked and not old.is_booked
    assert moved.events.last().from_status == Status.CONFIRMED
    assert moved.events.last().to_status == Status.PENDING


def test_reschedule_keeps_confirmed_when_the_doctor_auto_confirms(patient):
    doctor = DoctorProfileFactory(auto_confirm=True)
    appointment = book(patient, slot_at(doctor, later(days=1)))
    moved = services.reschedule(
        user=patient,
        appointment_id=appointment.pk,
        new_slot_id=slot_at(doctor, later(days=2)).pk,
        now=NOW,
    )
    assert moved.status == Status.CONFIRMED


def test_reschedule_to_the_same_day_ignores_the_appointment_itself(patient, doctor):
    appointment = book(patient, slot_at(doctor, later(days=1)))
    same_day = slot_at(doctor, later(days=1, minutes=30))
    moved = services.reschedule(
        user=patient, appointment_id=appointment.pk, new_slot_id=same_day.pk, now=NOW
    )
    assert moved.slot == same_day


def test_reschedule_to_a_taken_slot_keeps_the_old_one(patient, other_patient, doctor):
    old, taken = slot_at(doctor, later(days=1)), slot_at(doctor, later(days=2))
    appointment = book(patient, old)
    book(other_patient, taken)
    with pytest.raises(services.SlotUnavailable):
        services.reschedule(
            user=patient,
            appointment_id=appointment.pk,
            new_slot_id=taken.pk,
            now=NOW,
        )
    appointment.refresh_from_db()
    old.refresh_from_db()
    assert appointment.slot == old and old.is_booked


@pytest.mark.parametrize(
    ("make_new_slot", "status", "error"),
    [
        (
            lambda d: slot_at(DoctorProfileFactory(), later(days=2)),
            Status.PENDING,
            services.TransitionRefused,
        ),
        (
            lambda d: slot_at(d, later(days=2)),
            Status.CANCELLED,
            services.TransitionRefused,
        ),
        (lambda d: slot_at(d, later(hours=-3)), Status.PENDING, services.SlotInPast),
    ],
    ids=["other-doctor", "cancelled", "past-slot"],
)
def test_reschedule_refusals(patient, doctor, make_new_slot, status, error):
    appointment = AppointmentFactory(
        patient=patient,
        slot=slot_at(doctor, later(days=1), is_booked=True),
        status=status,
    )
    with pytest.raises(error):
        services.reschedule(
            user=patient,
            appointment_id=appointment.pk,
            new_slot_id=make_new_slot(doctor).pk,
            now=NOW,
        )


def test_reschedule_of_someone_elses_appointment_is_refused(other_patient, doctor):
    appointment = AppointmentFactory(
        slot=slot_at(doctor, later(days=1), is_booked=True)
    )
    with pytest.raises(services.TransitionRefused):
        services.reschedule(
            user=other_patient,
            appointment_id=appointment.pk,
            new_slot_id=slot_at(doctor, later(days=2)).pk,
            now=NOW,
        )


def test_reschedule_inside_the_cutoff_is_refused_for_a_confirmed_visit(patient, doctor):
    appointment = AppointmentFactory(
        patient=patient,
        slot=slot_at(doctor, START, is_booked=True),
        status=Status.CONFIRMED,
    )
    with pytest.raises(services.TransitionRefused, match="less than 2 hours"):
        services.reschedule(
            user=patient,
            appointment_id=appointment.pk,
            new_slot_id=slot_at(doctor, later(days=3)).pk,
            now=INSIDE_CUTOFF,
        )


# --- closing past appointments ----------------------------------------------------


def test_close_past_appointments_is_idempotent(doctor):
    ended = AppointmentFactory(
        slot=slot_at(doctor, later(hours=-2), is_booked=True), status=Status.CONFIRMED
    )
    unconfirmed = AppointmentFactory(
        slot=slot_at(doctor, later(minutes=-10), is_booked=True), status=Status.PENDING
    )
    running = AppointmentFactory(
        slot=slot_at(doctor, later(minutes=-20), minutes=60, is_booked=True),
        status=Status.CONFIRMED,
    )
    future = AppointmentFactory(
        slot=slot_at(doctor, later(days=1), is_booked=True), status=Status.PENDING
    )
    assert services.close_past_appointments(now=NOW) == {
        "completed": 1,
        "cancelled": 1,
    }
    assert services.close_past_appointments(now=NOW) == {
        "completed": 0,
        "cancelled": 0,
    }
    statuses = dict(Appointment.objects.values_list("pk", "status"))
    assert statuses == {
        ended.pk: Status.COMPLETED,
        unconfirmed.pk: Status.CANCELLED,
        running.pk: Status.CONFIRMED,
        future.pk: Status.PENDING,
    }
    unconfirmed.refresh_from_db()
    assert unconfirmed.cancellation_reason == "Not confirmed in time."
    assert unconfirmed.events.get().actor is None


# --- notifications (the full table is tested in the notifications app) -----------


def test_booking_notifies_the_doctor_with_the_time_in_their_zone(patient):
    doctor = DoctorProfileFactory(user__timezone="Europe/Berlin")
    book(patient, slot_at(doctor, dt.datetime(2030, 3, 5, 9, 0, tzinfo=dt.UTC)))
    note = Notification.objects.get(recipient=doctor.user)
    assert note.kind == Notification.Kind.APPOINTMENT_BOOKED
    assert "Tue 5 Mar 2030, 10:00" in note.message
    assert not Notification.objects.filter(recipient=patient).exists()


def test_a_refused_booking_notifies_nobody(patient, doctor):
    slot = slot_at(doctor, later(days=1), is_booked=True)
    with pytest.raises(services.SlotUnavailable):
        book(patient, slot)
    assert not Notification.objects.exists()


def test_now_defaults_to_the_clock(patient):
    doctor = DoctorProfileFactory()
    slot = slot_at(doctor, timezone.now() + dt.timedelta(days=1))
    appointment = services.book(patient=patient, slot_id=slot.pk, reason="Checkup")
    assert appointment.status == Status.PENDING
