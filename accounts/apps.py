from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")
    default = True

    def ready(self):
        from allauth.mfa.signals import authenticator_added

        from .mfa import count_activation_as_mfa

        authenticator_added.connect(count_activation_as_mfa)


class AdminConfig(admin_apps.AdminConfig):
    """Django's admin, on the site of accounts.admin_site (allauth's login, MFA)."""

    default = False
    default_site = "accounts.admin_site.AdminSite"
