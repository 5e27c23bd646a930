"""What each appointment change tells whom: the inbox texts and email contexts.

The services call these inside their transaction, after the change is written;
`notify` writes the inbox row there and sends the email once it commits. Every
email about a booked, confirmed, moved or cancelled visit carries the visit's
calendar object as it now stands (`calendar_attachment`), so the calendars of
both sides follow."""

import datetime as dt

from django.utils import dateformat
from django.utils.translation import gettext as _

from accounts.models import User
from notifications.models import Notification
from notifications.services import notify

from . import ics
from .models import Appointment

Status = Appointment.Status


def format_for(user: User, moment: dt.datetime) -> str:
    """`moment` as "Tue 3 Dec 2026, 09:30" in `user`'s time zone (for messages)."""
    return dateformat.format(moment.astimezone(user.zone), "D j M Y, H:i")


def calendar_attachment(appointment: Appointment) -> list[tuple[str, str, str]]:
    """The appointment's calendar object as it stands now, for an email about it:
    a REQUEST (new or changed) or a CANCEL, typed `text/calendar; method=...` so
    mail readers offer to update the calendar (RFC 6047)."""
    method = ics.method_for(appointment)
    return [
        (ics.filename(appointment), ics.build(appointment), ics.content_type(method))
    ]


def _context(appointment: Appointment, **extra) -> dict:
    return {
        "appointment": appointment,
        "doctor": appointment.doctor,
        "patient": appointment.patient,
        **extra,
    }


def booked(appointment: Appointment) -> None:
    """A new booking: the doctor is told (asked to confirm unless it confirmed
    itself); the patient hears of one the clinic made for them, and of one that
    confirmed itself."""
    doctor, patient = appointment.doctor, appointment.patient
    confirmed = appointment.status == Status.CONFIRMED
    by_staff = appointment.booked_by_id not in (None, patient.pk)
    link = appointment.get_absolute_url()
    notify(
        recipient=doctor.user,
        kind=Notification.Kind.APPOINTMENT_BOOKED,
        message=(
            _("%(patient)s booked %(when)s (confirmed automatically).")
            if confirmed
            else _("%(patient)s booked %(when)s. Please confirm or decline.")
        )
        % {
            "patient": patient.full_name,
            "when": format_for(doctor.user, appointment.starts_at),
        },
        link=link,
        email_context=_context(appointment),
        attachments=calendar_attachment(appointment),
    )
    names = {
        "doctor": doctor.display_name,
        "when": format_for(patient, appointment.starts_at),
    }
    if confirmed:
        text = (
            _("The clinic booked your appointment with %(doctor)s on %(when)s.")
            if by_staff
            else _("Your appointment with %(doctor)s on %(when)s is confirmed.")
        )
        notify(
            recipient=patient,
            kind=Notification.Kind.APPOINTMENT_CONFIRMED,
            message=text % names,
            link=link,
            email_context=_context(appointment, booked_by_clinic=by_staff),
            attachments=calendar_attachment(appointment),
        )
    elif by_staff:
        notify(
            recipient=patient,
            kind=Notification.Kind.APPOINTMENT_BOOKED,
            message=_(
                "The clinic booked an appointment for you with %(doctor)s on "
                "%(when)s; the doctor will confirm it soon."
            )
            % names,
            link=link,
            email_context=_context(appointment, booked_by_clinic=True),
            attachments=calendar_attachment(appointment),
        )


def transitioned(appointment: Appointment, *, role: str, from_status: str) -> None:
    """A status change, made by someone acting as `role`: who hears of it."""
    doctor, patient = appointment.doctor, appointment.patient
    context = _context(
        appointment, reason=appointment.cancellation_reason, actor_role=role
    )
    link = appointment.get_absolute_url()
    names = {"doctor": doctor.display_name, "patient": patient.full_name}
    if appointment.status == Status.CONFIRMED:
        # Only the doctor confirms a pending visit (rules.TRANSITIONS), so they are
        # named; one confirmed at booking is told by `booked`, without a name.
        notify(
            recipient=patient,
            kind=Notification.Kind.APPOINTMENT_CONFIRMED,
            message=_("%(doctor)s confirmed your appointment on %(when)s.")
            % {**names, "when": format_for(patient, appointment.starts_at)},
            link=link,
            email_context={**context, "confirmed_by_doctor": True},
            attachments=calendar_attachment(appointment),
        )
    elif appointment.status == Status.COMPLETED:
        notify(
            recipient=patient,
            kind=Notification.Kind.APPOINTMENT_COMPLETED,
            message=_("How was your visit with %(doctor)s? Leave a review.") % names,
            link=link,
            email_context=context,
        )
    elif appointment.status == Status.CANCELLED and role == "patient":
        notify(
            recipient=doctor.user,
            kind=Notification.Kind.APPOINTMENT_CANCELLED,
            message=_("%(patient)s cancelled the appointment on %(when)s.")
            % {**names, "when": format_for(doctor.user, appointment.starts_at)},
            link=link,
            email_context=context,
            attachments=calendar_attachment(appointment),
        )
        # A receipt, mostly for the CANCEL it carries: the patient's calendar
        # still holds the visit from the confirmation.
        notify(
            recipient=patient,
            kind=Notification.Kind.APPOINTMENT_CANCELLED,
            message=_("You cancelled your appointment with %(doctor)s on %(when)s.")
            % {**names, "when": format_for(patient, appointment.starts_at)},
            link=link,
            email_context=context,
            attachments=calendar_attachment(appointment),
        )
    elif appointment.status == Status.CANCELLED:
        # By the doctor (declining or cancelling), by staff, or not confirmed in time.
        if role == "doctor" and from_status == Status.PENDING:
            text = _("%(doctor)s declined your appointment on %(when)s: %(reason)s")
        elif role == "doctor":
            text = _("%(doctor)s cancelled your appointment on %(when)s: %(reason)s")
        elif role == "staff":
            text = _(
                "The clinic cancelled your appointment with %(doctor)s "
                "on %(when)s: %(reason)s"
            )
        else:
            text = _(
                "Your appointment with %(doctor)s on %(when)s was cancelled: %(reason)s"
            )
        reason = appointment.cancellation_reason
        when = format_for(patient, appointment.starts_at)
        notify(
            recipient=patient,
            kind=Notification.Kind.APPOINTMENT_CANCELLED,
            message=(text % {**names, "when": when, "reason": reason})[:300],
            link=link,
            email_context=context,
            attachments=calendar_attachment(appointment),
        )
        if role in ("staff", "system"):
            when = format_for(doctor.user, appointment.starts_at)
            text = (
                _(
                    "The clinic cancelled %(patient)s's appointment on %(when)s: "
                    "%(reason)s"
                )
                if role == "staff"
                # Its calendar still holds the booking, tentatively.
                else _("%(patient)s's booking on %(when)s was cancelled: %(reason)s")
            )
            notify(
                recipient=doctor.user,
                kind=Notification.Kind.APPOINTMENT_CANCELLED,
                message=(text % {**names, "when": when, "reason": reason})[:300],
                link=link,
                email_context=context,
                attachments=calendar_attachment(appointment),
            )


def rescheduled(
    appointment: Appointment,
    *,
    role: str,
    old_starts_at: dt.datetime,
    reason: str = "",
) -> None:
    """A visit moved. The patient moved it: the doctor hears the old and new time,
    and the patient gets a receipt with the moved event. The doctor or the clinic
    moved it: the patient hears the new time and why (and the doctor too when the
    clinic did)."""
    doctor, patient = appointment.doctor, appointment.patient
    link = appointment.get_absolute_url()
    context = _context(
        appointment, old_starts_at=old_starts_at, reason=reason, actor_role=role
    )

    def times(user: User) -> dict:
        return {
            "patient": patient.full_name,
            "doctor": doctor.display_name,
            "old": format_for(user, old_starts_at),
            "new": format_for(user, appointment.starts_at),
        }

    if role == "patient":
        notify(
            recipient=doctor.user,
            kind=Notification.Kind.APPOINTMENT_RESCHEDULED,
            message=_("%(patient)s moved their appointment from %(old)s to %(new)s.")
            % times(doctor.user),
            link=link,
            email_context=context,
            attachments=calendar_attachment(appointment),
        )
        # A receipt carrying the moved event for the patient's own calendar.
        notify(
            recipient=patient,
            kind=Notification.Kind.APPOINTMENT_RESCHEDULED,
            message=_("You moved your appointment with %(doctor)s to %(new)s.")
            % times(patient),
            link=link,
            email_context=context,
            attachments=calendar_attachment(appointment),
        )
        return
    text = (
        _("%(doctor)s moved your appointment from %(old)s to %(new)s.")
        if role == "doctor"
        else _(
            "The clinic moved your appointment with %(doctor)s from %(old)s to %(new)s."
        )
    ) % times(patient)
    notify(
        recipient=patient,
        kind=Notification.Kind.APPOINTMENT_RESCHEDULED,
        message=(f"{text} {reason}" if reason else text)[:300],
        link=link,
        email_context=context,
        attachments=calendar_attachment(appointment),
    )
    if role == "staff":
        notify(
            recipient=doctor.user,
            kind=Notification.Kind.APPOINTMENT_RESCHEDULED,
            message=_(
                "The clinic moved %(patient)s's appointment from %(old)s to %(new)s."
            )
            % times(doctor.user),
            link=link,
            email_context=context,
            attachments=calendar_attachment(appointment),
        )


def cancelled_for_time_off(appointment: Appointment, *, role: str) -> None:
    """A visit cancelled because the doctor takes time off (a sick day): the
    patient reads the message and is sent to the doctor's next free times; when
    the clinic did it, the doctor hears too."""
    doctor, patient = appointment.doctor, appointment.patient
    reason = appointment.cancellation_reason
    free_times = doctor.get_absolute_url()
    context = _context(
        appointment, reason=reason, actor_role=role, free_times_url=free_times
    )
    text = (
        _(
            "%(doctor)s cannot see you on %(when)s and cancelled the appointment: "
            "%(reason)s"
        )
        if role == "doctor"
        else _(
            "The clinic cancelled your appointment with %(doctor)s on %(when)s: "
            "%(reason)s"
        )
    ) % {
        "doctor": doctor.display_name,
        "when": format_for(patient, appointment.starts_at),
        "reason": reason,
    }
    book_again = _("Pick another time with %(doctor)s.") % {
        "doctor": doctor.display_name
    }
    notify(
        recipient=patient,
        kind=Notification.Kind.APPOINTMENT_CANCELLED,
        # The invitation to book again survives the inbox's length limit.
        message=f"{text[: 299 - len(book_again)]} {book_again}",
        link=free_times,
        email_context=context,
        attachments=calendar_attachment(appointment),
    )
    if role == "staff":
        notify(
            recipient=doctor.user,
            kind=Notification.Kind.APPOINTMENT_CANCELLED,
            message=(
                _(
                    "The clinic cancelled %(patient)s's appointment on %(when)s "
                    "for your time off: %(reason)s"
                )
                % {
                    "patient": patient.full_name,
                    "when": format_for(doctor.user, appointment.starts_at),
                    "reason": reason,
                }
            )[:300],
            link=appointment.get_absolute_url(),
            email_context=context,
            attachments=calendar_attachment(appointment),
        )
