from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import DoctorProfile, Specialization


# --- Directory (discovery) -------------------------------------------------------
def doctor_list(
    request: HttpRequest, specialization: Specialization | None = None
) -> HttpResponse:
    doctors = DoctorProfile.objects.approved().select_related("user", "specialization")
    if specialization is not None:
        doctors = doctors.filter(specialization=specialization)
    doctors = doctors.order_by("-followers_count", "id")[:20]
    return render(
        request,
        "doctors/doctor_list.html",
        {"doctors": doctors, "specialization": specialization},
    )


def specialization_detail(request: HttpRequest, slug: str) -> HttpResponse:
    specialization = get_object_or_404(Specialization, slug=slug)
    return doctor_list(request, specialization=specialization)
