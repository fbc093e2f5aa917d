"""Screens of issue 17 (campaigns, tickets, members and invitations), included by web.urls."""

from django.urls import path

from web.views import campaigns as views_campaigns
from web.views import members as views_members
from web.views import tickets as views_tickets
from web.views import workspace_settings as views_workspace

urlpatterns = [
    path("campaigns/", views_campaigns.campaign_list, name="campaign_list"),
    path("campaigns/<uuid:campaign_uuid>/", views_campaigns.campaign_detail, name="campaign_detail"),
    path("campaigns/<uuid:campaign_uuid>/edit", views_campaigns.campaign_edit, name="campaign_edit"),
    path("campaigns/<uuid:campaign_uuid>/events", views_campaigns.event_create, name="campaign_event_create"),
    path("campaigns/events/<uuid:event_uuid>/edit", views_campaigns.event_edit, name="campaign_event_edit"),
    path(
        "campaigns/events/<uuid:event_uuid>/delete",
        views_campaigns.event_delete,
        name="campaign_event_delete",
    ),
    path("tickets/", views_tickets.inbox, name="ticket_inbox"),
    path("tickets/<uuid:ticket_uuid>/", views_tickets.ticket_detail, name="ticket_detail"),
    path("tickets/<uuid:ticket_uuid>/reply", views_tickets.ticket_reply, name="ticket_reply"),
    path("tickets/<uuid:ticket_uuid>/note", views_tickets.ticket_note, name="ticket_note"),
    path("tickets/<uuid:ticket_uuid>/status", views_tickets.ticket_status, name="ticket_status"),
    path("tickets/<uuid:ticket_uuid>/assign", views_tickets.ticket_assign, name="ticket_assign"),
    path("contacts/<uuid:contact_uuid>/tickets", views_tickets.ticket_open, name="ticket_open"),
    path("settings/members/", views_members.member_list, name="member_list"),
    path("settings/members/<int:membership_id>/role", views_members.member_role, name="member_role"),
    path("settings/members/<int:membership_id>/remove", views_members.member_remove, name="member_remove"),
    path("settings/members/invite", views_members.invite, name="member_invite"),
    path("settings/workspace/", views_workspace.workspace_settings, name="workspace_settings"),
    path("workspaces/switch", views_workspace.switch_workspace, name="workspace_switch"),
    path("invitations/<str:token>/", views_members.accept, name="invitation_accept"),
]
