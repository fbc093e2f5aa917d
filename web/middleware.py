from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


class BodySizeLimitMiddleware:
    """Answer 413 for bodies over FLOWGATE_MAX_BODY_BYTES before anything reads them.

    Django's own limit raises RequestDataTooBig (a 400) only once a view touches the body;
    aggregators deserve the precise status, and we never want to buffer a huge body.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.FLOWGATE_MAX_BODY_BYTES
        if request.path in settings.FLOWGATE_LARGE_BODY_PATHS:
            limit = settings.FLOWGATE_MAX_IMPORT_BYTES  # whole RapidPro exports are legitimately big
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"error": "invalid Content-Length header"}, status=400)
        if length > limit:
            return JsonResponse(
                {"error": f"request body too large: {length} bytes, the limit is {limit}"}, status=413
            )
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Send FLOWGATE_CSP with every response that has none: injected markup cannot run scripts.

    Stored XSS is escaped at render time already; this is the second line, and it stops pages
    from being framed (frame-ancestors) or posting forms elsewhere (form-action).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "FLOWGATE_CSP", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
