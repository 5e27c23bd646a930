from django.urls import path

from . import views

app_name = "doctors"

urlpatterns: list = [
    # Directory (discovery)
    path("doctors/", views.doctor_list, name="list"),
    path(
        "specializations/<slug:slug>/",
        views.specialization_detail,
        name="specialization",
    ),
]
