from django.apps import AppConfig


class ChannelsAppConfig(AppConfig):
    name = "channels_app"
    label = "channels_app"
    verbose_name = "Channels and messages"

    def ready(self) -> None:
        # Importing the registry loads every channel type folder so their codes are known.
        from channels_app import lookups  # noqa: F401  (registers `__any`)
        from channels_app.types import registry

        registry.autodiscover()
        # connects the signals that keep each process's list of webhook subscriptions current
        from channels_app.services import webhook_cache  # noqa: F401
