"""The workspace settings screen: name and time zone (administrators change them, per
web.permissions; other members see them), and switching between one's workspaces."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from channels_app import workspaces
from web.permissions import can, request_role
from web.requests import SESSION_KEY, user_workspace


@login_required
def workspace_settings(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    error, status = "", 200
    if request.method == "POST":  # RoleMiddleware has already refused non-administrators
        try:
            workspaces.update_workspace(
                workspace=workspace,
                name=request.POST.get("name", workspace.name),
                timezone=request.POST.get("timezone", workspace.timezone),
            )
        except workspaces.WorkspaceError as exc:
            error, status = str(exc), 400
        else:
            flash.success(request, "Workspace settings saved.")
            return redirect("workspace_settings")
    context = {
        "ws": workspace,
        "zones": workspaces.time_zones(),
        "may_change": can(request_role(request), "settings"),
        "error": error,
        "posted": request.POST if error else None,
    }
    return render(request, "settings/workspace.html", context, status=status)


@login_required
@require_POST
def switch_workspace(request: HttpRequest) -> HttpResponse:
    """Act in another of one's workspaces from now on (kept in the session). A workspace the
    user is not a member of is a 404, as if it did not exist; every later request checks the
    membership again (web.requests.current_workspace)."""
    chosen = request.POST.get("workspace", "")
    target = next((w for w in workspaces.workspaces_of(request.user) if str(w.uuid) == chosen), None)
    if target is None:
        raise Http404("you are not a member of that workspace")
    request.session[SESSION_KEY] = str(target.uuid)
    flash.success(request, f"Now working in {target.name}.")
    # the page the user was on shows the other workspace's rows: start from the dashboard
    return redirect("dashboard")
