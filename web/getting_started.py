"""The dashboard's "getting started" panel: shown until the workspace has real traffic, that is a
message on a channel other than the demo's echo channel. Three steps, each ticked when done."""

from __future__ import annotations

from dataclasses import dataclass

from channels_app.crypto import reveal
from channels_app.models import Channel, Msg, Workspace
from flows.models import Flow, FlowRun
from web import demo


@dataclass
class Step:
    title: str
    text: str
    href: str
    link: str
    done: bool


def _is_demo(channel: Channel) -> bool:
    return demo.uses_demo_endpoint(str(reveal(channel.config).get("send_url") or ""))


def steps(*, workspace: Workspace) -> list[Step] | None:
    """The steps, or None once the panel has no more to say (real traffic)."""
    channels = list(Channel.objects.filter(workspace=workspace, is_active=True).order_by("id"))
    demo_ids = {c.id for c in channels if c.channel_type == "EX" and _is_demo(c)}
    real = [c for c in channels if c.id not in demo_ids]
    if real and Msg.objects.filter(workspace=workspace).exclude(channel_id__in=demo_ids).exists():
        return None
    first = channels[0] if channels else None
    flow = Flow.objects.filter(workspace=workspace, archived=False).order_by("id").first()
    return [
        Step(
            "Send a test message",
            "Queue a message on a channel and watch it go out, delivered and echoed back in the live log.",
            f"/channels/{first.uuid}/#test-title" if first else "/channels/add/",
            "Open the channel" if first else "Add a channel",
            Msg.objects.filter(workspace=workspace).exists(),
        ),
        Step(
            "Open a flow",
            f"“{flow.name}” asks a name and an age: run it in the editor's simulator."
            if flow
            else "Create a flow and build it in the editor.",
            f"/flows/{flow.uuid}/editor" if flow else "/flows/",
            "Open the flow" if flow else "Create a flow",
            FlowRun.objects.filter(flow__workspace=workspace).exists(),
        ),
        Step(
            "Add a real channel",
            "Connect your aggregator or provider so real people can reach your flows.",
            "/channels/add/",
            "Add a channel",
            bool(real),
        ),
    ]
