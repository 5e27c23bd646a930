from django.db import migrations

from accounts.roles import Role, crud, grant_permissions


def grant(apps, schema_editor):
    grant_permissions(
        apps,
        "appointments",
        {
            Role.PATIENT: [
                "view_slot",
                "add_appointment",
                "view_appointment",
                "change_appointment",
            ],
            Role.DOCTOR: [
                *crud("weeklyavailability", "timeoff"),
                "view_slot",
                "view_appointment",
                "change_appointment",
                "view_appointmentevent",
            ],
            Role.STAFF: [
                "view_weeklyavailability",
                "view_timeoff",
                "view_slot",
                "view_appointment",
                "change_appointment",
                "view_appointmentevent",
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("appointments", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
