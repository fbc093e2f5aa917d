"""The channel-type registry: one instance per code, URLs generated from it."""

from __future__ import annotations

import importlib

from django.conf import settings

from channels_app.types.base import ChannelType

_types: dict[str, ChannelType] = {}

# Folders holding a `type.py`; settings.FLOWGATE_CHANNEL_TYPES lists them.
DEFAULT_TYPE_MODULES = ("aggregators.external",)


class UnknownChannelType(KeyError):
    pass


def register(type_class: type[ChannelType]) -> type[ChannelType]:
    """Class decorator: `@register` on a ChannelType subclass makes it available everywhere."""
    instance = type_class()
    existing = _types.get(type_class.code)
    if existing is not None and type(existing) is not type_class:
        raise AssertionError(f"channel type code {type_class.code!r} is used twice")
    slugs = {t.slug: t for t in _types.values() if t.code != type_class.code}
    if type_class.slug in slugs:
        raise AssertionError(f"channel type slug {type_class.slug!r} is used twice")
    _types[type_class.code] = instance
    return type_class


def autodiscover() -> None:
    modules = getattr(settings, "FLOWGATE_CHANNEL_TYPES", DEFAULT_TYPE_MODULES)
    for module in modules:
        importlib.import_module(f"{module}.type")


def get_type(code: str) -> ChannelType:
    try:
        return _types[code]
    except KeyError:
        raise UnknownChannelType(code) from None


def get_type_by_slug(slug: str) -> ChannelType:
    for channel_type in _types.values():
        if channel_type.slug == slug:
            return channel_type
    raise UnknownChannelType(slug)


def all_types() -> list[ChannelType]:
    return sorted(_types.values(), key=lambda t: t.name)
