import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from channels_app.crypto import reveal
from channels_app.models import Channel, Membership
from channels_app.services.channels import create_channel, update_channel
from channels_app.workspaces import create_workspace
from web import demo, demo_flow

DEMO_EMAIL = "admin@flowgate.local"
DEMO_PASSWORD = "flowgate"


class Command(BaseCommand):
    help = (
        "Seed a demo workspace with an External API channel wired to the built-in echo aggregator, "
        "a registration flow and a keyword trigger (register) on that channel."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", default=DEMO_EMAIL)
        parser.add_argument("--password", default=DEMO_PASSWORD)

    def handle(self, *args: Any, **options: Any) -> None:
        email, password = options["email"], options["password"]
        user = get_user_model().objects.filter(username=email).first()
        membership = (
            Membership.objects.filter(user=user).select_related("workspace").first() if user else None
        )
        token = None
        if membership is None:
            workspace, token = create_workspace(name="Demo", email=email, password=password)
        else:
            workspace = membership.workspace
        channels = Channel.objects.filter(workspace=workspace, channel_type="EX", is_active=True)
        if not channels.exists():
            create_channel(
                workspace=workspace,
                type_code="EX",
                name="Echo aggregator",
                address="+250788000000",
                country="RW",
                config={"send_url": demo.send_url(), "content_type": "urlencoded"},
            )
        echo = channels.order_by("id").first()
        if echo is not None:
            demo_flow.seed(workspace=workspace, channel=echo)
        for channel in channels:  # a demo seeded before the endpoint needed its key gets one
            url = str(reveal(channel.config).get("send_url") or "")
            if demo.uses_demo_endpoint(url) and "key=" not in url:
                update_channel(channel=channel, config={"send_url": demo.send_url()})
        self.stdout.write(
            json.dumps(
                {
                    "workspace": str(workspace.uuid),
                    "email": email,
                    "password": password,
                    **({"token": token} if token else {}),
                }
            )
        )
