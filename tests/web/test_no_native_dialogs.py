"""Issue 18: no screen asks through the browser's native alert/confirm/prompt boxes; the flow
editor has its Dialog component and the server-rendered screens web/static/flowgate/confirm.js.

A static guard over every script and template under web/ (the built editor bundle included), so a
new `confirm(` is caught without a browser run; the browser tests record native dialogs too.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests import ROOT

WEB = ROOT / "web"
CALL = re.compile(r"(?<![\w.])(?:window\.|globalThis\.|self\.)?(alert|confirm|prompt)\s*\(")
COMMENT = re.compile(r"/\*.*?\*/|(?<![:\"'`\\])//[^\n]*|\{#.*?#\}|<!--.*?-->", re.S)


def _sources() -> list[Path]:
    files = [
        *WEB.glob("static/**/*.js"),
        *WEB.glob("templates/**/*.html"),
        *WEB.glob("frontend/src/**/*.js*"),
    ]
    return sorted(p for p in files if "node_modules" not in p.parts)


def test_the_guard_sees_a_call_and_ignores_comments() -> None:
    assert CALL.search('if (!window.confirm("Delete?")) e.preventDefault();')
    assert CALL.search("onclick=\"return confirm('x')\"")
    assert not CALL.search(COMMENT.sub("", "/** Replaces the native confirm()/prompt(). */"))
    assert not CALL.search("dialog.querySelector('#confirm-no')")  # an id, not a call


def test_no_native_dialog_call_under_web() -> None:
    sources = _sources()
    assert len(sources) > 50 and WEB / "static/flowgate/confirm.js" in sources
    calls = []
    for path in sources:
        text = COMMENT.sub("", path.read_text(encoding="utf-8"))
        calls += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in CALL.finditer(text)]
    assert calls == []
