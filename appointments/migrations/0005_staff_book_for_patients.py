from django.db import migrations

from accounts.roles import Role, grant_permissions


def grant(apps, schema_editor):
    # The front desk books for callers (the "Book for a patient" admin page) and
    # registers the callers who have no account yet.
    grant_permissions(apps, "appointments", {Role.STAFF: ["add_appointment"]})
    grant_permissions(apps, "accounts", {Role.STAFF: ["add_user"]})


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0004_appointment_no_show_booked_by"),
        ("accounts", "0004_email_optional_for_desk_patients"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
