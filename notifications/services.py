"""Writes of the notifications app: the one entry point other apps call (`notify`),
and the inbox's own changes (mark read, email preferences)."""

import logging
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.template.loader import select_template
from django.urls import reverse
from django.utils import timezone

from .context_processors import forget_unread
from .models import EmailPreference, Notification, OptOut
from .tasks import send_email
from .tasks import site_host as site_host  # for UIDs elsewhere: one site name

logger = logging.getLogger(__name__)

# Kinds that are in-app only (the table in the notifications issue).
IN_APP_ONLY = frozenset({Notification.Kind.FOLLOWED})
# Kinds a user may switch email on or off for, in the order of the Kind choices.
EMAIL_KINDS = tuple(kind for kind in Notification.Kind if kind not in IN_APP_ONLY)
# Kinds a user may switch off altogether (no inbox row, no email).
OPTIONAL_KINDS = (Notification.Kind.APPOINTMENT_REMINDER,)
# Kinds whose own email templates describe `appointment` (in email_context).
APPOINTMENT_KINDS = frozenset(
    kind for kind in Notification.Kind if kind.startswith("appointment_")
)


def wants_email(*, user, kind: str) -> bool:
    """Whether `user` gets an email for `kind`: never for in-app-only kinds, else
    their preference (no row = on, so reminders are on by default)."""
    if kind in IN_APP_ONLY:
        return False
    preference = EmailPreference.objects.filter(user=user, kind=kind).first()
    return preference.enabled if preference is not None else True


def opted_out(*, user, kind: str) -> bool:
    """Whether `user` switched `kind` off altogether (only OPTIONAL_KINDS can be)."""
    return (
        kind in OPTIONAL_KINDS and OptOut.objects.filter(user=user, kind=kind).exists()
    )


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}" if path.startswith("/") else path


# --- One-click unsubscribe (RFC 8058) ----------------------------------------------

UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def unsubscribe_token(*, user, kind: str) -> str:
    """A signed token naming `user` and `kind`, for the unsubscribe link of an
    email of that kind. It does not expire: the link in an old email still works."""
    return signing.dumps([user.pk, str(kind)], salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(user id, kind) from a token made by `unsubscribe_token`; None when it was
    not made here (tampered, truncated) or names a kind one cannot turn off."""
    try:
        user_id, kind = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if kind not in EMAIL_KINDS or not isinstance(user_id, int):
        return None
    return user_id, kind


def email_headers(*, recipient, kind: str) -> dict[str, str]:
    """The headers of a notification email that depend on what it is about: an
    optional kind (one the person may switch off) gets a one-click unsubscribe
    link (RFC 2369 and RFC 8058). The task adds the ones every email gets."""
    if kind not in EMAIL_KINDS:
        return {}
    token = unsubscribe_token(user=recipient, kind=kind)
    url = absolute_url(reverse("notifications:unsubscribe", args=[token]))
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _enqueue_email(**kwargs: Any) -> None:
    """Runs after the commit: queueing must not turn a done booking into a 500."""
    try:
        send_email.enqueue(**kwargs)
    except Exception:
        logger.exception(
            "Could not queue the email %r to %s",
            kwargs.get("subject"),
            kwargs.get("to"),
        )


def render_email(
    *, recipient, kind: str, context: Mapping[str, Any]
) -> tuple[str, str, str]:
    """(subject, text, html) for `kind`, with times in the recipient's zone.

    An appointment kind without an `appointment` to describe gets the default
    templates (the message and the link)."""
    zone = recipient.zone
    context = {
        **context,
        "timezone_name": zone.key,
        "clinic_name": settings.CLINIC_NAME,
    }
    own = kind not in APPOINTMENT_KINDS or context.get("appointment") is not None
    prefixes = [kind, "default"] if own else ["default"]
    with timezone.override(zone):
        subject, text, html = (
            select_template(
                [f"notifications/email/{prefix}_{part}" for prefix in prefixes]
            ).render(context)
            for part in ("subject.txt", "message.txt", "message.html")
        )
    return " ".join(subject.split()), text, html


def notify(
    *,
    recipient,
    kind: str,
    message: str,
    link: str = "",
    email_context: dict[str, Any] | None = None,
    attachments: Sequence[tuple[str, str, str]] = (),
) -> Notification | None:
    """Tell `recipient` that something happened: an inbox row now, an email later.

    Call inside the transaction of the change being reported: the row is written
    with it, and the email is queued only once it commits (a rolled-back booking
    sends nothing). No email for in-app-only kinds, for a user who switched the
    kind off, or for a user without an address. The email is rendered here, in
    the recipient's time zone, from
    notifications/email/<kind>_{subject.txt,message.txt,message.html} (falling
    back to default_*), with `email_context` (appointment emails get
    `appointment`) plus recipient, message, link (absolute), settings_url and
    timezone_name. `attachments` are (filename, content, mimetype) triples; a
    mimetype may carry parameters (`text/calendar; charset=utf-8; method=REQUEST`).
    Every email gets the headers of `email_headers` and `tasks.send_email`.
    Nothing at all (None) for a kind the recipient switched off (`opted_out`)."""
    if opted_out(user=recipient, kind=kind):
        return None
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, message=message[:300], link=link
    )
    if recipient.email and wants_email(user=recipient, kind=kind):
        subject, text, html = render_email(
            recipient=recipient,
            kind=kind,
            context={
                **(email_context or {}),
                "recipient": recipient,
                "message": message,
                "kind": kind,
                "link": absolute_url(link or reverse("notifications:list")),
                "site_url": settings.SITE_URL.rstrip("/"),
                "settings_url": absolute_url(reverse("notifications:settings")),
            },
        )
        transaction.on_commit(
            partial(
                _enqueue_email,
                to=recipient.email,
                subject=subject,
                text=text,
                html=html,
                attachments=[list(item) for item in attachments],
                headers=email_headers(recipient=recipient, kind=kind),
            )
        )
    return notification


def mark_read(*, notification: Notification) -> bool:
    """Mark one notification read; a compare-and-set, so the first read time stays.

    Returns whether this call changed it (False: it was read already)."""
    now = timezone.now()
    changed = Notification.objects.filter(
        pk=notification.pk, read_at__isnull=True
    ).update(read_at=now)
    if changed:
        notification.read_at = now
        forget_unread([notification.recipient_id])
    return bool(changed)


def mark_all_read(*, user) -> int:
    """Mark every unread notification of `user` read; returns how many."""
    changed = (
        Notification.objects.for_user(user).unread().update(read_at=timezone.now())
    )
    if changed:
        forget_unread([user.pk])
    return changed


@transaction.atomic
def save_email_preferences(*, user, enabled: Mapping[str, bool]) -> None:
    """Store the user's email on/off choice for each kind in `enabled`.

    Kinds that cannot email (in-app only) or are unknown are ignored."""
    for kind, on in enabled.items():
        if kind not in EMAIL_KINDS:
            continue
        EmailPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"enabled": bool(on)}
        )


@transaction.atomic
def save_opt_outs(*, user, enabled: Mapping[str, bool]) -> None:
    """Switch each of OPTIONAL_KINDS in `enabled` on (True) or off (False) for
    `user`; other kinds are ignored."""
    for kind, on in enabled.items():
        if kind not in OPTIONAL_KINDS:
            continue
        if on:
            OptOut.objects.filter(user=user, kind=kind).delete()
        else:
            OptOut.objects.get_or_create(user=user, kind=kind)


def unsubscribe_target(token: str):
    """(user, kind) the unsubscribe token names, or None for a token not made
    here or a person who no longer has an account."""
    found = read_unsubscribe_token(token)
    if found is None:
        return None
    user = get_user_model().objects.filter(pk=found[0], is_active=True).first()
    return None if user is None else (user, Notification.Kind(found[1]))


@transaction.atomic
def unsubscribe(*, token: str):
    """Switch off the email kind the token names for the person it names, with
    no login (the one-click POST of RFC 8058). Idempotent. Returns (user, kind),
    or None when `unsubscribe_target` finds none."""
    target = unsubscribe_target(token)
    if target is not None:
        save_email_preferences(user=target[0], enabled={target[1]: False})
    return target
