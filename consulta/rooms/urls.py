from django.urls import path

from consulta.rooms import views

app_name = "rooms"
urlpatterns = [
    path("c/<slug:slug>/rooms/", views.rooms_manage, name="manage"),
    path("c/<slug:slug>/rooms/<int:room_id>/", views.room_edit, name="edit"),
    path("c/<slug:slug>/rooms/<int:room_id>/delete/", views.room_delete, name="delete"),
    path("c/<slug:slug>/rooms/<int:room_id>/guest-links/", views.room_guest_link_create, name="guest_link_create"),
    path(
        "c/<slug:slug>/rooms/<int:room_id>/guest-links/<int:link_id>/revoke/",
        views.room_guest_link_revoke,
        name="guest_link_revoke",
    ),
    path("c/<slug:slug>/team/<int:membership_id>/user-room/", views.user_room_toggle, name="user_room_toggle"),
    path("r/<str:token>/", views.meeting_room, name="meeting_room"),
    path("r/<str:token>/invite/", views.meeting_room_invite, name="meeting_room_invite"),
    path("u/<str:token>/", views.user_room, name="user_room"),
    path("u/<str:token>/invite/", views.user_room_invite, name="user_room_invite"),
    path(
        "u/<str:token>/guest-links/<int:link_id>/revoke/",
        views.user_room_guest_link_revoke,
        name="user_room_guest_link_revoke",
    ),
    path("g/<str:token>/", views.guest, name="guest"),
]
