from django.db import migrations

from accounts.roles import Role, grant_permissions


def create_roles(apps, schema_editor):
    grant_permissions(
        apps,
        "accounts",
        {
            Role.PATIENT: [],
            Role.DOCTOR: [],
            Role.STAFF: ["view_user", "change_user"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
