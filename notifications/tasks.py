import logging
import time

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django_tasks import task

logger = logging.getLogger(__name__)

SEND_ATTEMPTS = 3
# Seconds to wait before the 2nd, 3rd... attempt. Short: with the immediate
# backend the wait happens inside the (already committed) request.
RETRY_DELAYS = (1, 2)


@task()
def send_email(
    *,
    to: str,
    subject: str,
    text: str,
    html: str,
    attachments: list[list[str]] | None = None,
) -> None:
    """Send one notification email, retrying a failing mail server a few times.

    `attachments` holds [filename, content, mimetype] triples (task arguments must
    be JSON). Gives up after SEND_ATTEMPTS and logs: the event it reports has
    already happened and is visible in the in-app inbox."""
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to]
    )
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments or []:
        message.attach(filename, content, mimetype)
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
