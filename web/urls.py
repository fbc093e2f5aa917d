from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from aggregators.handler import rest as handler_rest
from channels_app.views import channel_webhook
from web.api.urls import api
from web.auth_views import RateLimitedLoginView
from web.views import broadcasts as views_broadcasts
from web.views import calls as views_calls
from web.views import channel_edit as views_channel_edit
from web.views import channels as views
from web.views import connectors as views_connectors
from web.views import contacts as views_contacts
from web.views import dashboard as views_screens
from web.views import docs as views_docs
from web.views import flows as views_flows
from web.views import people as views_people
from web.views import templates_webhooks as views_more

urlpatterns = [
    path("c/<slug:type_slug>/<uuid:channel_uuid>/<slug:action>", channel_webhook, name="channel_webhook"),
    # Courier's and RapidPro's channel URLs end in "/": aggregators moved from them keep working.
    path(
        "c/<slug:type_slug>/<uuid:channel_uuid>/<slug:action>/", channel_webhook, name="channel_webhook_slash"
    ),
    path("api/v1/", api.urls),
    path("rest/<str:method>", handler_rest.rest_method, name="handler_rest"),
    path("oauth/token/", handler_rest.oauth_token, name="handler_oauth_token"),
    path("login/", RateLimitedLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views_screens.dashboard, name="dashboard"),
    path("channels/", views.channel_list, name="channel_list"),
    path("channels/add/", views.channel_type_list, name="channel_add"),
    # XC's form comes from the chosen connector's fields: this route wins over the generic one.
    path("channels/add/XC/", views_connectors.xc_channel_create, name="xc_channel_create"),
    path("channels/add/<str:type_code>/", views.channel_create, name="channel_create"),
    path("connectors/", views_connectors.connector_list, name="connector_list"),
    path("connectors/upload/", views_connectors.connector_upload, name="connector_upload"),
    path("connectors/console/", views_connectors.connector_console, name="connector_console"),
    path("connectors/<str:ref>/", views_connectors.connector_detail, name="connector_detail"),
    path("channels/<uuid:channel_uuid>/", views_screens.channel_detail, name="channel_detail"),
    path("channels/<uuid:channel_uuid>/security", views.channel_security, name="channel_security"),
    path("channels/<uuid:channel_uuid>/edit", views_channel_edit.channel_edit, name="channel_edit"),
    path("channels/<uuid:channel_uuid>/release", views_channel_edit.channel_release, name="channel_release"),
    path(
        "channels/<uuid:channel_uuid>/test-message",
        views_screens.channel_test_message,
        name="channel_test_message",
    ),
    path("messages/", views_screens.message_log, name="message_log"),
    path("messages/resend", views_screens.message_resend, name="message_resend"),
    path(
        "messages/<uuid:msg_uuid>/check-status",
        views_screens.message_check_status,
        name="message_check_status",
    ),
    path("messages/<uuid:msg_uuid>/", views_screens.message_detail, name="message_detail"),
    path("triggers/", views_screens.trigger_list, name="trigger_list"),
    path("triggers/<uuid:trigger_uuid>/delete", views_screens.trigger_delete, name="trigger_delete"),
    path("settings/api-keys/", views_screens.token_list, name="token_list"),
    path("settings/api-keys/<int:token_id>/revoke", views_screens.token_revoke, name="token_revoke"),
    path("templates/", views_more.template_list, name="template_list"),
    path("templates/<slug:code>/", views_more.template_edit, name="template_edit"),
    path("templates/<slug:code>/delete", views_more.template_delete, name="template_delete"),
    path("templates/<slug:code>/preview", views_more.template_preview, name="template_preview"),
    path("settings/webhooks/", views_more.webhook_list, name="webhook_list"),
    path("settings/webhooks/<uuid:subscription_uuid>/", views_more.webhook_detail, name="webhook_detail"),
    path(
        "settings/webhooks/<uuid:subscription_uuid>/delete", views_more.webhook_delete, name="webhook_delete"
    ),
    path(
        "settings/webhooks/deliveries/<uuid:delivery_uuid>/replay",
        views_more.delivery_replay,
        name="delivery_replay",
    ),
    path("demo/aggregator/send", views.demo_aggregator_send, name="demo_aggregator_send"),
    path("healthz", views.healthz, name="healthz"),
    # The built documentation site (make docs); public, static files only.
    path("docs/", views_docs.docs_page, name="docs_index"),
    path("docs/<path:path>", views_docs.docs_page, name="docs_page"),
    path("calls/", views_calls.call_log, name="call_log"),
    path("calls/agent/", views_calls.agent_phone, name="call_agent_phone"),
    path("calls/<uuid:call_uuid>/", views_calls.call_detail, name="call_detail"),
    path("contacts/", views_contacts.contact_list, name="contact_list"),
    path("contacts/groups/", views_contacts.group_list, name="group_list"),
    path("contacts/new", views_people.contact_new, name="contact_new"),
    path("contacts/bulk", views_people.contact_bulk, name="contact_bulk"),
    path("contacts/import/", views_people.import_start, name="contact_import_start"),
    path("contacts/import/<uuid:import_uuid>/", views_people.contact_import, name="contact_import"),
    path(
        "contacts/import/<uuid:import_uuid>/status",
        views_people.contact_import_status,
        name="contact_import_status",
    ),
    path("messages/labels/", views_people.label_list, name="label_list"),
    path("messages/label-action", views_people.message_label_action, name="message_label_action"),
    path("contacts/groups/<uuid:group_uuid>/", views_contacts.group_edit, name="group_edit"),
    path("contacts/groups/<uuid:group_uuid>/rename", views_contacts.group_rename, name="group_rename"),
    path("contacts/groups/<uuid:group_uuid>/delete", views_contacts.group_delete, name="group_delete"),
    path("contacts/<uuid:contact_uuid>/", views_contacts.contact_detail, name="contact_detail"),
    path("contacts/<uuid:contact_uuid>/edit", views_contacts.contact_update, name="contact_update"),
    path("contacts/<uuid:contact_uuid>/groups", views_contacts.contact_groups, name="contact_groups"),
    path("contacts/<uuid:contact_uuid>/send", views_contacts.contact_send, name="contact_send"),
    path("contacts/<uuid:contact_uuid>/call", views_calls.contact_call, name="contact_call"),
    path("broadcasts/", views_broadcasts.broadcast_list, name="broadcast_list"),
    path("broadcasts/new", views_broadcasts.broadcast_compose, name="broadcast_compose"),
    path("broadcasts/preview", views_broadcasts.broadcast_preview, name="broadcast_preview"),
    path("broadcasts/quiet-hours", views_broadcasts.quiet_hours, name="broadcast_quiet_hours"),
    path("broadcasts/<uuid:broadcast_uuid>/", views_broadcasts.broadcast_detail, name="broadcast_detail"),
    path(
        "broadcasts/<uuid:broadcast_uuid>/<slug:action>",
        views_broadcasts.broadcast_control,
        name="broadcast_control",
    ),
    path("flows/", views_flows.flow_list, name="flow_list"),
    path("flows/<uuid:flow_uuid>/editor", views_flows.flow_editor, name="flow_editor"),
    path("", include("web.urls_people")),  # campaigns, tickets, members (issue 17)
    # Static files are served by WhiteNoise (settings.MIDDLEWARE); browsers still ask for this.
    path("favicon.ico", RedirectView.as_view(url="/static/flowgate/editor/favicon.svg", permanent=True)),
]
