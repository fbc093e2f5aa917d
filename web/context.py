from django.http import HttpRequest

from channels_app.workspaces import workspace_for_user


def workspace(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"workspace": workspace_for_user(user)}
