"""The inbound edge: every provider webhook `/c/<type-slug>/<channel-uuid>/<action>` enters here.

- `request`: the request model (`InboundRequest`, `InboundFields`) and `BadRequest`;
- `resolver`: the one channel lookup with its cache and the `forget()` hook changes call;
- `errors`: the one table turning exceptions into HTTP answers;
- `group_commit`: the shared-transaction writer of the ASGI path.

Two thin adapters sit on top: the Django view (`channels_app.views`) and the ASGI fast path
(`channels_app.fastpath`). Nothing in this package imports either of them.
"""

from channels_app.inbound.request import BadRequest, InboundFields, InboundRequest

__all__ = ["BadRequest", "InboundFields", "InboundRequest"]
