import secrets
from functools import cached_property

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest

from .models import Notification

# A version per user of their notifications' read state, replaced once a change
# commits: pages kept whole in the cache (appointments.caching) read it before
# rendering their bell, so a new or newly read notification shows at once.
_VERSION = "notifications-version:{}"


def version_key(user_id: int) -> str:
    return _VERSION.format(user_id)


def forget_unread(user_ids) -> None:
    """On commit (at once outside a transaction): these users' unread counts
    changed."""
    ids = {pk for pk in user_ids if pk is not None}
    if ids:
        transaction.on_commit(
            lambda: cache.set_many(
                {version_key(pk): secrets.token_hex(8) for pk in ids}, timeout=None
            )
        )


def on_notification_changed(sender, instance, **kwargs) -> None:
    """A notification created, saved or deleted (services.notify, privacy's
    erasure); the services' updates (marking read) call `forget_unread`."""
    forget_unread([instance.recipient_id])


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
