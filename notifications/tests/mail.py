"""Reading sent emails as a mail reader does: from the bytes on the wire."""

from email import message_from_bytes, policy
from email.message import Message


def wire(email) -> Message:
    """A Django email as the message a mail server receives (headers as sent)."""
    return message_from_bytes(email.message().as_bytes(), policy=policy.compat32)


def calendar_parts(email) -> list[tuple[str, str, str]]:
    """(filename, calendar text, Content-Type header as sent) of each
    text/calendar part."""
    return [
        (
            part.get_filename(),
            part.get_payload(decode=True).decode(part.get_content_charset()),
            part["Content-Type"],
        )
        for part in wire(email).walk()
        if part.get_content_type() == "text/calendar"
    ]
