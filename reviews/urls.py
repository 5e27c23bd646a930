from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("appointments/<int:pk>/review/", views.create, name="create"),
    path("reviews/mine/", views.mine, name="mine"),
    path("reviews/<int:pk>/edit/", views.edit, name="edit"),
    path("reviews/<int:pk>/delete/", views.delete, name="delete"),
    path("reviews/<int:pk>/reply/", views.reply, name="reply"),
    # Before doctors/<slug>/reviews/: "me" is not a doctor's slug.
    path("doctors/me/reviews/", views.inbox, name="inbox"),
    path("doctors/<slug:slug>/reviews/", views.doctor_reviews, name="doctor_reviews"),
]
