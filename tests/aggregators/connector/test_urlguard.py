"""The outbound URL guard (SSRF): loopback, private, link-local and mapped addresses are refused."""

from __future__ import annotations

import httpx
import pytest

from aggregators.connector import GuardedTransport, is_url_allowed, url_refusal


def fake_dns(table):
    def resolve(host, _port):
        if host not in table:
            raise OSError("Name or service not known")
        return table[host]

    return resolve


DNS = fake_dns(
    {
        "api.example.com": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
        "evil.example.com": ["93.184.216.34", "10.0.0.5"],
        "meta.example.com": ["169.254.169.254"],
        "v6local.example.com": ["fe80::1%eth0"],
    }
)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://api.example.com/send", True),
        ("http://127.0.0.1:8000/", False),
        ("http://localhost./x", False),
        ("http://[::1]/", False),
        ("http://[::ffff:127.0.0.1]/", False),
        ("http://10.1.2.3/", False),
        ("http://192.168.0.10/", False),
        ("http://172.16.0.1/", False),
        ("http://100.64.0.1/", False),
        ("http://0.0.0.0/", False),
        ("https://evil.example.com/", False),  # one private address is enough
        ("https://meta.example.com/latest/meta-data", False),
        ("https://v6local.example.com/", False),
        ("https://nxdomain.example.com/", False),
        ("ftp://api.example.com/", False),
        ("file:///etc/passwd", False),
    ],
)
def test_is_url_allowed(url, allowed):
    resolve = fake_dns(
        {
            **{"localhost.": ["127.0.0.1"]},
            **{
                h: DNS(h, 0)
                for h in ("api.example.com", "evil.example.com", "meta.example.com", "v6local.example.com")
            },
        }
    )
    assert is_url_allowed(url, allow_private=False, resolve=resolve) is allowed


def test_allow_private_lets_local_servers_through_but_not_other_schemes():
    assert is_url_allowed("http://127.0.0.1:8000/", allow_private=True)
    assert "scheme" in url_refusal("gopher://127.0.0.1/", allow_private=True)


def test_guarded_transport_refuses_before_sending():
    seen = []
    inner = httpx.MockTransport(lambda request: seen.append(request) or httpx.Response(200))
    client = httpx.Client(transport=GuardedTransport(inner, allow_private=False, resolve=DNS))
    with pytest.raises(httpx.TransportError, match="private/loopback/link-local"):
        client.get("http://10.0.0.1/")
    assert client.get("https://api.example.com/").status_code == 200
    assert [str(r.url) for r in seen] == ["https://api.example.com/"]
