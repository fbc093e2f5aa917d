from channels_app.models.app_token import AppAccessToken, AppToken
from channels_app.models.call import Call, CallEvent
from channels_app.models.channel import Channel
from channels_app.models.contact import Contact, ContactField, ContactGroup, ContactURN
from channels_app.models.counts import ContactGroupCount, MsgDailyCount
from channels_app.models.imports import ContactImport
from channels_app.models.labels import Global, Label
from channels_app.models.msg import Direction, Msg, MsgEvent, MsgStatus
from channels_app.models.template import MessageTemplate
from channels_app.models.webhook import WebhookAttempt, WebhookDelivery, WebhookSubscription
from channels_app.models.workspace import APIToken, Invitation, Membership, Workspace

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
    "ContactGroupCount",
    "ContactImport",
    "ContactURN",
    "Direction",
    "Global",
    "Invitation",
    "Label",
    "Membership",
    "MessageTemplate",
    "Msg",
    "MsgDailyCount",
    "MsgEvent",
    "MsgStatus",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "Workspace",
]
