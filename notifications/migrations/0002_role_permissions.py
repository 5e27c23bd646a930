from django.db import migrations

from accounts.roles import Role, grant_permissions


def grant(apps, schema_editor):
    everyone = [
        "view_notification",
        "change_notification",
        "view_emailpreference",
        "add_emailpreference",
        "change_emailpreference",
    ]
    grant_permissions(
        apps,
        "notifications",
        {
            Role.PATIENT: everyone,
            Role.DOCTOR: everyone,
            Role.STAFF: ["view_notification", "view_emailpreference"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
