from django.conf import settings


def clinic(request) -> dict:
    """`CLINIC_NAME`: the clinic's name, for the navbar, titles and footer."""
    return {"CLINIC_NAME": settings.CLINIC_NAME}
