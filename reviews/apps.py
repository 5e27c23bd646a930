from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Reviews")

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import post_save

        from . import services

        # A reviewer's name shows in the reviews panels of the doctors they reviewed.
        post_save.connect(services.on_reviewer_saved, sender=settings.AUTH_USER_MODEL)
