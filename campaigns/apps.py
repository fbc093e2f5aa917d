from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "campaigns"

    def ready(self) -> None:
        from campaigns.services.scheduling import contacts_changed_listener, timezone_changed_listener
        from channels_app.services.smart_groups import on_contacts_changed
        from channels_app.workspaces import on_timezone_changed

        # contact services tell smart groups about every change; fires follow the same news
        on_contacts_changed(contacts_changed_listener)
        # delivery hours are wall-clock hours in the workspace's zone: a new zone moves them
        on_timezone_changed(timezone_changed_listener)
