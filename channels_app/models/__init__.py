from channels_app.models.call import Call, CallEvent
from channels_app.models.channel import Channel
from channels_app.models.contact import Contact, ContactField, ContactGroup, ContactURN
from channels_app.models.msg import Direction, Msg, MsgEvent, MsgStatus
from channels_app.models.workspace import APIToken, Membership, Workspace

__all__ = [
    "APIToken",
    "Call",
    "CallEvent",
    "Channel",
    "Contact",
    "ContactField",
    "ContactGroup",
    "ContactURN",
    "Direction",
    "Membership",
    "Msg",
    "MsgEvent",
    "MsgStatus",
    "Workspace",
]
