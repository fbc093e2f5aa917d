from django.contrib.auth import views as auth_views
from django.urls import path

from channels_app.views import channel_webhook
from web import views
from web.api.urls import api

urlpatterns = [
    path("c/<slug:type_slug>/<uuid:channel_uuid>/<slug:action>", channel_webhook, name="channel_webhook"),
    path("api/v1/", api.urls),
    path("login/", auth_views.LoginView.as_view(template_name="login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("channels/", views.channel_list, name="channel_list"),
    path("channels/add/", views.channel_type_list, name="channel_add"),
    path("channels/add/<str:type_code>/", views.channel_create, name="channel_create"),
    path("channels/<uuid:channel_uuid>/", views.channel_detail, name="channel_detail"),
    path("messages/", views.message_log, name="message_log"),
    path("messages/<uuid:msg_uuid>/", views.message_detail, name="message_detail"),
    path("demo/aggregator/send", views.demo_aggregator_send, name="demo_aggregator_send"),
    path("healthz", views.healthz, name="healthz"),
]
