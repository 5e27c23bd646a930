from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.models import Group
        from django.db.models.signals import m2m_changed, post_save, pre_delete

        from . import context_processors
        from .models import User

        # The navigation's role names are cached per user (context_processors).
        m2m_changed.connect(
            context_processors.on_groups_changed, sender=User.groups.through
        )
        post_save.connect(context_processors.on_group_changed, sender=Group)
        pre_delete.connect(context_processors.on_group_changed, sender=Group)
