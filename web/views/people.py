"""People screens beyond the contact list: new contact, bulk actions, import, labels.

Thin views: services.contacts / contact_import / labels (channels_app) and flows.services.contact_actions do the work.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from channels_app.models import Contact, ContactImport
from channels_app.services import contact_import as import_service
from channels_app.services import contact_screens
from channels_app.services import contacts as contact_service
from channels_app.services import fields as field_service
from channels_app.services import groups as group_service
from channels_app.services import labels as label_service
from channels_app.services.contact_query import QueryError, workspace_country
from flows.services import contact_actions
from web.requests import user_workspace


def _back(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@login_required
def contact_new(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    fields = list(field_service.list_fields(workspace=workspace))
    error, status = "", 200
    if request.method == "POST":
        urn_list = [
            u.strip() for u in request.POST.get("urns", "").replace(",", "\n").splitlines() if u.strip()
        ]
        values = {
            f.key: request.POST.get(f"field_{f.key}", "")
            for f in fields
            if request.POST.get(f"field_{f.key}")
        }
        try:
            contact = contact_service.create_contact(
                workspace=workspace,
                name=request.POST.get("name", ""),
                urn_list=urn_list,
                language=request.POST.get("language", ""),
                fields=values,
                country=workspace_country(workspace.id),
                groups=request.POST.getlist("groups"),
            )
        except contact_service.ContactError as exc:
            error, status = str(exc), 400
        else:
            flash.success(request, "Contact created.")
            return redirect("contact_detail", contact_uuid=contact.uuid)
    context = {
        "fields": fields,
        "groups": [g for g in group_service.list_groups(workspace=workspace) if not g.query],
        "error": error,
        "posted": request.POST,
    }
    return render(request, "contacts/new.html", context, status=status)


@login_required
@require_POST
def contact_bulk(request: HttpRequest) -> HttpResponse:
    """The list's action bar: the ticked contacts, or every contact matching the search."""
    workspace = user_workspace(request)
    back = _back(request, "/contacts/")
    try:
        if request.POST.get("all_matching") == "1":
            selected = _all_matching(request, workspace)
        else:
            selected = contact_actions.select(
                workspace=workspace, contact_uuids=request.POST.getlist("contacts")
            )
        result = contact_actions.apply(
            workspace=workspace,
            contacts=selected,
            action=request.POST.get("action", ""),
            group=request.POST.get("group", ""),
        )
    except contact_actions.ActionError as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, f"{result['action'].capitalize()}: {result['affected']} contacts.")
    return redirect(back)


def _all_matching(request: HttpRequest, workspace: Any) -> QuerySet[Contact]:
    """What the list showed (its search, group and status), on every page; never more."""
    group = None
    group_uuid = request.POST.get("list_group", "")
    if group_uuid:
        group = contact_screens.find_group(workspace=workspace, group_uuid=group_uuid)
        if group is None:
            raise contact_actions.ActionError("no such group")
    status = request.POST.get("list_status", "")
    if status and status not in Contact.Status.values:
        raise contact_actions.ActionError(f"no such contact status: {status}")
    try:
        return contact_screens.matching_contacts(
            workspace=workspace, query=request.POST.get("query", "")[:200], group=group, status=status
        )
    except QueryError as exc:
        raise contact_actions.ActionError(f"invalid query: {exc}") from None


# ------------------------------------------------------------------------------ import


@login_required
def import_start(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    error, status = "", 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error, status = "choose a CSV or XLSX file", 400
        else:
            try:
                imp = import_service.upload(
                    workspace=workspace,
                    filename=upload.name or "contacts.csv",
                    content=upload.read(),
                    user_id=request.user.pk,
                    groups=[g for g in request.POST.get("groups", "").split(",") if g.strip()],
                    start=False,
                )
            except import_service.ImportError_ as exc:
                error, status = str(exc), 400
            else:
                return redirect("contact_import", import_uuid=imp.uuid)
    return render(request, "contacts/import.html", {"error": error}, status=status)


def _import(request: HttpRequest, import_uuid: Any) -> ContactImport:
    imp = ContactImport.objects.filter(workspace=user_workspace(request), uuid=import_uuid).first()
    if imp is None:
        raise Http404("no such import")
    return imp


@login_required
def contact_import(request: HttpRequest, import_uuid: Any) -> HttpResponse:
    """Before the job: the new fields' types to choose; then the live progress and the result."""
    imp = _import(request, import_uuid)
    error, status = "", 200
    if request.method == "POST" and imp.status == ContactImport.Status.PREVIEW:
        types = {
            spec["key"]: request.POST.get(f"type_{spec['key']}", "text")
            for spec in imp.field_columns.values()
            if spec["new"]
        }
        try:
            import_service.begin(imp=imp, field_types=types)
        except import_service.ImportError_ as exc:
            error, status = str(exc), 400
        else:
            return redirect("contact_import", import_uuid=imp.uuid)
    payload = import_service.import_payload(imp)
    context = {
        "imp": imp,
        "payload": payload,
        "new_fields": [spec for spec in imp.field_columns.values() if spec["new"]],
        "value_types": field_service.VALUE_TYPES,
        "error": error,
    }
    return render(request, "contacts/import_detail.html", context, status=status)


@login_required
def contact_import_status(request: HttpRequest, import_uuid: Any) -> JsonResponse:
    """What the progress bar polls (the same shape as GET /api/v1/contacts/imports/<uuid>)."""
    payload = import_service.import_payload(_import(request, import_uuid))
    return JsonResponse(payload, json_dumps_params={"default": str})


# ------------------------------------------------------------------------------ labels


@login_required
def label_list(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    error, status = "", 200
    if request.method == "POST":
        try:
            label = label_service.create_label(workspace=workspace, name=request.POST.get("name", ""))
        except label_service.LabelError as exc:
            error, status = str(exc), 400
        else:
            flash.success(request, f"Label {label.name} created.")
            return redirect("label_list")
    context = {"labels": label_service.list_labels(workspace=workspace), "error": error}
    return render(request, "messages/labels.html", context, status=status)


@login_required
@require_POST
def message_label_action(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    try:
        affected = label_service.message_action(
            workspace=workspace,
            msg_uuids=request.POST.getlist("msgs"),
            action=request.POST.get("action", ""),
            label=request.POST.get("label", ""),
        )
    except label_service.LabelError as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, f"{request.POST.get('action', '').capitalize()}: {affected} messages.")
    return redirect(_back(request, "/messages/"))
