from channels_app.models.app_token import AppAccessToken, AppToken
from channels_app.models.call import Call, CallEvent
from channels_app.models.channel import Channel
from channels_app.models.contact import Contact, ContactField, ContactGroup, ContactURN
from channels_app.models.msg import Direction, Msg, MsgEvent, MsgStatus
from channels_app.models.template import MessageTemplate
from channels_app.models.webhook import WebhookAttempt, WebhookDelivery, WebhookSubscription
from channels_app.models.workspace import APIToken, Membership, Workspace

__all__ = [
    "APIToken",
    "AppAccessToken",
    "AppToken",
    "Call",
    "CallEvent",
    "Channel",
    "Contact",
    "ContactField",
    "ContactGroup",
    "ContactURN",
    "Direction",
    "Membership",
    "MessageTemplate",
    "Msg",
    "MsgEvent",
    "MsgStatus",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "Workspace",
]
