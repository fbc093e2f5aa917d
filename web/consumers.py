from __future__ import annotations

import asyncio
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from channels_app import realtime
from web.requests import scope_workspace


class WorkspaceEventsConsumer(AsyncJsonWebsocketConsumer):
    """Live message/channel events for the logged-in user's workspace."""

    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        workspace = await database_sync_to_async(scope_workspace)(self.scope)
        if workspace is None:
            await self.close(code=4403)
            return
        realtime.register_server_loop(asyncio.get_running_loop())
        self.group = realtime.group_name(workspace.id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"kind": "hello", "workspace": str(workspace.uuid)})

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def flowgate_event(self, message: dict[str, Any]) -> None:
        event = message["event"]
        # Batches travel as one channel-layer message; browsers still get one event per frame.
        for item in event["events"] if event.get("kind") == "batch" else [event]:
            await self.send_json(item)
