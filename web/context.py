from django.http import HttpRequest

from channels_app.workspaces import workspaces_of
from web.requests import current_workspace


def workspace(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"workspace": current_workspace(request), "user_workspaces": lambda: workspaces_of(user)}
