"""What the UC (UCP/EMI) and CD (CIMD2) channel types share: the config of a text-protocol link."""

from __future__ import annotations

from typing import Any

from channels_app.models import Channel
from channels_app.types.base import ChannelType, ConfigError, ConfigField


def link_fields(*, default_port: int, max_window: int) -> tuple[ConfigField, ...]:
    """DESIGN "More links": configured like SM (host, port, username, password, window, max_tps,
    encoding, tls)."""
    return (
        ConfigField("host", "SMSC host", required=True),
        ConfigField("port", "SMSC port", "int", default=default_port),
        ConfigField("username", "Username (account)", required=True),
        ConfigField("password", "Password", "password", required=True),
        ConfigField(
            "window",
            "Window",
            "int",
            default=min(50, max_window),
            help=f"submits in flight without an answer (at most {max_window})",
        ),
        ConfigField("max_tps", "Max messages per second", "int", default=0, help="0 means no limit"),
        ConfigField(
            "encoding", "Encoding", "choice", default="auto", choices=("auto", "gsm7", "latin1", "ucs2")
        ),
        ConfigField(
            "tls",
            "TLS",
            "choice",
            default="no",
            choices=("no", "yes", "insecure"),
            help="insecure = no cert check",
        ),
    )


class TextLinkType(ChannelType):
    schemes = ("tel",)
    sent_by_worker = False  # the `smsc` supervisor owns the socket, as for SMPP
    max_window: int = 100

    def clean_config(
        self, config: dict[str, Any], *, existing: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        config = dict(config)
        if isinstance(config.get("tls"), bool):
            config["tls"] = "yes" if config["tls"] else "no"
        cleaned = super().clean_config(config, existing=existing)
        errors: dict[str, str] = {}
        for key, (low, high) in {"port": (1, 65535), "window": (1, self.max_window)}.items():
            value = cleaned.get(key)
            if value is not None and not low <= value <= high:
                errors[key] = f"must be between {low} and {high}"
        if errors:
            raise ConfigError(errors)
        return cleaned

    def live_status(self, channel: Channel) -> dict[str, Any] | None:
        from smsc.services import link_status

        return link_status(channel=channel)
