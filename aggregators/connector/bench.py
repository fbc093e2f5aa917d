"""Per-message overhead of request building + response mapping for the built-in connectors.

    python -m aggregators.connector.bench [N]

Target: under 0.5 ms per message. No network: answers are canned recorded bodies.
"""

from __future__ import annotations

import sys
import time

import httpx

from .builtin import builtin_connectors
from .mapping import map_send_response
from .request import build_send_request

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


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    bench(50)  # warm caches
    for slug, ms in bench(n).items():
        flag = "ok" if ms < 0.5 else "SLOW"
        print(
            f"{slug:10s} build+map {ms:.3f} ms/message ({1000 / ms:,.0f} msg/s per core) [{flag}; target < 0.5 ms]"
        )


if __name__ == "__main__":
    main()
