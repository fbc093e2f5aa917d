"""Attachments on text-only channels: the one place that turns them into SMS text.

Attachments are stored as `<content type>:<url>` (`image/jpeg:https://…`), as RapidPro and
courier store them. An SMS cannot carry media, so the URLs go after the text, one per line,
and the content type never reaches the recipient (courier does the same).
"""

from __future__ import annotations


def attachment_url(attachment: str) -> str:
    """`image/jpeg:https://x/y.jpg` -> `https://x/y.jpg`; a bare URL stays as it is."""
    if attachment.startswith(("http://", "https://")):
        return attachment
    content_type, sep, url = attachment.partition(":")
    return url if sep and "/" in content_type and url else attachment


def attachment_urls(attachments: list[str]) -> list[str]:
    return [attachment_url(a) for a in attachments]


def text_with_attachments(text: str, attachments: list[str]) -> str:
    """The SMS text of a message: its text, then each attachment's URL on its own line."""
    if not attachments:
        return text
    return "\n".join([text, *attachment_urls(attachments)]).strip()
