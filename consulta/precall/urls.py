from django.urls import path

from consulta.precall import views

app_name = "precall"
urlpatterns = [
    path("precall/", views.precall_page, name="page"),
    path("precall/download/", views.download, name="download"),
    path("precall/upload/", views.upload, name="upload"),
    path("c/<slug:slug>/precall/", views.clinic_precall_page, name="clinic_page"),
    path("c/<slug:slug>/entry-check/", views.entry_check, name="entry_check"),
]
