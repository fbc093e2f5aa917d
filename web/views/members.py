"""Members of the workspace and their roles, invitations by link, and the accept page.

The accept page is open to anyone holding a valid link (web.permissions exempts /invitations/);
everything else here needs the "members" permission (administrators) to change."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from channels_app.models import Invitation, Membership
from channels_app.services import members as svc
from web.permissions import can, request_role
from web.requests import user_workspace


def _membership(request: HttpRequest, membership_id: int) -> Membership:
    found = (
        Membership.objects.filter(workspace=user_workspace(request), id=membership_id)
        .select_related("user")
        .first()
    )
    if found is None:
        raise Http404("no such member")
    return found


@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    context = {
        "members": Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by("user__username"),
        "invitations": Invitation.objects.filter(workspace=workspace, accepted_on__isnull=True).order_by(
            "-id"
        )[:50],
        "roles": svc.ROLES,
        "may_manage": can(request_role(request), "members"),
        "link": request.session.pop("invitation_link", ""),
    }
    return render(request, "members/list.html", context)


@login_required
@require_POST
def member_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    try:
        svc.set_role(membership=_membership(request, membership_id), role=request.POST.get("role", ""))
        flash.success(request, "Role changed.")
    except svc.MemberError as exc:
        flash.error(request, str(exc))
    return redirect("member_list")


@login_required
@require_POST
def member_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    try:
        svc.remove_member(membership=_membership(request, membership_id))
        flash.success(request, "Member removed.")
    except svc.MemberError as exc:
        flash.error(request, str(exc))
    return redirect("member_list")


@login_required
@require_POST
def invite(request: HttpRequest) -> HttpResponse:
    try:
        _, token = svc.invite(
            workspace=user_workspace(request),
            role=request.POST.get("role", ""),
            email=request.POST.get("email", ""),
            created_by=request.user,
        )
    except svc.MemberError as exc:
        flash.error(request, str(exc))
        return redirect("member_list")
    request.session["invitation_link"] = request.build_absolute_uri(f"/invitations/{token}/")
    flash.success(
        request, f"Invitation created: send the link below; it works once, for {svc.INVITATION_DAYS} days."
    )
    return redirect("member_list")


def accept(request: HttpRequest, token: str) -> HttpResponse:
    error = ""
    try:
        invitation = svc.find_invitation(token=token)
    except svc.MemberError as exc:
        return render(request, "members/accept.html", {"error": str(exc)}, status=404)
    if request.method == "POST":
        try:
            membership = svc.accept(
                token=token,
                user=request.user,
                email=request.POST.get("email", ""),
                password=request.POST.get("password", ""),
            )
        except svc.MemberError as exc:
            error = str(exc)
        else:
            if not request.user.is_authenticated:
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            flash.success(request, f"Welcome to {invitation.workspace.name}.")
            return redirect("dashboard")
    context: dict[str, Any] = {"invitation": invitation, "error": error}
    return render(request, "members/accept.html", context, status=400 if error else 200)
