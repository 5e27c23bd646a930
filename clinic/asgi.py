import os

from django.core.asgi import get_asgi_application

from clinic.production import refuse_to_serve_without_secrets

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

refuse_to_serve_without_secrets()
application = get_asgi_application()
