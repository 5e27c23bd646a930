import zoneinfo
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import select_template
from django.utils import timezone

from .models import EmailPreference, Notification
from .tasks import send_email

# Kinds that are in-app only (the table in the notifications issue).
IN_APP_ONLY = {Notification.Kind.FOLLOWED}


def wants_email(*, user, kind: str) -> bool:
    if kind in IN_APP_ONLY:
        return False
    preference = EmailPreference.objects.filter(user=user, kind=kind).first()
    return preference.enabled if preference is not None else True


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}" if path.startswith("/") else path


def notify(
    *,
    recipient,
    kind: str,
    message: str,
    link: str = "",
    email_context: dict[str, Any] | None = None,
    attachments: list[tuple[str, str, str]] = (),
) -> Notification:
    """Tell `recipient` that something happened: an inbox row now, an email later.

    Call inside the transaction of the change being reported: the row is written
    with it, and the email is queued only once it commits (a rolled-back booking
    sends nothing). The email is rendered here, in the recipient's time zone, from
    notifications/email/<kind>_{subject.txt,message.txt,message.html}, with
    `email_context` plus recipient, message and link (absolute)."""
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, message=message, link=link
    )
    if recipient.email and wants_email(user=recipient, kind=kind):
        context = {
            **(email_context or {}),
            "recipient": recipient,
            "message": message,
            "link": absolute_url(link) if link else absolute_url("/notifications/"),
            "site_url": settings.SITE_URL,
        }
        with timezone.override(zoneinfo.ZoneInfo(recipient.timezone or "UTC")):
            subject, text, html = (
                select_template(
                    [
                        f"notifications/email/{kind}_{part}",
                        f"notifications/email/default_{part}",
                    ]
                ).render(context)
                for part in ("subject.txt", "message.txt", "message.html")
            )
        transaction.on_commit(
            partial(
                send_email.enqueue,
                to=recipient.email,
                subject=" ".join(subject.split()),
                text=text,
                html=html,
                attachments=[list(item) for item in attachments],
            )
        )
    return notification
