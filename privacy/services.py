"""Patients' data rights (GDPR): a copy of everything Clinic holds about them
(art. 15 and 20), and closing their account (art. 17).

Closing keeps the user row, anonymised: appointments the practice must keep point
at it (Appointment.patient is PROTECT), reviews stay as "Former patient"."""

import datetime as dt
import io
import json
import posixpath
import zipfile
from http import HTTPStatus

from allauth.account.models import EmailAddress
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from icalendar import Calendar

import accounts.services
import appointments.services
import doctors.services
from accounts.errors import Refusal
from accounts.models import AccessLog, User
from appointments import ics
from appointments.models import Appointment, Slot
from doctors.models import DoctorProfile, Follow, FollowNotice
from notifications.models import EmailPreference, Notification
from reviews.models import Review

__all__ = ["AccountCannotClose", "close_account", "export"]


class AccountCannotClose(Refusal):
    status = HTTPStatus.CONFLICT
    code = "account_cannot_close"
    default_message = gettext_lazy("This account cannot be closed here.")


# --- the export ----------------------------------------------------------------------


def _appointments(user: User):
    return (
        Appointment.objects.filter(patient=user)
        .select_related("doctor__user", "doctor__specialization", "cancelled_by")
        .prefetch_related("events__actor")
        .order_by("starts_at")
    )


def _data(user: User) -> dict:
    """Everything Clinic holds about `user`, as plain JSON-able data."""
    visits = list(_appointments(user))
    return {
        "exported_at": timezone.now(),
        "account": {
            "email": user.email,
            "full_name": user.full_name,
            "phone": user.phone,
            "date_of_birth": user.date_of_birth,
            "timezone": user.timezone,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "avatar": posixpath.basename(user.avatar.name) if user.avatar else None,
        },
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("email")
        ],
        "appointments": [
            {
                "id": visit.pk,
                "doctor": visit.doctor.display_name,
                "specialization": visit.doctor.specialization.name,
                "clinic": f"{visit.doctor.clinic_name}, {visit.doctor.address}, "
                f"{visit.doctor.city}",
                "starts_at": visit.starts_at,
                "ends_at": visit.ends_at,
                "status": visit.status,
                "reason": visit.reason,
                "cancellation_reason": visit.cancellation_reason,
                "booked_at": visit.created_at,
                "history": [
                    {
                        "at": event.created_at,
                        "from": event.from_status,
                        "to": event.to_status,
                        "by": "you"
                        if event.actor_id == user.pk
                        else (event.actor.full_name if event.actor else ""),
                        "note": event.note,
                    }
                    for event in visit.events.all()
                ],
            }
            for visit in visits
        ],
        "reviews": [
            {
                "appointment": review.appointment_id,
                "doctor": review.doctor.display_name,
                "rating": review.rating,
                "comment": review.comment,
                "doctor_reply": review.reply,
                "posted_at": review.created_at,
                "hidden_by_moderators": review.is_hidden,
            }
            for review in Review.objects.filter(patient=user).select_related(
                "doctor__user"
            )
        ],
        "following": [
            {"doctor": follow.doctor.display_name, "since": follow.created_at}
            for follow in Follow.objects.filter(patient=user).select_related(
                "doctor__user"
            )
        ],
        "notifications": [
            {
                "kind": n.kind,
                "message": n.message,
                "link": n.link,
                "created_at": n.created_at,
                "read_at": n.read_at,
            }
            for n in Notification.objects.filter(recipient=user)
        ],
        "email_preferences": {
            p.kind: p.enabled for p in EmailPreference.objects.filter(user=user)
        },
        # Art. 15(1)(c): who your records were shown to.
        "record_views_by_staff": [
            {
                "at": log.at,
                "by": log.actor.full_name if log.actor else "",
                "what": f"{log.get_action_display()} {log.record} {log.record_id}",
            }
            for log in AccessLog.objects.filter(patient=user).select_related("actor")
        ],
    }


def _calendar(user: User) -> bytes:
    """Every appointment in one iCalendar file (the same events as each
    appointment's own "Add to calendar" file)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Clinic//Appointments//EN")
    calendar.add("version", "2.0")
    for visit in _appointments(user):
        for event in Calendar.from_ical(ics.build(visit)).walk("VEVENT"):
            calendar.add_component(event)
    return calendar.to_ical()


def export(*, user: User) -> bytes:
    """A zip of everything Clinic holds about `user`: data.json, appointments.ics
    and their profile picture as uploaded-and-cleaned (when they have one)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.json",
            json.dumps(
                _data(user), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False
            ),
        )
        archive.writestr("appointments.ics", _calendar(user))
        if user.avatar:
            with user.avatar.open("rb") as picture:
                name = posixpath.basename(user.avatar.name)
                archive.writestr(f"avatar/{name}", picture.read())
    return buffer.getvalue()


# --- closing the account -----------------------------------------------------------


def _refuse_non_patients(user: User) -> None:
    if user.is_staff or user.is_superuser:
        raise AccountCannotClose(
            _("Staff accounts are closed by an administrator, not here.")
        )
    if DoctorProfile.objects.filter(user=user).exists():
        raise AccountCannotClose(
            _(
                "Your account has a doctor profile, with patients' appointments "
                "attached. Please ask the clinic to close it."
            )
        )


@transaction.atomic
def close_account(*, user: User, now: dt.datetime | None = None) -> None:
    """Close a patient's account for good (the password was checked by the form).

    Upcoming appointments are cancelled through appointments.services.cancel (the
    doctors are told); holds are released; follows undone; inbox, preferences and
    email addresses deleted; the picture's files deleted on commit. The user row
    stays, deactivated, with name, email, phone, birth date and password erased,
    so the practice's records of past visits remain, anonymised, and reviews show
    "Former patient". All or nothing.

    Raises AccountCannotClose for staff and doctors, and when an appointment can
    no longer be cancelled by the patient (too close to its start)."""
    now = now or timezone.now()
    _refuse_non_patients(user)
    upcoming = list(
        Appointment.objects.filter(patient=user).upcoming(now).order_by("starts_at")
    )
    holds = list(Slot.objects.filter(held_by=user))
    follows = list(Follow.objects.filter(patient=user).select_related("doctor"))
    # Lock order: every doctor first (the cancels, releases and unfollows below
    # then take locks they already hold), then slots, the patient, appointments.
    DoctorProfile.objects.lock(
        [a.doctor_id for a in upcoming]
        + [s.doctor_id for s in holds]
        + [f.doctor_id for f in follows]
    )
    for visit in upcoming:
        try:
            appointments.services.cancel(
                user=user,
                appointment_id=visit.pk,
                reason=_("The patient closed their Clinic account."),
                now=now,
            )
        except appointments.services.TransitionRefused:
            when = timezone.localtime(visit.starts_at, user.zone)
            raise AccountCannotClose(
                _(
                    "Your visit on %(when)s can no longer be cancelled online. "
                    "Close your account after it, or call the clinic."
                )
                % {"when": when.strftime("%a %d %b %Y, %H:%M")}
            ) from None
    for slot in holds:
        appointments.services.release_hold(patient=user, slot_id=slot.pk)
    for follow in follows:
        doctors.services.unfollow(patient=user, doctor=follow.doctor)

    user = User.objects.select_for_update().get(pk=user.pk)
    if Appointment.objects.filter(patient=user).upcoming(now).exists():
        # Booked on another door while this ran: say so rather than leave it.
        raise AccountCannotClose(_("A booking was just made. Please try again."))
    FollowNotice.objects.filter(patient=user).delete()
    Notification.objects.filter(recipient=user).delete()
    EmailPreference.objects.filter(user=user).delete()
    EmailAddress.objects.filter(user=user).delete()
    accounts.services.remove_avatar(user=user)

    user.email = f"closed-account-{user.pk}@invalid.example"
    user.full_name = ""
    user.phone = ""
    user.date_of_birth = None
    user.timezone = "UTC"
    user.is_active = False
    user.erased_at = now
    user.set_unusable_password()  # also ends every session and API token
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
