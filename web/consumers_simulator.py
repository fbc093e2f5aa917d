"""The editor's simulator over a websocket: one simulated session per socket.

Messages in: `{"flow": <uuid>, "input": <text or null>, "contact": {...}?}` starts the flow afresh
(and answers `input` if given); `{"input": <text>}` continues this socket's session;
`{"input": {"type": "timeout"}}` fires the wait's timeout. Messages out: `{"kind": "sprint", ...}`
with the same fields as POST /api/v1/simulate (events, results, contact, status, session), or
`{"kind": "error", "error": ...}`. The engine work is the simulate service, run off the event loop.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.serializers.json import DjangoJSONEncoder

from channels_app import jsonlimits
from channels_app.models import Workspace
from flows.models import Flow
from flows.services import simulate as simulator
from web.requests import scope_workspace

MAX_MESSAGE_BYTES = 64 * 1024
MAX_INPUT_CHARS = 4096


class _Refused(ValueError):
    pass


def _flow(workspace: Workspace, ref: Any) -> Flow:
    try:
        flow_uuid = uuid.UUID(str(ref))
    except ValueError:
        raise _Refused("flow must be a flow uuid") from None
    flow = Flow.objects.filter(workspace=workspace, uuid=flow_uuid).first()
    if flow is None:  # another workspace's flow is as unknown as a made-up uuid
        raise _Refused("flow not found")
    return flow


def _run(workspace: Workspace, message: dict[str, Any], session: dict[str, Any] | None) -> dict[str, Any]:
    item = message.get("input")
    if item is not None and not isinstance(item, str | dict):
        raise _Refused('input must be a text or an object such as {"type": "timeout"}')
    if isinstance(item, str) and len(item) > MAX_INPUT_CHARS:
        raise _Refused(f"input is longer than {MAX_INPUT_CHARS} characters")
    inputs = [] if item is None else [item]
    if message.get("flow"):
        contact = message.get("contact")
        if contact is not None and not isinstance(contact, dict):
            raise _Refused("contact must be an object")
        return simulator.simulate(
            workspace=workspace, flow=_flow(workspace, message["flow"]), inputs=inputs, contact=contact
        )
    if session is None:
        raise _Refused('start with {"flow": <uuid>} first')
    if not inputs:
        raise _Refused("give an input to continue the session")
    return simulator.simulate(workspace=workspace, session=session, inputs=inputs)


class SimulatorConsumer(AsyncJsonWebsocketConsumer):
    workspace: Workspace | None = None
    session: dict[str, Any] | None = None

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        return json.dumps(content, cls=DjangoJSONEncoder)

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.workspace = await database_sync_to_async(scope_workspace)(self.scope)
        if self.workspace is None:
            await self.close(code=4403)
            return
        await self.accept()
        await self.send_json({"kind": "hello"})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # Bad frames get an error message and the socket stays usable: the tester may just retry.
        if text_data is None or len(text_data) > MAX_MESSAGE_BYTES:
            await self.send_json(
                {"kind": "error", "error": f"send JSON text frames under {MAX_MESSAGE_BYTES} bytes"}
            )
            return
        try:
            message = jsonlimits.loads(text_data)
        except jsonlimits.TooDeep as exc:
            await self.send_json({"kind": "error", "error": str(exc)})
            return
        except ValueError:
            await self.send_json({"kind": "error", "error": "the message is not JSON"})
            return
        if not isinstance(message, dict):
            await self.send_json({"kind": "error", "error": "the message must be a JSON object"})
            return
        await self.receive_json(message)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        assert self.workspace is not None
        try:
            result = await database_sync_to_async(_run)(self.workspace, content, self.session)
        except (_Refused, simulator.SimulateError) as exc:
            await self.send_json({"kind": "error", "error": str(exc)})
            return
        self.session = result.get("session")
        await self.send_json({"kind": "sprint", **result})
