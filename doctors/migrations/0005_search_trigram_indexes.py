from django.db import migrations

# PostgreSQL only: trigram indexes for the directory's search, which matches
# clinic and city with `icontains` (UPPER(col::text) LIKE UPPER('%word%')).
# Names are indexed by accounts 0003. At 10,000 doctors a two-word search went
# from 44 to 28 ms median (bench/discovery.py).
CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS doctor_clinic_name_trgm ON doctors_doctorprofile "
    "USING gin (UPPER(clinic_name::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS doctor_city_trgm ON doctors_doctorprofile "
    "USING gin (UPPER(city::text) gin_trgm_ops)",
]
DROP = [
    "DROP INDEX IF EXISTS doctor_clinic_name_trgm",
    "DROP INDEX IF EXISTS doctor_city_trgm",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("doctors", "0004_directory_indexes"),
        ("accounts", "0003_full_name_trigram_index"),
    ]

    operations = [migrations.RunPython(run(CREATE), run(DROP))]
