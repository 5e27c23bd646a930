"""Logging filters. Imported by the LOGGING setting, before the apps load: no
models here."""

import logging
import re

# Paths whose last part is a secret: the calendar feed's token (the only key to
# a person's appointments) and the one-click unsubscribe token.
SECRET_PATHS = re.compile(
    r"(?P<prefix>/calendar/|/notifications/unsubscribe/)[^/\s\"'?]+"
)
REDACTED = r"\g<prefix>[redacted]"


class RedactSecretPaths(logging.Filter):
    """Rewrite a request log record (Django's "Not Found: /path", runserver's
    request line, an error's report) so no secret token of a URL reaches a log
    file or an admin's mailbox."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = SECRET_PATHS.sub(REDACTED, message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        request = getattr(record, "request", None)
        if SECRET_PATHS.search(str(getattr(request, "path", ""))):
            # The error mail (AdminEmailHandler) prints the request's path and
            # headers; it copes with none.
            record.request = None
        return True
