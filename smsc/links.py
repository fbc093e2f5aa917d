"""Which link object runs a channel, by channel type: SMPP, UCP/EMI or CIMD2.

The supervisor only knows the common link interface (`run`, `submit`, `close`, `status`,
`is_bound`, `wait_bound`, `config.window`...); this module is the one place that maps a
channel type code to its link class and configuration.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from channels_app.models import Channel

from .link import SmppLink
from .linkbase import MoCallback, ReceiptCallback, StatusCallback
from .textlink import TextLink, TextLinkConfig, TextProtocol

# Every channel type `manage.py smsc` runs.
LINK_TYPES = ("SM", "UC", "CD")


def _protocol(code: str) -> TextProtocol:
    if code == "UC":
        from .ucp.protocol import UcpProtocol

        return UcpProtocol()
    from .cimd.protocol import CimdProtocol

    return CimdProtocol()


def text_link_config(*, channel: Channel, **overrides: Any) -> TextLinkConfig:
    from channels_app.crypto import reveal

    cfg = reveal(channel.config)
    tls = cfg.get("tls") or "no"
    known = {f.name for f in dataclasses.fields(TextLinkConfig)}
    values: dict[str, Any] = {
        "host": cfg["host"],
        "port": int(cfg.get("port") or _protocol(channel.channel_type).default_port),
        "username": cfg["username"],
        "password": cfg.get("password") or "",
        "source_addr": channel.address.strip().lstrip("+"),
        "window": int(cfg.get("window") or 50),
        "max_tps": float(cfg.get("max_tps") or 0),
        "encoding": cfg.get("encoding") or "auto",
        "tls": tls != "no",
        "tls_verify": tls != "insecure",
    }
    # Overrides made for SMPP links (the supervisor's test settings) apply where they mean the same.
    renamed = {"enquire_link_interval": "keepalive_interval"}
    for key, value in overrides.items():
        key = renamed.get(key, key)
        if key in known:
            values[key] = value
    return TextLinkConfig(**values)


def build_link(
    *,
    channel: Channel,
    overrides: dict[str, Any],
    on_mo: MoCallback,
    on_receipt: ReceiptCallback,
    on_status: StatusCallback,
) -> SmppLink | TextLink:
    name = f"channel {channel.uuid}"
    if channel.channel_type == "SM":
        from .services import link_config

        return SmppLink(
            link_config(channel=channel, **overrides),
            on_mo=on_mo,
            on_receipt=on_receipt,
            on_status=on_status,
            name=name,
        )
    return TextLink(
        _protocol(channel.channel_type),
        text_link_config(channel=channel, **overrides),
        on_mo=on_mo,
        on_receipt=on_receipt,
        on_status=on_status,
        name=name,
    )
