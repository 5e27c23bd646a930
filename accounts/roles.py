"""Role groups and their model permissions, granted by each app's data migration."""

from django.contrib.auth.management import create_permissions

from .models import Role


def grant_permissions(apps, app_label: str, grants: dict[str, list[str]]) -> None:
    """Give each role (group name) the listed permission codenames of `app_label`.

    For data migrations: permissions normally appear after `migrate` finishes, so
    they are created here first, from the historical models."""
    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, codenames in grants.items():
        group, _ = group_model.objects.get_or_create(name=role)
        permissions = permission_model.objects.filter(
            content_type__app_label=app_label, codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise LookupError(f"Unknown permissions in {app_label}: {sorted(missing)}")
        group.permissions.add(*permissions)


def crud(*models: str) -> list[str]:
    return [
        f"{action}_{model}"
        for model in models
        for action in ("view", "add", "change", "delete")
    ]


__all__ = ["Role", "crud", "grant_permissions"]
