from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import AuthRateThrottle


class TokenRateThrottle(AuthRateThrottle):
    """Per-token (or per logged-in user) request rate; over it the API answers 429 + Retry-After.

    The rate is read from settings.FLOWGATE_API_RATE on every request so deployments (and
    tests) can change it without re-importing the API.
    """

    def __init__(self) -> None:
        super().__init__(settings.FLOWGATE_API_RATE)

    def allow_request(self, request: HttpRequest) -> bool:
        if self.rate != settings.FLOWGATE_API_RATE:
            self.rate = settings.FLOWGATE_API_RATE
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)
