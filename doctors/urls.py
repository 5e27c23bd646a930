from django.urls import path

from . import views

app_name = "doctors"

urlpatterns: list = [
    # Directory (discovery)
    path("doctors/", views.doctor_list, name="list"),
    path("specializations/", views.specialization_list, name="specializations"),
    path(
        "specializations/<slug:slug>/",
        views.specialization_detail,
        name="specialization",
    ),
    # Applications, public pages, follows (people); fixed paths before <slug>.
    path("doctors/apply/", views.apply, name="apply"),
    path("doctors/me/", views.application, name="application"),
    path("doctors/me/edit/", views.edit, name="edit"),
    path("account/following/", views.following, name="following"),
    path("doctors/<slug:slug>/", views.detail, name="detail"),
    path("doctors/<slug:slug>/follow/", views.follow, name="follow"),
    path("doctors/<slug:slug>/unfollow/", views.unfollow, name="unfollow"),
]
