from django.db import migrations

from accounts.roles import Role, crud, grant_permissions


def grant(apps, schema_editor):
    grant_permissions(
        apps,
        "doctors",
        {
            Role.PATIENT: [
                "view_specialization",
                "view_doctorprofile",
                "add_doctorprofile",
                "view_follow",
                "add_follow",
                "delete_follow",
            ],
            Role.DOCTOR: ["view_doctorprofile", "change_doctorprofile"],
            Role.STAFF: [
                *crud("specialization", "language"),
                "view_doctorprofile",
                "change_doctorprofile",
                "view_follow",
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("doctors", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
