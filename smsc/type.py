"""Channel type SM: an SMPP 3.4 link to an SMSC, run by `manage.py smsc` (not the rq workers)."""

from __future__ import annotations

from typing import Any

from channels_app.models import Channel
from channels_app.types.base import ChannelType, ConfigError, ConfigField
from channels_app.types.registry import register

TRUE_WORDS = {"true", "1", "yes", "on"}


@register
class SmppType(ChannelType):
    code = "SM"
    slug = "sm"
    name = "SMPP"
    description = "A direct SMPP 3.4 bind to an operator's or aggregator's SMSC."
    schemes = ("tel",)
    # The `smsc` supervisor owns the sockets, so the rq send job leaves these messages to it.
    sent_by_worker = False
    config_fields = (
        ConfigField("host", "SMSC host", required=True),
        ConfigField("port", "SMSC port", "int", default=2775),
        ConfigField("system_id", "System id", required=True),
        ConfigField("password", "Password", "password", required=True),
        ConfigField("system_type", "System type"),
        ConfigField(
            "bind_mode",
            "Bind mode",
            "choice",
            default="transceiver",
            choices=("transceiver", "transmitter", "receiver", "pair"),
            help="pair = one transmitter and one receiver connection",
        ),
        ConfigField(
            "source_ton", "Source TON", "int", help="empty: 1 for a number, 5 for an alphanumeric sender"
        ),
        ConfigField(
            "source_npi", "Source NPI", "int", help="empty: 1 for a number, 0 for an alphanumeric sender"
        ),
        ConfigField("window", "Window", "int", default=100, help="submit_sm in flight without an answer"),
        ConfigField("max_tps", "Max messages per second", "int", default=0, help="0 means no limit"),
        ConfigField(
            "encoding",
            "Encoding",
            "choice",
            default="auto",
            choices=("auto", "gsm7", "latin1", "ucs2", "ascii"),
        ),
        ConfigField(
            "concatenation",
            "Long messages",
            "choice",
            default="udh",
            choices=("udh", "udh16", "sar", "payload"),
        ),
        ConfigField(
            "tls",
            "TLS",
            "choice",
            default="no",
            choices=("no", "yes", "insecure"),
            help="insecure = no cert check",
        ),
        ConfigField(
            "resend_unacknowledged",
            "Resend unanswered submits",
            "choice",
            default="no",
            choices=("no", "yes"),
            help="yes = at-least-once: a submit whose answer never came is sent again (may duplicate)",
        ),
    )

    def clean_config(
        self, config: dict[str, Any], *, existing: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        config = dict(config)
        for key in ("tls", "resend_unacknowledged"):
            if isinstance(config.get(key), bool):  # JSON clients send true/false
                config[key] = "yes" if config[key] else "no"
        cleaned = super().clean_config(config, existing=existing)
        errors: dict[str, str] = {}
        limits = {"port": (1, 65535), "window": (1, 1000), "source_ton": (0, 6), "source_npi": (0, 18)}
        for key, (low, high) in limits.items():
            value = cleaned.get(key)
            if value is not None and not low <= value <= high:
                errors[key] = f"must be between {low} and {high}"
        # (password length is not checked: several SMSCs accept more than the spec's 8)
        for key, size in (("system_id", 16), ("system_type", 13)):
            if len(str(cleaned.get(key) or "")) >= size:  # C-octet strings incl. the NUL
                errors[key] = f"at most {size - 1} characters in SMPP 3.4"
        if errors:
            raise ConfigError(errors)
        return cleaned

    def live_status(self, channel: Channel) -> dict[str, Any] | None:
        from smsc.services import link_status

        return link_status(channel=channel)
