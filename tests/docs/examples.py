"""Find and run the examples in docs/: every fenced block preceded by ``<!-- example: KIND ... -->``.

Kinds that run (each counts as a tested example):

- ``connector``: connector XML; saved (``file=NAME``) and checked with ``manage.py connector check``;
  ``expect=fail`` for a deliberate mistake, whose ``output`` block lists lines the check must print.
- ``shell``: ``python manage.py ...`` lines, run as management commands in the examples' folder.
- ``curl``: one curl command, sent with httpx to the live server; ``expect=CODE`` (default 2xx),
  ``save=NAME[:path]`` keeps a value of the JSON answer (default ``uuid``) as ``$NAME`` for the
  next examples, ``check="path=value ..."`` asserts values of the answer.
- ``python``: a script run with ``FLOWGATE`` and ``TOKEN`` (and saved names) in its environment.
- ``flow``: a RapidPro export, imported through the API and run in the simulator with
  ``inputs="a|b"``; ``reply=TEXT`` must be among the replies.

Blocks that set up or check the surroundings (not counted): ``provider-answer`` (what the
stand-in provider answers to ``method path``) and ``provider-request`` (what it must have been
sent: method, path, the headers shown and the body; ``<anything>`` matches any value), and
``output`` (after an example: lines its output must contain).

The docs speak of ``http://127.0.0.1:8000`` (``make run``) and of the provider hosts in
``HOSTS``; the runner points those at the live server and the stand-in provider.
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
DOCS_URL = "http://127.0.0.1:8000"
HOSTS = ("https://api.acme-sms.example", "https://aggregator.example", "https://handler.example")
RUNNABLE = ("connector", "shell", "curl", "python", "flow")

_BLOCK = re.compile(
    r"<!--\s*example:\s*(?P<kind>[\w-]+)(?P<opts>[^>]*?)-->\s*\n"
    r"(?P<indent>[ \t]*)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)\n(?P=indent)```",
    re.S,
)


@dataclass
class Example:
    page: str
    line: int
    kind: str
    opts: dict[str, str]
    body: str

    def where(self) -> str:
        return f"{self.page}:{self.line}"


def parse_opts(text: str) -> dict[str, str]:
    opts: dict[str, str] = {}
    for token in shlex.split(text):
        key, _, value = token.partition("=")
        opts[key] = value
    return opts


def examples_in(path: Path) -> list[Example]:
    text = path.read_text()
    found = []
    for m in _BLOCK.finditer(text):
        indent = m.group("indent")
        body = "\n".join(line.removeprefix(indent) for line in m.group("body").split("\n"))
        found.append(
            Example(
                page=str(path.relative_to(DOCS)),
                line=text.count("\n", 0, m.start()) + 1,
                kind=m.group("kind"),
                opts=parse_opts(m.group("opts")),
                body=body,
            )
        )
    return found


def pages_with_examples() -> list[Path]:
    return [p for p in sorted(DOCS.rglob("*.md")) if examples_in(p)]


def counts() -> dict[str, int]:
    out: dict[str, int] = {}
    for page in pages_with_examples():
        for ex in examples_in(page):
            out[ex.kind] = out.get(ex.kind, 0) + 1
    return out


# --- curl ---------------------------------------------------------------------------------------


@dataclass
class CurlRequest:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


def parse_curl(command: str) -> CurlRequest:
    """The subset of curl the docs use: -X, -H, -d/--data/--data-binary, --data-urlencode, -G, -u."""
    args = shlex.split(command.replace("\\\n", " "))
    assert args and args[0] == "curl", f"not a curl command: {command[:60]}"
    method, url, headers, data, get = "", "", {}, [], False
    i = 1
    while i < len(args):
        arg = args[i]
        if arg in ("-X", "--request"):
            method, i = args[i + 1], i + 2
        elif arg in ("-H", "--header"):
            name, _, value = args[i + 1].partition(":")
            headers[name.strip()] = value.strip()
            i += 2
        elif arg in ("-d", "--data", "--data-binary", "--data-raw"):
            data.append(args[i + 1])
            i += 2
        elif arg == "--data-urlencode":
            name, _, value = args[i + 1].partition("=")
            data.append(f"{name}={quote_plus(value)}")
            i += 2
        elif arg in ("-G", "--get"):
            get, i = True, i + 1
        elif arg in ("-u", "--user"):
            import base64

            headers["Authorization"] = "Basic " + base64.b64encode(args[i + 1].encode()).decode()
            i += 2
        elif arg in ("-s", "-i", "--silent", "--include", "-sS"):
            i += 1
        elif arg.startswith("-"):
            raise AssertionError(f"curl option {arg} is not supported by the docs runner")
        else:
            url, i = arg, i + 1
    body = "&".join(data) if data else None
    if get and body:
        url += ("&" if "?" in url else "?") + body
        body = None
    if body is not None and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return CurlRequest(
        method or ("POST" if body is not None else "GET"), url, headers, body.encode() if body else None
    )


def json_path(data: Any, path: str) -> Any:
    for seg in path.split("."):
        data = data[int(seg)] if isinstance(data, list) else data[seg]
    return data


# --- recorded provider requests ------------------------------------------------------------------


def matches_shown_request(
    shown: str, method: str, path: str, headers: dict[str, str], body: bytes
) -> list[str]:
    """Problems between a request shown in the docs and one recorded; ``<...>`` matches any value."""
    head, _, shown_body = shown.partition("\n\n")
    lines = head.splitlines()
    problems = []

    def pattern(text: str) -> re.Pattern[str]:
        escaped = re.escape(text)
        return re.compile(
            re.sub(r"<[^>]*>", r"[^&\"\\s<]+", escaped.replace(r"\<", "<").replace(r"\>", ">")) + r"\Z", re.S
        )

    first = lines[0].split()
    if first[0] != method:
        problems.append(f"method {method}, docs say {first[0]}")
    if not pattern(first[1]).match(path):
        problems.append(f"path {path}, docs say {first[1]}")
    lowered = {k.lower(): v for k, v in headers.items()}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        got = lowered.get(name.strip().lower())
        if got is None or not pattern(value.strip()).match(got):
            problems.append(f"header {name.strip()}: got {got!r}, docs say {value.strip()!r}")
    if shown_body.strip() and not pattern(shown_body.strip()).match(body.decode(errors="replace").strip()):
        problems.append(f"body {body.decode(errors='replace')!r}, docs say {shown_body.strip()!r}")
    return problems


# --- the runner ----------------------------------------------------------------------------------


@dataclass
class Runner:
    """Runs one page's examples in order against ``live_url`` with ``token``."""

    live_url: str
    token: str
    provider: Any  # tests.docs.test_examples.Provider
    workdir: Path
    run_jobs: Callable[[], None]
    env: dict[str, str] = field(default_factory=dict)
    ran: int = 0
    last_output: str = ""

    def __post_init__(self) -> None:
        self.env.update(TOKEN=self.token, FLOWGATE=self.live_url)

    def substitute(self, text: str) -> str:
        text = text.replace(DOCS_URL, self.live_url)
        for host in HOSTS:
            text = text.replace(host, self.provider.url)
        for name in sorted(self.env, key=len, reverse=True):
            text = text.replace("$" + name, self.env[name]).replace("${" + name + "}", self.env[name])
        return text

    def run(self, ex: Example) -> None:
        handler = getattr(self, "run_" + ex.kind.replace("-", "_"), None)
        assert handler is not None, f"{ex.where()}: unknown example kind {ex.kind!r}"
        handler(ex)
        if ex.kind in RUNNABLE:
            self.ran += 1

    # kinds

    def _manage(self, args: list[str]) -> tuple[int, str]:
        from django.core.management import call_command

        out = io.StringIO()
        cwd = os.getcwd()
        os.chdir(self.workdir)
        try:
            call_command(*args, stdout=out)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        finally:
            os.chdir(cwd)
        return code, out.getvalue()

    def run_connector(self, ex: Example) -> None:
        name = ex.opts.get("file") or f"example-{ex.line}.xml"
        (self.workdir / name).write_text(self.substitute(ex.body))
        code, self.last_output = self._manage(["connector", "check", name])
        want = 1 if ex.opts.get("expect") == "fail" else 0
        assert code == want, f"{ex.where()}: connector check exited {code}:\n{self.last_output}"

    def run_shell(self, ex: Example) -> None:
        outputs = []
        for line in ex.body.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            args = shlex.split(self.substitute(line))
            assert args[:2] == ["python", "manage.py"], f"{ex.where()}: only `python manage.py ...` lines run"
            code, out = self._manage(args[2:])
            want = 1 if ex.opts.get("expect") == "fail" else 0
            assert code == want, f"{ex.where()}: {line} exited {code}:\n{out}"
            outputs.append(out)
        self.last_output = "".join(outputs)
        if "save" in ex.opts or "check" in ex.opts:  # a command printing JSON on its last line
            self._after_json(ex, self.last_output.strip().splitlines()[-1])

    def run_output(self, ex: Example) -> None:
        for line in ex.body.splitlines():
            if line.strip():
                assert line.strip() in self.last_output, (
                    f"{ex.where()}: {line.strip()!r} not in the output:\n{self.last_output}"
                )

    def run_curl(self, ex: Example) -> None:
        import httpx

        self.run_jobs()
        req = parse_curl(self.substitute(ex.body))
        with httpx.Client(timeout=30) as client:
            response = client.request(req.method, req.url, headers=req.headers, content=req.body)
        self.last_output = response.text
        want = ex.opts.get("expect")
        ok = response.status_code == int(want) if want else 200 <= response.status_code < 300
        assert ok, f"{ex.where()}: HTTP {response.status_code} {response.text[:500]}"
        self._after_json(ex, response.text)
        self.run_jobs()

    def _after_json(self, ex: Example, text: str) -> None:
        if "save" in ex.opts or "check" in ex.opts:
            data = json.loads(text)
            if "save" in ex.opts:
                name, _, path = ex.opts["save"].partition(":")
                self.env[name] = str(json_path(data, path or "uuid"))
            # "path=value path=value": a space inside a value is written "\ "; quotes are literal
            pairs = [p.replace("\\ ", " ") for p in re.split(r"(?<!\\) ", ex.opts.get("check", "")) if p]
            for pair in pairs:
                path, _, value = pair.partition("=")
                got = json_path(data, path)
                assert str(got) == value, f"{ex.where()}: {path} is {got!r}, the docs say {value!r}"

    def run_python(self, ex: Example) -> None:
        env = {**os.environ, **self.env}
        result = subprocess.run(
            [sys.executable, "-c", self.substitute(ex.body)],
            cwd=self.workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.last_output = result.stdout
        assert result.returncode == 0, (
            f"{ex.where()}: exited {result.returncode}\n{result.stdout}{result.stderr}"
        )

    def run_flow(self, ex: Example) -> None:
        import httpx

        headers = {"Authorization": f"Token {self.env['TOKEN']}"}
        with httpx.Client(base_url=self.live_url, headers=headers, timeout=30) as client:
            imported = client.post("/api/v1/flows/import", content=self.substitute(ex.body))
            assert imported.status_code == 200, f"{ex.where()}: import {imported.status_code} {imported.text}"
            flows = imported.json()["flows"]
            assert flows, f"{ex.where()}: nothing imported"
            if "save" in ex.opts:
                self.env[ex.opts["save"]] = flows[0]["uuid"]
            inputs = [i for i in ex.opts.get("inputs", "").split("|") if i]
            result = client.post("/api/v1/simulate", json={"flow": flows[0]["uuid"], "inputs": inputs})
            assert result.status_code == 200, f"{ex.where()}: simulate {result.status_code} {result.text}"
            replies = [e["msg"]["text"] for e in result.json()["events"] if e.get("type") == "msg_created"]
            self.last_output = "\n".join(replies)
            if "reply" in ex.opts:
                assert any(ex.opts["reply"] in r for r in replies), f"{ex.where()}: replies were {replies}"

    def run_provider_answer(self, ex: Example) -> None:
        method, path = ex.opts["method"], ex.opts["path"]
        self.provider.answers[(method, path)] = (
            int(ex.opts.get("status", "200")),
            ex.opts.get("type", "application/json"),
            self.substitute(ex.body).encode(),
        )

    def run_provider_request(self, ex: Example) -> None:
        self.run_jobs()
        method, path = ex.opts.get("method", "POST"), ex.opts["path"]
        seen = [r for r in self.provider.requests if r.method == method and r.path.split("?")[0] == path]
        assert seen, (
            f"{ex.where()}: the provider got no {method} {path}; it got {[(r.method, r.path) for r in self.provider.requests]}"
        )
        last = seen[-1]
        problems = matches_shown_request(
            self.substitute(ex.body), last.method, last.path, last.headers, last.body
        )
        assert not problems, f"{ex.where()}: " + "; ".join(problems)


if __name__ == "__main__":
    for kind, n in sorted(counts().items()):
        print(f"{kind}: {n}")
    print("runnable examples:", sum(n for k, n in counts().items() if k in RUNNABLE))
