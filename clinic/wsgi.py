import os

from django.core.wsgi import get_wsgi_application

from clinic.production import refuse_to_serve_without_secrets

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

refuse_to_serve_without_secrets()
application = get_wsgi_application()
