#!/usr/bin/env python3
"""A tiny handler app for Flowgate's message-service REST API (standard library only).

It registers itself as a message sender, receives each outgoing message as a form post,
"delivers" it (here: prints it) and reports the delivery back, the way a real SMS gateway app
would after hearing from its provider.

    python examples/handler_app.py --flowgate http://127.0.0.1:8000 --token <API or app token>

Then send a message through the new "Example handler" channel (e.g. POST /api/v1/messages with
its channel uuid) and watch it go queued -> sent -> delivered. Each event is printed as one JSON
line on stdout. Ctrl-C unregisters the sender.
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


def serve(args: argparse.Namespace) -> int:
    app = App(args)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
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
    handler_url = args.public_url or f"http://{args.host}:{server.server_address[1]}/handler"
    answer = call(
        app.endpoint,
        "messageservice.sender.add",
        app.token,
        {
            "CODE": app.code,
            "TYPE": "SMS",
            "HANDLER": handler_url,
            "NAME": args.name,
            "DESCRIPTION": "Prints messages and reports them delivered",
        },
    )
    if "error" in answer and answer["error"] != "ERROR_SENDER_ALREADY_INSTALLED":
        say("register_failed", answer=answer)
        return 1
    if "error" in answer:  # installed by an earlier run: point it at this one
        answer = call(
            app.endpoint,
            "messageservice.sender.update",
            app.token,
            {"CODE": app.code, "HANDLER": handler_url},
        )
    say("registered", code=app.code, handler=handler_url, answer=answer)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if args.unregister:
            say(
                "unregistered",
                answer=call(app.endpoint, "messageservice.sender.delete", app.token, {"CODE": app.code}),
            )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flowgate", default="http://127.0.0.1:8000", help="Flowgate's base URL")
    parser.add_argument("--token", required=True, help="an app access token or the workspace API token")
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
