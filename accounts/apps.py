from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("People")  # the admin's breadcrumbs; allauth's app is "Accounts"
    default = True

    def ready(self) -> None:
        from allauth.mfa.signals import authenticator_added
        from django.contrib.auth.models import Group
        from django.db.models.signals import (
            m2m_changed,
            post_delete,
            post_save,
            pre_delete,
        )

        from . import context_processors, signed_in
        from .mfa import count_activation_as_mfa
        from .models import User

        authenticator_added.connect(count_activation_as_mfa)
        # The navigation's role names are cached per user (context_processors).
        m2m_changed.connect(
            context_processors.on_groups_changed, sender=User.groups.through
        )
        post_save.connect(context_processors.on_group_changed, sender=Group)
        pre_delete.connect(context_processors.on_group_changed, sender=Group)
        # The signed-in user's row is cached (signed_in): a new version on change.
        for signal in (post_save, post_delete):
            signal.connect(signed_in.on_user_saved, sender=User)
        for through in (User.groups.through, User.user_permissions.through):
            m2m_changed.connect(signed_in.on_user_m2m_changed, sender=through)


class AdminConfig(admin_apps.AdminConfig):
    """Django's admin, on the site of accounts.admin_site (allauth's login, MFA)."""

    default = False
    default_site = "accounts.admin_site.AdminSite"
