"""Channel type UC: a UCP/EMI large-account link to an SMSC, run by `manage.py smsc`."""

from __future__ import annotations

from channels_app.types.registry import register
from smsc.text_type import TextLinkType, link_fields


@register
class UcpType(TextLinkType):
    code = "UC"
    slug = "uc"
    name = "UCP/EMI"
    description = "A UCP/EMI (CMG/LogicaCMG EMI-UCP 4.x) large-account session with an SMSC."
    max_window = 100  # transaction reference numbers run 00-99
    config_fields = link_fields(default_port=5000, max_window=100)
