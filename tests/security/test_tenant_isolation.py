"""Workspace A must never see or touch workspace B's data, through any route.

Routes are enumerated, not listed: every operation of the OpenAPI schema and every Django URL
pattern. Each parameter name maps to B's objects in the tables below; a route with a parameter
the tables do not know fails the test, so a new route cannot escape the check unnoticed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.world import MARKER_B, World, changed_models, foreign_links, snapshot

# URL parameter → keys of World.ids to try (several: every channel type, both message directions).
CHANNELS = ["channel_EX", "channel_DV", "channel_XC", "channel_XCV", "channel_SM", "channel_HX"]
OBJECT_PARAMS: dict[str, list[str]] = {
    "channel_uuid": CHANNELS,
    "contact_uuid": ["contact_uuid"],
    "group_uuid": ["group_uuid"],
    "field_key": ["field_key"],
    "msg_uuid": ["msg_uuid", "msg_in_uuid"],
    "code": ["code"],
    "webhook_uuid": ["webhook_uuid"],
    "subscription_uuid": ["subscription_uuid"],
    "delivery_uuid": ["delivery_uuid"],
    "app_uuid": ["app_uuid"],
    "token_ref": ["token_ref"],
    "token_id": ["token_id"],
    "export_uuid": ["export_uuid"],
    "flow_uuid": ["flow_uuid"],
    "revision": ["revision"],
    "start_uuid": ["start_uuid"],
    "trigger_uuid": ["trigger_uuid"],
    "ref": ["ref", "connector_uuid"],
    "call_uuid": ["call_uuid"],
    "subscriber_uuid": ["subscriber_uuid"],
    "llm_uuid": ["llm_uuid"],
    "import_uuid": ["import_uuid"],
    "label_uuid": ["label_uuid"],
    "broadcast_uuid": ["broadcast_uuid"],
    "campaign_uuid": ["campaign_uuid"],
    "event_uuid": ["event_uuid"],
    "ticket_uuid": ["ticket_uuid"],
    "membership_id": ["membership_id"],
}
# Parameters that name no workspace object: a fixed value.
PLAIN_PARAMS = {
    "type_code": "EX",
    "path": "index.html",
    "action": "pause",
}  # path: a file of the built docs site
# Routes with their own cross-workspace tests below (they are public or token-in-body by design).
OWN_TESTS = {
    "c/<slug:type_slug>/<uuid:channel_uuid>/<slug:action>",
    "c/<slug:type_slug>/<uuid:channel_uuid>/<slug:action>/",  # the same view, courier's spelling
    "rest/<str:method>",
    "invitations/<str:token>/",  # the token is the permission: tests/people/test_roles_and_isolation.py
}

# Query parameters of list operations: those naming objects get B's, the rest are harmless.
QUERY_REFS = {"channel": "channel_EX", "contact": "contact_uuid", "group": "group_uuid", "flow": "flow_uuid",
              "label": "label_uuid", "campaign": "campaign_uuid"}  # fmt: skip
QUERY_PLAIN = {"search", "after", "before", "limit", "offset", "cursor", "direction", "status", "archived", "format",
               "query", "folder"}  # fmt: skip

# Each test runs in a transaction rolled back at its end (a leak that writes cannot spill into
# the next test); the two workspaces are committed once for the module (tests/security/conftest.py).
pytestmark = pytest.mark.django_db

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def valid_body(a: World, method: str, path: str) -> Any:
    """A body the operation accepts, so a 404 comes from the object lookup, not validation."""
    bodies: dict[str, Any] = {
        "PATCH /api/v1/channels/{channel_uuid}": {"name": "hijacked"},
        "PATCH /api/v1/contacts/{contact_uuid}": {"name": "hijacked"},
        "PATCH /api/v1/groups/{group_uuid}": {"name": "hijacked"},
        "POST /api/v1/groups/{group_uuid}/contacts": {"add": [a.ids["contact_uuid"]]},
        "PATCH /api/v1/fields/{field_key}": {"name": "hijacked"},
        "PATCH /api/v1/templates/{code}": {"name": "hijacked"},
        "POST /api/v1/templates/{code}/render": {"params": {}},
        "PATCH /api/v1/webhooks/{webhook_uuid}": {"is_active": False},
        "PATCH /api/v1/campaigns/{campaign_uuid}": {"name": "hijacked"},
        "PATCH /api/v1/tickets/{ticket_uuid}": {"status": "closed"},
        "PATCH /api/v1/campaign_events/{event_uuid}": {"offset": 5},
        "POST /api/v1/flows/{flow_uuid}/results/export": {"format": "csv"},
        "POST /api/v1/flows/{flow_uuid}/tests": {"name": "hijack", "steps": [{"send": "hi"}]},
        "POST /api/v1/flows/{flow_uuid}/tests/run": {"tests": [{"name": "t", "steps": [{"send": "hi"}]}]},
        "POST /api/v1/flows/{flow_uuid}/tests/record": {"name": "hijack", "inputs": [None, "hi"]},
        "PUT /api/v1/flows/{flow_uuid}/definition": lambda: {
            "definition": a.api.get(f"/api/v1/flows/{a.ids['flow_uuid']}").json()["definition"]
        },
    }
    body = bodies.get(f"{method.upper()} {path}", {})
    return body() if callable(body) else body


def variants(params: list[str], world: World) -> list[dict[str, str]]:
    """One substitution per listed key (parameters with fewer keys repeat their last)."""
    unknown = [p for p in params if p not in OBJECT_PARAMS and p not in PLAIN_PARAMS]
    assert not unknown, f"unknown URL parameter(s) {unknown}: add them to OBJECT_PARAMS or PLAIN_PARAMS"
    count = max([len(OBJECT_PARAMS.get(p, [""])) for p in params] or [1])
    out = []
    for i in range(count):
        values = {}
        for p in params:
            if p in PLAIN_PARAMS:
                values[p] = PLAIN_PARAMS[p]
            else:
                keys = OBJECT_PARAMS[p]
                values[p] = world.ids[keys[min(i, len(keys) - 1)]]
        out.append(values)
    return out


def api_operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    from web.api.urls import api

    schema = api.get_openapi_schema()
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            yield path, method, op


def params_in(op: dict[str, Any], where: str) -> list[str]:
    return [p["name"] for p in op.get("parameters", []) if p["in"] == where]


def request(client: Client, method: str, url: str, body: Any = None) -> Any:
    if method in ("get", "head"):
        return client.generic(method.upper(), url)
    return client.generic(method.upper(), url, json.dumps(body or {}), content_type="application/json")


def b_identifiers(b: World) -> set[str]:
    return {v for v in b.ids.values() if UUID_RE.fullmatch(v)} | {MARKER_B}


def leaked(text: str, b: World, sent: str = "") -> list[str]:
    """B's identifiers in an answer, except those the caller sent itself (echoed in an error)."""
    lowered, sent = text.lower(), sent.lower()
    return sorted(i for i in b_identifiers(b) if i in lowered and i not in sent)


def body_text(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


# --- the REST API ---------------------------------------------------------------------------


def test_every_api_operation_with_b_ids_is_404_and_b_unchanged(worlds: tuple[World, World]) -> None:
    a, b = worlds
    before = snapshot(b.workspace)
    failures, tried = [], 0
    # The API token, and the login session the UI's own JavaScript uses.
    for auth, client in (("token", a.api), ("session", a.session())):
        for path, method, op in api_operations():
            path_params = params_in(op, "path")
            if not path_params:
                continue
            for values in variants(path_params, b):
                url = path.format(**values)
                response = request(client, method, url, valid_body(a, method, path))
                tried += 1
                where = f"{method.upper()} {url} ({auth})"
                if response.status_code != 404:
                    failures.append(f"{where}: {response.status_code} {response.content[:200]!r}")
                elif leaked(body_text(response), b, sent=url):
                    failures.append(f"{where}: the 404 names B's data")
    assert not failures, "\n".join(failures)
    assert changed_models(before, snapshot(b.workspace)) == []
    assert foreign_links() == []
    assert tried >= 80  # the walk really ran over the schema


def test_api_reads_of_own_ids_succeed(worlds: tuple[World, World]) -> None:
    """The control for the 404s above: the same reads with A's own ids answer 200."""
    a, _ = worlds
    failures = []
    for path, method, op in api_operations():
        path_params = params_in(op, "path")
        if method != "get" or not path_params:
            continue
        for values in variants(path_params, a):
            url = path.format(**values)
            response = a.api.get(url)
            if response.status_code != 200:
                failures.append(f"GET {url}: {response.status_code} {response.content[:200]!r}")
    assert not failures, "\n".join(failures)


def test_api_lists_show_none_of_b(worlds: tuple[World, World]) -> None:
    a, b = worlds
    failures, lists = [], 0
    for path, method, op in api_operations():
        if method != "get" or params_in(op, "path"):
            continue
        query = params_in(op, "query")
        unknown = [q for q in query if q not in QUERY_REFS and q not in QUERY_PLAIN]
        assert not unknown, f"{path}: unknown query parameter(s) {unknown}: add to QUERY_REFS or QUERY_PLAIN"
        urls = [path] + [f"{path}?{q}={b.ids[QUERY_REFS[q]]}" for q in query if q in QUERY_REFS]
        for url in urls:
            response = a.api.get(url)
            lists += 1
            if response.status_code >= 500 or (url == path and response.status_code != 200):
                failures.append(f"GET {url}: {response.status_code}")
            elif found := leaked(body_text(response), b, sent=url):
                failures.append(f"GET {url}: shows B's {found}")
    assert not failures, "\n".join(failures)
    assert lists >= 15


def test_api_bodies_naming_b_objects_are_refused(worlds: tuple[World, World]) -> None:
    """Object references inside JSON bodies (not only in paths) are resolved in the caller's workspace."""
    a, b = worlds
    A, B = a.ids, b.ids
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("post", "/api/v1/messages", {"channel": B["channel_EX"], "to": "tel:+250788123009", "text": "x"}),
        (
            "post",
            "/api/v1/messages",
            {"to": "tel:+250788123009", "text": "x", "response_to": B["msg_in_uuid"]},
        ),
        (
            "post",
            "/api/v1/messages",
            {"channel": A["channel_EX"], "to": "tel:+250788123009", "template": B["code"]},
        ),
        ("post", "/api/v1/messages/resend", {"uuids": [B["msg_uuid"]]}),
        ("post", "/api/v1/flow_starts", {"flow": B["flow_uuid"], "contacts": [A["contact_uuid"]]}),
        ("post", "/api/v1/flow_starts", {"flow": A["flow_uuid"], "contacts": [B["contact_uuid"]]}),
        ("post", "/api/v1/flow_starts", {"flow": A["flow_uuid"], "groups": [B["group_uuid"]]}),
        ("post", "/api/v1/triggers", {"type": "keyword", "flow": B["flow_uuid"], "keywords": ["zz"]}),
        (
            "post",
            "/api/v1/triggers",
            {"type": "keyword", "flow": A["flow_uuid"], "keywords": ["yy"], "channel": B["channel_EX"]},
        ),
        (
            "post",
            "/api/v1/triggers",
            {"type": "keyword", "flow": A["flow_uuid"], "keywords": ["xx"], "groups": [B["group_uuid"]]},
        ),
        ("post", "/api/v1/calls", {"channel": B["channel_XCV"], "to": "+250788123009"}),
        ("post", "/api/v1/contacts", {"name": "x", "groups": [B["group_uuid"]]}),
        ("patch", f"/api/v1/contacts/{A['contact_uuid']}", {"groups": [B["group_uuid"]]}),
        ("post", f"/api/v1/groups/{A['group_uuid']}/contacts", {"add": [B["contact_uuid"]]}),
        ("post", f"/api/v1/groups/{A['group_uuid']}/contacts", {"remove": [B["contact_uuid"]]}),
        ("post", "/api/v1/simulate", {"flow": B["flow_uuid"], "inputs": ["hi"]}),
        ("post", "/api/v1/campaigns", {"name": "x", "group": B["group_uuid"]}),
        ("patch", f"/api/v1/campaigns/{A['campaign_uuid']}", {"group": B["group_uuid"]}),
        (
            "post",
            "/api/v1/campaign_events",
            {"campaign": B["campaign_uuid"], "relative_to": "x", "message": {"eng": "x"}},
        ),
        (
            "post",
            "/api/v1/campaign_events",
            {"campaign": A["campaign_uuid"], "relative_to": A["date_key"], "flow": B["flow_uuid"]},
        ),
        (
            "post",
            "/api/v1/channels",
            {"type": "XC", "name": "x", "config": {"connector": B["connector_uuid"], "fields": {}}},
        ),
        (
            "post",
            "/api/v1/channels",
            {"type": "XC", "name": "x", "config": {"connector": B["ref"], "fields": {}}},
        ),
    ]
    before = snapshot(b.workspace)
    failures = []
    for method, url, body in cases:
        response = request(a.api, method, url, body)
        if url == "/api/v1/flow_starts" and response.status_code == 201:
            # Starts resolve their recipients later, in the caller's workspace: B's are dropped.
            if started := _b_contacts_started(response.json()["uuid"], b):
                failures.append(f"flow start {body} would start B's contacts {started}")
        elif not 400 <= response.status_code < 500:
            failures.append(
                f"{method.upper()} {url} {body}: {response.status_code} {response.content[:200]!r}"
            )
        elif found := leaked(body_text(response), b, sent=json.dumps(body)):
            failures.append(f"{method.upper()} {url}: the error shows B's {found}")
    assert not failures, "\n".join(failures)
    assert changed_models(before, snapshot(b.workspace)) == []
    assert foreign_links() == []


def test_flow_uuid_shared_by_both_workspaces_acts_on_callers_flow(worlds: tuple[World, World]) -> None:
    """Flow uuids are unique per workspace (imports keep them): A importing B's export gets its own copy."""
    from tests.security.world import FLOW_EXPORT

    a, b = worlds
    shared = b.ids["flow_uuid"]
    imported = a.api.post(
        "/api/v1/flows/import", data=FLOW_EXPORT.read_text(), content_type="application/json"
    )
    assert imported.status_code == 200 and imported.json()["flows"][0]["uuid"] == shared
    before = snapshot(b.workspace)
    failures = []
    for path, method, op in api_operations():
        path_params = params_in(op, "path")
        if "flow_uuid" not in path_params or method == "delete":
            continue
        values = {**variants(path_params, a)[0], "flow_uuid": shared}
        url = path.format(**values)
        response = request(a.api, method, url, valid_body(a, method, path))
        if response.status_code >= 500 or leaked(body_text(response), b, sent=url):
            failures.append(f"{method.upper()} {url}: {response.status_code} {response.content[:200]!r}")
    for url in (f"/flows/{shared}/editor",):
        response = a.session().get(url)
        if response.status_code != 200 or leaked(body_text(response), b, sent=url):
            failures.append(f"GET {url}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert changed_models(before, snapshot(b.workspace)) == []
    assert foreign_links() == []


def _b_contacts_started(start_uuid: str, b: World) -> list[int]:
    from channels_app.models import Contact
    from flows.models import FlowStart
    from flows.services.starts import recipients

    b_contacts = set(Contact.objects.filter(workspace=b.workspace).values_list("id", flat=True))
    return sorted(set(recipients(FlowStart.objects.get(uuid=start_uuid))) & b_contacts)


# --- UI pages and actions -------------------------------------------------------------------


def url_patterns() -> Iterator[tuple[str, URLPattern]]:
    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, URLPattern]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern), p

    for route, pattern in walk(get_resolver().url_patterns, ""):
        if not route.startswith("api/v1/"):  # the API is walked through its schema above
            yield route, pattern


def test_own_tests_cover_routes_that_exist() -> None:
    assert {route for route, _ in url_patterns()} >= OWN_TESTS


def test_every_ui_route_with_b_ids_is_404_and_b_unchanged(worlds: tuple[World, World]) -> None:
    a, b = worlds
    client = a.session()
    before = snapshot(b.workspace)
    failures, tried = [], 0
    for route, pattern in url_patterns():
        params = list(pattern.pattern.converters)
        if not params or route in OWN_TESTS or set(params) <= set(PLAIN_PARAMS):
            continue
        for values in variants(params, b):
            url = reverse(pattern.name, kwargs=values)
            got = {m: getattr(client, m)(url).status_code for m in ("get", "post")}
            tried += 1
            # 405 means the view refused the method before any lookup; one method must reach it.
            if set(got.values()) - {404, 405} or set(got.values()) == {405}:
                failures.append(f"{url}: {got}")
    assert not failures, "\n".join(failures)
    assert changed_models(before, snapshot(b.workspace)) == []
    assert foreign_links() == []
    assert tried >= 20


def test_ui_forms_naming_b_objects_are_refused(worlds: tuple[World, World]) -> None:
    """Object references inside UI form posts resolve in the caller's workspace only."""
    a, b = worlds
    A, B = a.ids, b.ids
    client = a.session()
    posts: list[tuple[str, dict[str, str]]] = [
        (
            "/triggers/",
            {"trigger_type": "keyword", "flow": B["flow_uuid"], "keywords": "zz", "match_type": "F"},
        ),
        (
            "/triggers/",
            {"trigger_type": "keyword", "flow": A["flow_uuid"], "keywords": "yy", "channel": B["channel_EX"]},
        ),
        ("/messages/resend", {"msgs": B["msg_uuid"]}),
        (f"/contacts/{A['contact_uuid']}/groups", {"add": B["group_uuid"]}),
        (f"/contacts/{A['contact_uuid']}/groups", {"remove": B["group_uuid"]}),
        (
            f"/contacts/{A['contact_uuid']}/send",
            {"channel": B["channel_EX"], "urn": "tel:+250788123001", "text": "x"},
        ),
        (f"/contacts/{A['contact_uuid']}/call", {"channel": B["channel_XCV"], "to": "+250788123001"}),
        (
            "/connectors/console/",
            {"connector": B["connector_uuid"], "fields_json": "{}", "to": "+2507", "text": "x"},
        ),
        ("/channels/add/XC/", {"connector": B["connector_uuid"], "name": "x"}),
        ("/channels/add/XC/", {"connector": B["ref"], "name": "x"}),
    ]
    gets = [
        f"/channels/add/XC/?connector={B['connector_uuid']}",
        f"/channels/add/XC/?connector={B['ref']}",
        f"/connectors/console/?connector={B['connector_uuid']}",
        f"/messages/?channel={B['channel_EX']}",
        f"/contacts/?group={B['group_uuid']}",
    ]
    before = snapshot(b.workspace)
    failures = []
    for url, data in posts:
        response = client.post(url, data)
        sent = url + json.dumps(data)
        # Refused: a 4xx, the form again with its error (200) or, for the contact page's buttons,
        # a redirect back to that page with a flash message.
        back = response.status_code == 302 and response["Location"].rstrip("/") == url.rsplit("/", 1)[0]
        if not (400 <= response.status_code < 500 or response.status_code == 200 or back):
            failures.append(f"POST {url} {data}: {response.status_code} {response.get('Location', '')}")
        elif found := leaked(body_text(response), b, sent=sent):
            failures.append(f"POST {url}: shows B's {found}")
    for url in gets:
        response = client.get(url)
        if response.status_code >= 500 or (found := leaked(body_text(response), b, sent=url)):
            failures.append(
                f"GET {url}: {response.status_code} {found if response.status_code < 500 else ''}"
            )
    assert not failures, "\n".join(failures)
    assert changed_models(before, snapshot(b.workspace)) == []
    assert foreign_links() == []


def test_ui_pages_of_own_ids_open(worlds: tuple[World, World]) -> None:
    a, _ = worlds
    client = a.session()
    failures = []
    for route, pattern in url_patterns():
        params = list(pattern.pattern.converters)
        if not params or route in OWN_TESTS:
            continue
        for values in variants(params, a):
            url = reverse(pattern.name, kwargs=values)
            status = client.get(url).status_code
            if status not in (200, 302, 405):
                failures.append(f"GET {url}: {status}")
    assert not failures, "\n".join(failures)


def test_ui_pages_show_none_of_b(worlds: tuple[World, World]) -> None:
    a, b = worlds
    client = a.session()
    failures, pages = [], 0
    for route, pattern in url_patterns():
        params = list(pattern.pattern.converters)
        if route in OWN_TESTS or (params and not set(params) <= set(PLAIN_PARAMS)):
            continue
        url = reverse(pattern.name, kwargs=variants(params, a)[0]) if params else "/" + route
        response = client.get(url, follow=True)
        pages += 1
        if response.status_code >= 500:
            failures.append(f"GET {url}: {response.status_code}")
        elif found := leaked(body_text(response), b):
            failures.append(f"GET {url}: shows B's {found}")
    assert not failures, "\n".join(failures)
    assert pages >= 15


# --- public callbacks and the handler-app REST methods -------------------------------------


def _b_references(b: World) -> dict[str, str]:
    """Every name a provider might use for a message/call id, all pointing at B's objects."""
    ext = f"{MARKER_B}-ext"
    return {
        "id": b.ids["msg_id"],
        "uuid": b.ids["msg_uuid"],
        "message_id": ext,
        "MessageSid": ext,
        "SmsSid": ext,
        "messageId": ext,
        "CallSid": f"{MARKER_B}-call",
        "MessageStatus": "delivered",
        "CallStatus": "completed",
        "status": "delivered",
        "from": "+250788123001",
        "From": "+250788123001",
        "To": "+250788000002",
        "text": "hello",
        "Body": "hello",
    }


def test_callbacks_on_a_channels_never_touch_b(worlds: tuple[World, World]) -> None:
    from channels_app.types.registry import all_types

    a, b = worlds
    refs = _b_references(b)
    before = snapshot(b.workspace)
    failures, tried = [], 0
    own_channel = {"XC": ["channel_XC", "channel_XCV"]}
    for channel_type in all_types():
        for action in channel_type.views():
            for key in own_channel.get(channel_type.code, [f"channel_{channel_type.code}"]):
                base = f"/c/{channel_type.slug}/{a.ids[key]}/{action}"
                for url, response in (
                    (u, r)
                    for u in (base, base + "/")
                    for r in (
                        Client().post(u, refs),
                        Client().get(u, refs),
                        Client().post(u, json.dumps(refs), content_type="application/json"),
                    )
                ):
                    tried += 1
                    if response.status_code >= 500:
                        failures.append(f"{url}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert changed_models(before, snapshot(b.workspace)) == []
    assert foreign_links() == []
    assert tried >= 20


def test_callbacks_on_b_channel_with_wrong_type_are_404(worlds: tuple[World, World]) -> None:
    """A channel is found by type and uuid together: B's EX uuid under /c/xc/ is no channel."""
    _, b = worlds
    response = Client().post(f"/c/xc/{b.ids['channel_EX']}/callback", {"MessageSid": f"{MARKER_B}-ext"})
    assert response.status_code == 404


REST_CASES: dict[str, list[dict[str, str]]] = {
    "messageservice.sender.add": [],  # creates the caller's own sender only: covered by the list check
    "messageservice.sender.list": [{}],
    "messageservice.sender.update": [{"CODE": "{b_code}", "HANDLER": "http://127.0.0.1:9/evil", "NAME": "x"}],
    "messageservice.sender.delete": [{"CODE": "{b_code}"}],
    "messageservice.message.status.update": [
        {"CODE": "{b_code}", "MESSAGE_ID": "{b_msg}", "STATUS": "delivered"},
        {"CODE": "{a_code}", "MESSAGE_ID": "{b_msg}", "STATUS": "delivered"},
        {"CODE": "{a_code}", "MESSAGE_ID": "{b_msg_id}", "STATUS": "failed"},
    ],
}


def test_rest_methods_with_b_ids_fail_and_b_unchanged(worlds: tuple[World, World]) -> None:
    from aggregators.handler.rest import METHODS

    a, b = worlds
    assert set(METHODS) == set(REST_CASES), "a /rest/ method has no cross-workspace case"
    fill = {
        "b_code": b.ids["sender_code"],
        "a_code": a.ids["sender_code"],
        "b_msg": b.ids["msg_uuid"],
        "b_msg_id": b.ids["msg_id"],
    }
    before = snapshot(b.workspace)
    failures = []
    for method, cases in REST_CASES.items():
        for case in cases:
            params = {k: v.format(**fill) for k, v in case.items()}
            for auth in (a.app_token, a.token):
                response = Client().post(f"/rest/{method}", {**params, "auth": auth})
                body = response.json()
                if method.endswith(".list"):
                    if response.status_code != 200 or b.ids["sender_code"] in json.dumps(body):
                        failures.append(f"{method}: {response.status_code} {body}")
                elif "error" not in body or response.status_code >= 500:
                    failures.append(f"{method} {params}: {response.status_code} {body}")
    assert not failures, "\n".join(failures)
    assert changed_models(before, snapshot(b.workspace)) == []
    assert foreign_links() == []


def test_the_detectors_detect(worlds: tuple[World, World]) -> None:
    """The snapshot and the cross-workspace link check catch a planted leak (rolled back after)."""
    from channels_app.models import Contact
    from flows.models import Flow, Trigger

    a, b = worlds
    before = snapshot(b.workspace)
    Contact.objects.filter(uuid=b.ids["contact_uuid"]).update(name="changed")
    assert changed_models(before, snapshot(b.workspace)) == ["channels_app.Contact"]
    trigger = Trigger.objects.get(uuid=a.ids["trigger_uuid"])
    trigger.flow = Flow.objects.get(workspace=b.workspace, uuid=b.ids["flow_uuid"])
    trigger.save()
    assert foreign_links() == ["flows.Trigger.flow: 1 row(s) point into another workspace"]
    assert leaked(f"<td>{b.ids['contact_uuid']}</td>", b) == [b.ids["contact_uuid"]]
