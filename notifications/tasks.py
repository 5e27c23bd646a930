import logging
import time
from email.mime.text import MIMEText
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

SEND_ATTEMPTS = 3
# Seconds to wait before the 2nd, 3rd... attempt. Short: with the immediate
# backend the wait happens inside the (already committed) request.
RETRY_DELAYS = (1, 2)


def site_host() -> str:
    """The site's host name as the world knows it (SITE_URL), not this machine's:
    the right-hand side of Message-IDs and calendar UIDs."""
    return urlsplit(settings.SITE_URL).hostname or "clinic"


@task()
def send_email(
    *,
    to: str,
    subject: str,
    text: str,
    html: str,
    attachments: list[list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Send one notification email, retrying a failing mail server a few times.

    `attachments` holds [filename, content, mimetype] triples (task arguments must
    be JSON); `headers` the ones the caller chose (unsubscribe). Every email also
    gets a Message-ID on the site's domain (not this machine's name), a Date with
    its zone, and `Auto-Submitted: auto-generated` (RFC 3834: no auto-replies).
    Gives up after SEND_ATTEMPTS and logs: the event it reports has already
    happened and is visible in the in-app inbox."""
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={
            **(headers or {}),
            # One id for every attempt: a retry after a lost answer is a duplicate
            # the receiving side can recognise.
            "Message-ID": make_msgid(domain=site_host()),
            # Django's default says "-0000", "zone unknown" (RFC 5322 3.3).
            "Date": format_datetime(timezone.now()),
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments or []:
        message.attach(_attachment(filename, content, mimetype))
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            message.send()
        except OSError as error:  # smtplib.SMTPException is an OSError
            logger.warning(
                "Sending %r to %s failed (attempt %d of %d): %s",
                subject,
                to,
                attempt,
                SEND_ATTEMPTS,
                error,
            )
            if attempt == SEND_ATTEMPTS:
                logger.error("Giving up on %r to %s", subject, to)
                raise
            time.sleep(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1])
        else:
            return


def _attachment(filename: str, content: str, mimetype: str) -> MIMEText:
    """A text attachment typed exactly `mimetype`, parameters included: Django's
    own `attach` drops them, and a calendar part needs its `method=`."""
    _maintype, subtype = mimetype.split(";", 1)[0].strip().split("/", 1)
    part = MIMEText(content, subtype, "utf-8")
    if "charset=" not in mimetype.lower():
        mimetype += "; charset=utf-8"  # the body is encoded as UTF-8 above
    part.replace_header("Content-Type", mimetype)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part
