from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from .context_processors import on_notification_changed
        from .models import Notification

        for signal in (post_save, post_delete):
            signal.connect(on_notification_changed, sender=Notification)
