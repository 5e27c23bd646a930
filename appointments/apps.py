from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = _("Appointments")

    def ready(self) -> None:
        from doctors.models import Specialization
        from reviews.models import Review

        from . import caching
        from .models import Appointment, TimeOff

        # The people's cached appointment pages (appointments.caching) follow
        # every save and delete; the services' updates bump explicitly.
        for signal in (post_save, post_delete):
            signal.connect(caching.on_appointment_saved, sender=Appointment)
            signal.connect(caching.on_review_saved, sender=Review)
            signal.connect(caching.on_time_off_saved, sender=TimeOff)
        post_save.connect(caching.on_specialization_saved, sender=Specialization)
        post_save.connect(caching.on_person_saved, sender=settings.AUTH_USER_MODEL)
