from functools import cached_property

from django.http import HttpRequest

from .models import Notification


class NotificationBell:
    """The navbar bell's unread count, counted on first use and then remembered:
    a page that never shows the bell pays nothing, one that shows it pays one
    query however often the template reads it."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def count(self) -> int:
        if self.user is None or not self.user.is_authenticated:
            return 0
        return Notification.objects.for_user(self.user).unread().count()


def notification_bell(request: HttpRequest) -> dict:
    """`notification_bell.count`: the signed-in user's unread notifications."""
    return {"notification_bell": NotificationBell(getattr(request, "user", None))}
