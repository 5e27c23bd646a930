from django.db import migrations
from django.utils.text import slugify

# Reference data: the languages doctors most often consult in. Staff add more in admin.
LANGUAGES = [
    "Arabic",
    "Chinese",
    "Dutch",
    "English",
    "French",
    "German",
    "Greek",
    "Hindi",
    "Italian",
    "Japanese",
    "Polish",
    "Portuguese",
    "Romanian",
    "Russian",
    "Spanish",
    "Swedish",
    "Turkish",
    "Ukrainian",
]


def add_languages(apps, schema_editor):
    language_model = apps.get_model("doctors", "Language")
    for name in LANGUAGES:
        language_model.objects.get_or_create(
            slug=slugify(name), defaults={"name": name}
        )


class Migration(migrations.Migration):
    dependencies = [("doctors", "0002_role_permissions")]

    operations = [migrations.RunPython(add_languages, migrations.RunPython.noop)]
