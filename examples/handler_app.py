#!/usr/bin/env python3
"""A tiny handler app for Flowgate's message-service REST API (standard library only).

It registers itself as a message sender, receives each outgoing message as a form post,
"delivers" it (here: prints it) and reports the delivery back, the way a real SMS gateway app
would after hearing from its provider.

    python examples/handler_app.py --flowgate http://127.0.0.1:8000 --token <API or app token>

Then send a message through the new "Example handler" channel (e.g. POST /api/v1/messages with
its channel uuid) and watch it go queued -> sent -> delivered. Each event is printed as one JSON
line on stdout. Ctrl-C unregisters the sender.

Or, as a Bitrix24 app is installed: start it without --token and give its URL as the app's
event handler when installing it (POST /api/v1/tokens/apps {"name", "install_url"}). The
ONAPPINSTALL event brings its tokens; it registers its sender with them, and renews them at the
OAuth endpoint (auth[server_endpoint]'s origin + /oauth/token/) when they have expired.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def say(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def refresh_tokens(server_endpoint: str, refresh_token: str) -> dict[str, Any]:
    """Bitrix's documented renewal: GET <oauth server>/oauth/token/?grant_type=refresh_token&..."""
    parts = urllib.parse.urlsplit(server_endpoint)
    query = urllib.parse.urlencode(
        {"grant_type": "refresh_token", "client_id": "", "client_secret": "", "refresh_token": refresh_token}
    )
    url = f"{parts.scheme}://{parts.netloc}/oauth/token/?{query}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return dict(json.loads(response.read()))
    except urllib.error.HTTPError as exc:
        return dict(json.loads(exc.read() or b"{}"))


def call(endpoint: str, method: str, token: str, params: dict[str, Any]) -> dict[str, Any]:
    """One REST call; the token goes as a Bearer header, the params as a form."""
    request = urllib.request.Request(
        endpoint.rstrip("/") + "/" + method,
        data=urllib.parse.urlencode(params).encode(),
        headers={"Authorization": f"Bearer {token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return dict(json.loads(response.read()))
    except urllib.error.HTTPError as exc:
        return dict(json.loads(exc.read() or b"{}"))


class App:
    def __init__(self, args: argparse.Namespace) -> None:
        self.endpoint = args.flowgate.rstrip("/") + "/rest/"
        self.token = args.token
        self.code = args.code
        self.status = args.status
        self.application_token = args.application_token
        self.name = args.name
        self.refresh_token = ""
        self.server_endpoint = ""
        self.handler_url = ""

    def install(self, form: dict[str, str]) -> None:
        """ONAPPINSTALL: keep the tokens it brings, then register the sender (after answering)."""
        self.token = form["auth[access_token]"]
        self.refresh_token = form.get("auth[refresh_token]", "")
        self.server_endpoint = form.get("auth[server_endpoint]", "")
        self.endpoint = form.get("auth[client_endpoint]") or self.endpoint
        self.application_token = form.get("auth[application_token]", "")
        say("installed", member_id=form.get("auth[member_id]"), domain=form.get("auth[domain]"))
        threading.Thread(target=register, args=(self,), daemon=True).start()

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """A REST call with the stored token, renewed once if it has expired."""
        answer = call(self.endpoint, method, self.token, params)
        if answer.get("error") == "expired_token" and self.refresh_token and self.server_endpoint:
            fresh = refresh_tokens(self.server_endpoint, self.refresh_token)
            if "access_token" in fresh:
                self.token, self.refresh_token = fresh["access_token"], fresh["refresh_token"]
                say("refreshed", expires_in=fresh.get("expires_in"))
                answer = call(self.endpoint, method, self.token, params)
        return answer

    def handle(self, form: dict[str, str]) -> None:
        if self.application_token and form.get("auth[application_token]") != self.application_token:
            say("rejected", reason="application_token does not match")
            return
        say("received", form={k: v for k, v in form.items() if not k.startswith("auth[")})
        # A real app would call its SMS provider here and report later from its own queue.
        threading.Thread(target=self.report, args=(form,), daemon=True).start()

    def report(self, form: dict[str, str]) -> None:
        # Report with the fresh token that came with the message, to the endpoint it names.
        endpoint = form.get("auth[client_endpoint]") or self.endpoint
        token = form.get("auth[access_token]") or self.token
        answer = call(
            endpoint,
            "messageservice.message.status.update",
            token,
            {"CODE": form.get("code", self.code), "MESSAGE_ID": form["message_id"], "STATUS": self.status},
        )
        say("reported", message_id=form["message_id"], status=self.status, answer=answer)


def register(app: App) -> bool:
    answer = app.call(
        "messageservice.sender.add",
        {
            "CODE": app.code,
            "TYPE": "SMS",
            "HANDLER": app.handler_url,
            "NAME": app.name,
            "DESCRIPTION": "Prints messages and reports them delivered",
        },
    )
    if "error" in answer and answer["error"] != "ERROR_SENDER_ALREADY_INSTALLED":
        say("register_failed", answer=answer)
        return False
    if "error" in answer:  # installed by an earlier run: point it at this one
        answer = app.call("messageservice.sender.update", {"CODE": app.code, "HANDLER": app.handler_url})
    say("registered", code=app.code, handler=app.handler_url, answer=answer)
    return True


def serve(args: argparse.Namespace) -> int:
    app = App(args)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            if form.get("event") == "ONAPPINSTALL":
                app.install(form)
                self.send_response(200)
                self.end_headers()
                return
            if "message_id" not in form:
                self.send_response(400)
                self.end_headers()
                return
            app.handle(form)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": true}')

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    app.handler_url = args.public_url or f"http://{args.host}:{server.server_address[1]}/handler"
    if app.token:
        if not register(app):
            return 1
    else:  # installed the Bitrix way: the ONAPPINSTALL event brings the tokens
        say("waiting_for_install", handler=app.handler_url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if args.unregister:
            say(
                "unregistered",
                answer=app.call("messageservice.sender.delete", {"CODE": app.code}),
            )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flowgate", default="http://127.0.0.1:8000", help="Flowgate's base URL")
    parser.add_argument(
        "--token",
        default="",
        help="an app access token or the workspace API token (none: wait for ONAPPINSTALL)",
    )
    parser.add_argument("--code", default="example", help="the sender CODE to register")
    parser.add_argument("--name", default="Example handler")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--public-url", default="", help="the HANDLER URL if not http://host:port/handler")
    parser.add_argument("--status", default="delivered", help="the STATUS to report for each message")
    parser.add_argument(
        "--application-token", default="", help="reject calls without this auth[application_token]"
    )
    parser.add_argument("--no-unregister", dest="unregister", action="store_false")
    return serve(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
