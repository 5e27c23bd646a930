from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"

    def ready(self) -> None:
        from . import production  # noqa: F401 — registers the deploy check
