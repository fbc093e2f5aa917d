"""/rest/<method>: the Bitrix-compatible message-service REST methods for handler apps.

Parameters come from the query string, a form or a JSON body, in any letter case (Bitrix's own
examples mix `MESSAGE_ID` and `message_id`); form arrays such as `NAME[en]` become objects.
Answers are `{"result": …, "time": {…}}` or `{"error": CODE, "error_description": …}`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from aggregators.handler import auth, senders
from aggregators.handler.auth import Caller, RestError
from channels_app import jsonlimits

_ARRAY_KEY = re.compile(r"^([^\[\]]+)\[([^\[\]]*)\]$")

Method = Callable[[Caller, dict[str, Any]], Any]


def _sender_add(caller: Caller, p: dict[str, Any]) -> Any:
    senders.add_sender(
        caller=caller,
        code=p.get("CODE"),
        sender_type=p.get("TYPE"),
        handler=p.get("HANDLER"),
        name=p.get("NAME"),
        description=p.get("DESCRIPTION"),
    )
    return True


def _sender_update(caller: Caller, p: dict[str, Any]) -> Any:
    senders.update_sender(
        caller=caller,
        code=p.get("CODE"),
        handler=p.get("HANDLER"),
        name=p.get("NAME"),
        description=p.get("DESCRIPTION"),
    )
    return True


def _sender_delete(caller: Caller, p: dict[str, Any]) -> Any:
    senders.delete_sender(caller=caller, code=p.get("CODE"))
    return True


def _sender_list(caller: Caller, p: dict[str, Any]) -> Any:
    return senders.list_senders(caller=caller)


def _status_update(caller: Caller, p: dict[str, Any]) -> Any:
    senders.update_message_status(
        caller=caller, code=p.get("CODE"), message_id=p.get("MESSAGE_ID"), status=p.get("STATUS")
    )
    return True


METHODS: dict[str, Method] = {
    "messageservice.sender.add": _sender_add,
    "messageservice.sender.update": _sender_update,
    "messageservice.sender.delete": _sender_delete,
    "messageservice.sender.list": _sender_list,
    "messageservice.message.status.update": _status_update,
}


def _time(started: float, started_wall: float) -> dict[str, Any]:
    finished = time.time()
    duration = time.monotonic() - started
    return {
        "start": started_wall,
        "finish": finished,
        "duration": duration,
        "processing": duration,
        "date_start": datetime.fromtimestamp(started_wall, UTC).isoformat(),
        "date_finish": datetime.fromtimestamp(finished, UTC).isoformat(),
    }


def error_response(exc: RestError) -> JsonResponse:
    return JsonResponse({"error": exc.code, "error_description": exc.description}, status=exc.status)


def _merge(params: dict[str, Any], key: str, value: Any) -> None:
    match = _ARRAY_KEY.match(key)
    if match:
        name, sub = match.group(1).upper(), match.group(2)
        target = params.get(name)
        if not isinstance(target, dict):
            target = params[name] = {}
        target[sub] = value
    else:
        params[key.upper()] = value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def read_params(request: HttpRequest) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in request.GET.items():
        _merge(params, key, value)
    if request.method == "POST":
        content_type = (request.content_type or "").lower()
        if content_type == "application/json":
            try:
                body = jsonlimits.loads(request.body or b"{}")
            except jsonlimits.TooDeep as exc:
                raise RestError("INVALID_REQUEST", str(exc)) from None
            except (ValueError, UnicodeDecodeError):
                raise RestError("INVALID_REQUEST", "the body is not valid JSON") from None
            if not isinstance(body, dict):
                raise RestError("INVALID_REQUEST", "the JSON body must be an object")
            for key, value in body.items():
                params[str(key).upper()] = value
        else:
            for key, value in request.POST.items():
                _merge(params, key, value)
    if _has_nul(params):  # the database cannot store NUL characters
        raise RestError("INVALID_REQUEST", "parameters must not contain NUL characters")
    return params


def _token(request: HttpRequest, params: dict[str, Any]) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    given = params.get("AUTH")
    if isinstance(given, dict):  # auth[access_token]=… as in the handler form
        given = given.get("access_token")
    return given if isinstance(given, str) else ""


@csrf_exempt
def rest_method(request: HttpRequest, method: str) -> HttpResponse:
    started, started_wall = time.monotonic(), time.time()
    name = method.lower().removesuffix(".json")
    handler = METHODS.get(name)
    try:
        if handler is None:
            raise RestError("ERROR_METHOD_NOT_FOUND", "Method not found!", 404)
        if request.method not in ("GET", "POST"):
            raise RestError("INVALID_REQUEST", "use GET or POST", 405)
        params = read_params(request)
        caller = auth.authenticate(_token(request, params))
        result = handler(caller, params)
    except RequestDataTooBig:
        return error_response(RestError("INVALID_REQUEST", "request body too large", 413))
    except RestError as exc:
        return error_response(exc)
    return JsonResponse({"result": result, "time": _time(started, started_wall)})


@csrf_exempt
def oauth_token(request: HttpRequest) -> HttpResponse:
    """OAuth2 refresh: `grant_type=refresh_token&refresh_token=…` → new access and refresh tokens."""
    try:
        params = read_params(request)
        grant = str(params.get("GRANT_TYPE") or "")
        if grant != "refresh_token":
            raise RestError("unsupported_grant_type", "only grant_type=refresh_token is supported")
        return JsonResponse(auth.refresh(refresh_token=str(params.get("REFRESH_TOKEN") or "")))
    except RestError as exc:
        return error_response(exc)
