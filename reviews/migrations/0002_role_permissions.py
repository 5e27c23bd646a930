from django.db import migrations

from accounts.roles import Role, grant_permissions


def grant(apps, schema_editor):
    grant_permissions(
        apps,
        "reviews",
        {
            Role.PATIENT: [
                "view_review",
                "add_review",
                "change_review",
                "delete_review",
            ],
            Role.DOCTOR: ["view_review", "change_review"],
            Role.STAFF: ["view_review", "change_review"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
