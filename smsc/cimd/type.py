"""Channel type CD: a Nokia CIMD2 link to an SMSC, run by `manage.py smsc`."""

from __future__ import annotations

from channels_app.types.registry import register
from smsc.text_type import TextLinkType, link_fields


@register
class CimdType(TextLinkType):
    code = "CD"
    slug = "cd"
    name = "CIMD2"
    description = "A Nokia CIMD2 session with an SMSC."
    max_window = 128  # the client's packet numbers are the odd ones from 1 to 255
    config_fields = link_fields(default_port=9971, max_window=128)
