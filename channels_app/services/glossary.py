"""Plain-language explanations of message statuses and error reasons (`status_description`).

What an operator reads on the message page and in the API next to the raw status: what
happened, and what (if anything) to do about it.
"""

from __future__ import annotations

import re

from channels_app.models import Direction, Msg, MsgStatus

STATUS_TEXT: dict[str, str] = {
    MsgStatus.PENDING: "Received and stored; Flowgate has not yet matched it to a contact or run flows for it.",
    MsgStatus.HANDLED: "Received and handled: the contact is known and its flows and triggers have run.",
    MsgStatus.QUEUED: "Waiting to be sent: a sender picks it up within seconds (later if the channel is paced "
    "by its max_tps or its provider is down).",
    MsgStatus.WIRED: "Being sent right now: the request to the provider is out and its answer not recorded yet.",
    MsgStatus.SENT: "The provider accepted it. A delivery report, if the provider sends one, turns it into "
    "delivered.",
    MsgStatus.DELIVERED: "The provider reported that it reached the phone.",
    MsgStatus.ERRORED: "The last attempt failed with an error that may pass (timeout, provider busy, 5xx); it is "
    "retried automatically with a growing delay.",
    MsgStatus.FAILED: "It will not be sent: the provider refused it, the retries ran out, or nothing could "
    "send it. The reason is shown as the error. Fix the cause, then use Resend.",
}

OUTCOME_UNKNOWN = (
    "Outcome unknown: the worker stopped while the provider held this request, so Flowgate cannot tell "
    "whether it went out. It is not resent automatically, to avoid a duplicate; a late delivery report still "
    "completes it. Check with the provider or the recipient, then use Resend if it did not arrive."
)

# (pattern on the error text, explanation): first match wins.
ERROR_TEXT: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"^no channel can send to", re.I),
        "No active channel in this workspace can send to this kind of address (or this country). Add or "
        "re-activate a channel for it, then resend.",
    ),
    (
        re.compile(r"the contact is (stopped|blocked)", re.I),
        "The contact opted out or was blocked, so nothing is sent to them. They are sent to again after they "
        "write in (opt-in) or are unblocked.",
    ),
    (
        re.compile(r"^transport error|timed? ?out|ConnectError|ReadTimeout", re.I),
        "The provider could not be reached or did not answer in time (network problem or provider outage).",
    ),
    (
        re.compile(r"\b429\b|rate limit|too many", re.I),
        "The provider asked us to slow down; lowering the channel's max_tps avoids this.",
    ),
    (
        re.compile(r"\b(401|403)\b|unauthori[sz]ed|forbidden|credential|auth", re.I),
        "The provider refused the credentials: check the channel's API key, token or password.",
    ),
    (
        re.compile(r"\b5\d\d\b", re.I),
        "The provider had an internal error; such failures are retried and usually pass.",
    ),
    (
        re.compile(r"\b4\d\d\b", re.I),
        "The provider rejected the request (bad number, content or configuration): see the HTTP exchange in "
        "the event log.",
    ),
    (
        re.compile(r"released|not active|deactivated", re.I),
        "Its channel was released or deactivated before it went out and no other channel could take it.",
    ),
    (
        re.compile(r"secret|decrypt", re.I),
        "A channel secret could not be decrypted: the key it was sealed with is missing from "
        "FLOWGATE_SECRET_KEYS.",
    ),
    (
        re.compile(r"^internal error", re.I),
        "A bug in Flowgate's sender for this channel type; the error is in the server log.",
    ),
    (
        re.compile(r"unacknowledged|no response", re.I),
        "The SMSC never acknowledged the submit, so it may or may not have gone out.",
    ),
]


def explain_error(error: str) -> str:
    if not error:
        return ""
    for pattern, text in ERROR_TEXT:
        if pattern.search(error):
            return text
    from channels_app.status_glossary import describe as documented_reason  # it imports this module

    documented = documented_reason("", error)
    if documented:
        return documented
    return "The provider or Flowgate reported this error; the event log shows the exchange that caused it."


def describe(msg: Msg) -> str:
    """The status (and error) of `msg` in a sentence or two for a person."""
    if (
        msg.direction == Direction.OUT
        and (msg.metadata or {}).get("outcome_unknown")
        and msg.status == "wired"
    ):
        return OUTCOME_UNKNOWN
    text = STATUS_TEXT.get(msg.status, msg.status)
    if msg.error and msg.status in (MsgStatus.FAILED, MsgStatus.ERRORED):
        text = f"{text} {explain_error(msg.error)}"
    return text
