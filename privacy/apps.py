from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Patients' data rights: their export and closing their account. Above every
    other app: it gathers and erases what each of them holds about a person."""

    name = "privacy"
    verbose_name = _("Data rights")
