from django.db import migrations

# PostgreSQL only: a trigram index answers `full_name__icontains` (Django's
# UPPER(col::text) LIKE UPPER('%word%')) without reading every user; SQLite has
# no such index type and scans, which is fine at its sizes.
CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS user_full_name_trgm ON accounts_user "
    "USING gin (UPPER(full_name::text) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS user_full_name_trgm"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles")]

    operations = [migrations.RunPython(run(CREATE), run(DROP))]
