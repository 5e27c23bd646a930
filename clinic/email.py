"""The console email backend of development (`EMAIL_URL=consolemail://`): one line
per email, so the link to click is not buried under headers and MIME parts."""

import re

from django.conf import settings
from django.core.mail.backends import console

LINK = re.compile(r"https?://[^\s<>\"')]+")


def summary(message) -> str:
    """`Email to a@example.com: Subject — first link` (the text part's first link,
    else the HTML part's)."""
    bodies = [message.body or ""]
    bodies += [content for content, _ in getattr(message, "alternatives", [])]
    link = next((m[0] for body in bodies if (m := LINK.search(str(body)))), "")
    recipients = ", ".join([*message.to, *message.cc, *message.bcc])
    line = f"Email to {recipients}: {' '.join(str(message.subject).split())}"
    return f"{line} — {link}" if link else line


class EmailBackend(console.EmailBackend):
    """Django's console backend, one line a message; the whole message (headers,
    every part) with EMAIL_CONSOLE_FULL=true."""

    def write_message(self, message) -> None:
        if settings.EMAIL_CONSOLE_FULL:
            super().write_message(message)
        else:
            self.stream.write(summary(message) + "\n")
