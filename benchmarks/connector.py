"""Per-message overhead of request building + response mapping for the built-in connectors.

    python -m benchmarks.connector [N] [--quick] [--json PATH]

Target: under 0.5 ms per message. No network: answers are canned recorded bodies. The baseline,
measured in the same run, is the same request built and the same answer parsed by hand-written
httpx/json/lxml code: what a connector written in Python for one provider would cost.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import httpx

from aggregators.connector.builtin import builtin_connectors
from aggregators.connector.mapping import map_send_response
from aggregators.connector.request import build_send_request
from aggregators.connector.xmlsafe import parse_payload
from benchmarks.kit import figure, write_json

CTX = {
    "message": "Hello from Flowgate, your appointment is tomorrow at 10:00",
    "recipients": ["+250788123123"],
    "callback": "https://flowgate.example/c/xc/5f1e/callback",
    "messageid": "b7a1c3d4-0000-4000-8000-000000000000",
    "from": "+15005550006",
}
CASES = {
    "twilio": (
        {"AccountSID": "AC0123", "AuthToken": "tok", "From": "+15005550006"},
        b"<TwilioResponse><Message><Sid>SM1</Sid><To>+250788123123</To><Status>queued</Status></Message></TwilioResponse>",
        "application/xml",
    ),
    "infobip": (
        {"base_url": "https://x.api.infobip.com", "api_key": "k", "sender": "FG"},
        b'{"bulkId":"1","messages":[{"messageId":"m1","status":{"groupName":"PENDING"},"to":"250788123123"}]}',
        "application/json",
    ),
    "plivo": (
        {"AuthID": "MA1", "AuthToken": "tok", "From": "1415"},
        b'{"api_id":"a","message":"message(s) queued","message_uuid":["db3ce55a"]}',
        "application/json",
    ),
}


def bench(n: int) -> dict[str, float]:
    connectors = builtin_connectors()
    out = {}
    for slug, (fields, body, content_type) in CASES.items():
        connector = connectors[slug]
        answer_headers = {"content-type": content_type}
        start = time.perf_counter()
        for _ in range(n):
            build_send_request(connector, fields, CTX)
            result = map_send_response(connector, httpx.Response(202, content=body, headers=answer_headers))
        elapsed = time.perf_counter() - start
        assert result.external_id, slug
        out[slug] = elapsed / n * 1000
    return out


def _by_hand(slug: str, fields: dict[str, str], body: bytes) -> str:
    """One provider's request and answer handled in plain code (the baseline)."""
    if slug == "twilio":
        request = httpx.Request(
            "POST",
            f"https://api.twilio.com/2010-04-01/Accounts/{fields['AccountSID']}/Messages.xml",
            data={"To": CTX["recipients"][0], "From": fields["From"], "Body": CTX["message"]},
            headers={"Authorization": "Basic " + fields["AuthToken"]},
        )
        external_id = parse_payload(body).findtext("Message/Sid") or ""
    else:
        request = httpx.Request(
            "POST",
            f"{fields.get('base_url', 'https://api.plivo.com')}/sms/2/text/advanced",
            json={
                "messages": [
                    {
                        "from": fields.get("sender", ""),
                        "destinations": [{"to": CTX["recipients"][0]}],
                        "text": CTX["message"],
                        "notifyUrl": CTX["callback"],
                    }
                ]
            },
            headers={"Authorization": "App " + fields.get("api_key", fields.get("AuthToken", ""))},
        )
        answer = json.loads(body)
        external_id = (
            answer["messages"][0]["messageId"] if "messages" in answer else answer["message_uuid"][0]
        )
    assert request.content
    return str(external_id)


def baseline(n: int) -> dict[str, float]:
    out = {}
    for slug, (fields, body, _) in CASES.items():
        start = time.perf_counter()
        for _ in range(n):
            external_id = _by_hand(slug, fields, body)
        out[slug] = (time.perf_counter() - start) / n * 1000
        assert external_id, slug
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("n", type=int, nargs="?", default=2000, help="messages per connector")
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test, not a figure")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    n = min(args.n, 200) if args.quick else args.n
    bench(50)  # warm caches
    baseline(50)
    measured, by_hand = bench(n), baseline(n)
    figures = []
    for slug, ms in measured.items():
        flag = "ok" if ms < 0.5 else "SLOW"
        print(
            f"{slug:10s} build+map {ms:.3f} ms/message ({1000 / ms:,.0f} msg/s per core) [{flag}; target < 0.5 ms]"
            f"; hand-written {by_hand[slug]:.3f} ms"
        )
        figures.append(
            figure(
                f"connector.{slug}.ms",
                f"Connector build+map per message, {slug}",
                ms,
                "ms",
                higher_is_better=False,
                baseline=("hand-written httpx + parse", by_hand[slug]),
                target=("<=", 0.5),
            )
        )
    write_json(
        args.json,
        "benchmarks.connector",
        figures,
        [f"connector: {n} messages per connector, one core, no network"],
    )


if __name__ == "__main__":
    main()
