from django.db import migrations

from accounts.roles import Role, crud, grant_permissions


def grant(apps, schema_editor):
    grant_permissions(
        apps,
        "appointments",
        {
            Role.DOCTOR: [*crud("dateoverride", "dateoverridewindow")],
            Role.STAFF: [
                "view_dateoverride",
                "view_dateoverridewindow",
                "view_waitlistrequest",
                "view_sentreminder",
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("appointments", "0006_reminders_waitlist_date_overrides")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
