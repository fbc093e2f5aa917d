"""The workspace settings screen: name and time zone (administrators change them, per
web.permissions; other members see them)."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from channels_app import workspaces
from web.permissions import can, request_role
from web.requests import user_workspace


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
