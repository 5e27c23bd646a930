from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("account/data/export/", views.export, name="export"),
    path("account/close/", views.close_account, name="close"),
]
