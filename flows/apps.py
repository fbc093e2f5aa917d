from django.apps import AppConfig


class FlowsConfig(AppConfig):
    name = "flows"
    label = "flows"
    verbose_name = "Flows"

    def ready(self) -> None:
        # connects the signals that tell every process's workspace snapshots a row changed:
        # the process that saves a flow (the web) must announce it even if it never handles one
        from flows.services import workspace_snapshot  # noqa: F401
