from django.urls import path

from consulta.organisations import views

app_name = "organisations"
urlpatterns = [
    path("o/<slug:org_slug>/", views.organisation_home, name="organisation_home"),
    path("o/<slug:org_slug>/clinics/new/", views.clinic_create, name="clinic_create"),
    path("o/<slug:org_slug>/people/", views.people, name="people"),
    path("o/<slug:org_slug>/roles/", views.organisation_roles, name="roles"),
    path("o/<slug:org_slug>/roles/<int:membership_id>/remove/", views.organisation_role_remove, name="role_remove"),
    path(
        "o/<slug:org_slug>/invitations/<int:invitation_id>/resend/",
        views.organisation_invitation,
        {"verb": "resend"},
        name="organisation_invitation_resend",
    ),
    path(
        "o/<slug:org_slug>/invitations/<int:invitation_id>/withdraw/",
        views.organisation_invitation,
        {"verb": "withdraw"},
        name="organisation_invitation_withdraw",
    ),
    path("c/<slug:slug>/", views.clinic_home, name="clinic_home"),
    path("c/<slug:slug>/settings/", views.clinic_settings, name="clinic_settings"),
    path("c/<slug:slug>/team/", views.clinic_team, name="clinic_team"),
    path("c/<slug:slug>/team/<int:membership_id>/", views.membership_update, name="membership_update"),
    path("c/<slug:slug>/team/<int:membership_id>/remove/", views.membership_remove, name="membership_remove"),
    path(
        "c/<slug:slug>/invitations/<int:invitation_id>/resend/",
        views.clinic_invitation,
        {"verb": "resend"},
        name="clinic_invitation_resend",
    ),
    path(
        "c/<slug:slug>/invitations/<int:invitation_id>/withdraw/",
        views.clinic_invitation,
        {"verb": "withdraw"},
        name="clinic_invitation_withdraw",
    ),
]
