from django.urls import path

from consulta.consultations import patient_views, team_views

app_name = "consultations"
urlpatterns = [
    # Patients: public, no login.
    path("wait/<slug:slug>/", patient_views.entry, name="entry"),
    path("w/<str:code>/", patient_views.short_link, name="short"),
    path("consultation/<str:token>/", patient_views.space, name="space"),
    path("consultation/<str:token>/leave/", patient_views.leave, name="leave"),
    path("join/<str:token>/", patient_views.join_by_invite, name="join_by_invite"),
    # The clinic's team.
    path("c/<slug:slug>/waiting-area/", team_views.dashboard, name="dashboard"),
    path("c/<slug:slug>/waiting-area/settings/", team_views.waiting_area_settings, name="settings"),
    path("c/<slug:slug>/waiting-area/prefill-link/", team_views.prefill_link, name="prefill_link"),
    path("c/<slug:slug>/callers/<int:consultation_id>/call/", team_views.call, name="call"),
    path("c/<slug:slug>/callers/<int:consultation_id>/join/", team_views.join, name="join"),
    path("c/<slug:slug>/callers/<int:consultation_id>/hold/", team_views.hold, name="hold"),
    path("c/<slug:slug>/callers/<int:consultation_id>/notify/", team_views.notify, name="notify"),
    path("c/<slug:slug>/callers/<int:consultation_id>/transfer/", team_views.transfer, name="transfer"),
    path("c/<slug:slug>/callers/<int:consultation_id>/urgent/", team_views.urgent, name="urgent"),
    path("c/<slug:slug>/callers/<int:consultation_id>/end/", team_views.end, name="end"),
    path("c/<slug:slug>/callers/<int:consultation_id>/invite/", team_views.invite, name="invite"),
    path(
        "c/<slug:slug>/callers/<int:consultation_id>/add-to/<int:host_id>/",
        team_views.add_to_call,
        name="add_to_call",
    ),
]
