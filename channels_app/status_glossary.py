"""Plain-language explanations of message statuses and of the error reasons Flowgate records.

One source for the product and the docs: ``make docs`` renders ``reference/statuses.md`` from
``STATUS_GLOSSARY`` (``scripts/docs_hooks.py``). Keys are either a status (``queued``) or the
start of an error text as the send path writes it (``transport error``); ``describe`` picks the
entry for a status and an error. Plain data on purpose, so any caller (API, UI) can merge it.
"""

from __future__ import annotations

from channels_app.services.glossary import OUTCOME_UNKNOWN, STATUS_TEXT

# The statuses' texts are the product's own (the message page and `status_description` show them).
STATUS_GLOSSARY: dict[str, str] = {
    **{str(status): text for status, text in STATUS_TEXT.items()},
    # --- reasons: the start of the error text ---
    "outcome unknown": OUTCOME_UNKNOWN,
    "transport error": "The provider could not be reached (connection refused, timeout, DNS). Retried.",
    "provider answered HTTP": "The provider refused the request with this HTTP status. 429 and 5xx are retried; "
    "other codes fail the message (check the channel's credentials and settings).",
    "handler answered HTTP": "The handler app's HANDLER URL answered with this HTTP status. "
    "429 and 5xx are retried; other codes fail the message.",
    "provider status": "The provider reported a status its connector maps to Failed.",
    "provider response does not contain": "The provider answered 2xx but without the text the channel's "
    "'Response check' requires, so the message is treated as refused.",
    "request refused": "Flowgate refused to call that URL (a private or loopback address while "
    "FLOWGATE_ALLOW_PRIVATE_URLS is off, or a scheme other than http/https).",
    "cannot build the request": "The connector could not build the send request from this message and the "
    "channel's fields (e.g. a number parameter that is not a number).",
    "connector unavailable": "The channel's connector was deleted or cannot be loaded.",
    "the channel has no send_url configured": "The External API channel has no Send URL.",
    "the sender has no HANDLER": "The handler app registered its sender without a HANDLER URL.",
    "the contact is": "The contact is stopped, blocked or archived, so nothing is sent to them.",
    "undelivered": "The handler app reported the message undelivered.",
    "failed at the handler app": "The handler app reported the message failed.",
    "mock failure": "The development channel fails numbers starting with its configured prefix, on purpose.",
    "internal error": "An unexpected error in Flowgate while sending; the log has the traceback.",
    "link not bound": "The SMPP link is not bound to the SMSC (down, or still connecting).",
    "link is bound as receiver only": "The SMPP channel's bind mode is receiver: it cannot send.",
    "cannot encode": "The text cannot be written in the SMPP channel's encoding.",
    "submit_sm_resp": "The SMSC refused the message with this SMPP command status.",
}

STATUSES = ("pending", "handled", "queued", "wired", "sent", "delivered", "errored", "failed")


def describe(status: str, error: str = "") -> str:
    """The explanation of ``error`` when one matches its start, else of ``status``."""
    text = (error or "").strip()
    if text:
        for reason, explanation in STATUS_GLOSSARY.items():
            if reason not in STATUSES and (text.startswith(reason) or reason in text.split(":")[0]):
                return explanation
    return STATUS_GLOSSARY.get(status, "")


def glossary_markdown() -> str:
    """The docs page ``reference/statuses.md``."""
    lines = [
        "# Message statuses and error reasons",
        "",
        "<!-- Generated from channels_app/status_glossary.py; do not edit. -->",
        "",
        "Statuses only move forward (`queued → wired → sent → delivered`, or `errored → … → failed`), "
        "whatever order callbacks arrive in: a late `sent` report never undoes `delivered`. Every change "
        "is an event in the message's log (the message page in the UI, `GET /api/v1/messages/<uuid>`).",
        "",
        "## Statuses",
        "",
        "| status | meaning |",
        "| --- | --- |",
    ]
    lines += [f"| `{s}` | {STATUS_GLOSSARY[s]} |" for s in STATUSES]
    lines += [
        "",
        "## Error reasons",
        "",
        "A failed or errored message carries an `error` text; it starts with one of these.",
        "",
        "| error starts with | meaning |",
        "| --- | --- |",
    ]
    lines += [f"| `{k}` | {v} |" for k, v in STATUS_GLOSSARY.items() if k not in STATUSES]
    lines.append("")
    return "\n".join(lines)
