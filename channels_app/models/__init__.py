from channels_app.models.channel import Channel
from channels_app.models.contact import Contact, ContactURN
from channels_app.models.msg import Direction, Msg, MsgEvent, MsgStatus
from channels_app.models.workspace import APIToken, Membership, Workspace

__all__ = [
    "APIToken",
    "Channel",
    "Contact",
    "ContactURN",
    "Direction",
    "Membership",
    "Msg",
    "MsgEvent",
    "MsgStatus",
    "Workspace",
]
