"""Email backends for tests: one that always fails like a dead SMTP server."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class FailingEmailBackend(BaseEmailBackend):
    attempts = 0

    def send_messages(self, email_messages):
        type(self).attempts += 1
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class FlakyEmailBackend(BaseEmailBackend):
    """Fails the first attempt, then delivers to the locmem outbox."""

    attempts = 0

    def send_messages(self, email_messages):
        from django.core import mail

        type(self).attempts += 1
        if type(self).attempts == 1:
            raise smtplib.SMTPConnectError(421, "Try again later")
        mail.outbox.extend(email_messages)
        return len(email_messages)
