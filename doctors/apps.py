from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DoctorsConfig(AppConfig):
    name = "doctors"
    verbose_name = _("Doctors")

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from . import cache
        from .models import DoctorProfile, Language, Specialization

        # Fragments cached per doctor (doctors.cache) follow saves no service makes.
        post_save.connect(cache.on_profile_saved, sender=DoctorProfile)
        m2m_changed.connect(
            cache.on_languages_changed, sender=DoctorProfile.languages.through
        )
        post_save.connect(cache.on_person_saved, sender=settings.AUTH_USER_MODEL)
        for model in (Specialization, Language):
            post_save.connect(cache.bump_listing_on_commit, sender=model)
            post_delete.connect(cache.bump_listing_on_commit, sender=model)
        post_delete.connect(cache.on_profile_saved, sender=DoctorProfile)
