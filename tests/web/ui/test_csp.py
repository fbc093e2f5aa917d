"""Issue 16 #10: every main page and the flow editor work under the Content-Security-Policy.

The browser reports each blocked script, style, connection or frame as a
`securitypolicyviolation` event (and a console error): none may happen while the pages load
and the editor is used.
"""

from __future__ import annotations

from typing import Any

from tests.web.ui.conftest import Browser
from tests.web.ui.test_flow_editor import _add_node, _create_flow

PAGES = [
    "/", "/channels/", "/channels/add/", "/connectors/", "/connectors/upload/", "/connectors/console/",
    "/messages/", "/triggers/", "/settings/api-keys/", "/templates/", "/settings/webhooks/", "/calls/",
    "/contacts/", "/contacts/groups/", "/flows/", "/api/v1/docs",
]  # fmt: skip
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


def _violations(b: Browser) -> list[str]:
    return list(b.page.evaluate("window.__cspViolations || []"))


def test_pages_and_editor_run_without_csp_violations(browser: Browser, ex_channel: Any) -> None:
    b = browser
    b.page.add_init_script(RECORD_VIOLATIONS)
    b.login()
    for path in [*PAGES, f"/channels/{ex_channel.uuid}/"]:
        response = b.page.goto(b.base + path)
        assert response is not None and response.status == 200, path
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
        b.page.wait_for_load_state("networkidle")
        assert _violations(b) == [], path

    _create_flow(b, "CSP check")
    _add_node(b, "send_msg")
    b.page.wait_for_load_state("networkidle")
    assert _violations(b) == []
    assert not [e for e in b.console_errors if "Content Security Policy" in e], b.console_errors
