from __future__ import annotations

from typing import Any

from .conftest import Provider, case, local_connector_xml, local_fields


def make_channel(
    api: Any, provider: str, server: Provider, *, fields: dict[str, str] | None = None, **config: Any
) -> dict[str, Any]:
    """Upload the provider's built-in connector (host pointed at `server`) and add a channel."""
    response = api.post(
        "/api/v1/connectors",
        {"name": f"{provider} local", "xml": local_connector_xml(provider, server.url)},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    connector = response.json()
    response = api.post(
        "/api/v1/channels",
        {
            "type": "XC",
            "name": f"{provider} channel",
            "address": case(provider)["ctx"].get("from", ""),
            # the channel's country, when its numbers arrive national (ThinQ's US DIDs)
            **({"country": case(provider)["country"]} if "country" in case(provider) else {}),
            "config": {
                "connector": connector["uuid"],
                "fields": {**local_fields(provider, server.url), **(fields or {})},
                **config,
            },
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def queue_message(api: Any, channel: dict[str, Any], provider: str) -> dict[str, Any]:
    ctx = case(provider)["ctx"]
    response = api.post(
        "/api/v1/messages",
        {"channel": channel["uuid"], "to": ctx["recipients"][0], "text": ctx["message"]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()
