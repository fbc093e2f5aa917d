"""Contacts screens: the searchable list, a contact's page (edit, groups, history, send), groups.

Thin views: reading is services.contact_screens, changes go through services.contacts/groups/send.
Click-to-call stays in web.views.calls.contact_call; this page only shows its card.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from aggregators.voice import services as voice
from channels_app.models import Contact, ContactGroup
from channels_app.services import contact_screens as screens
from channels_app.services import contacts as contact_service
from channels_app.services import fields as field_service
from channels_app.services import groups as group_service
from channels_app.services.contact_query import QueryError
from channels_app.services.send import SendError
from web.requests import user_workspace


def _contact(request: HttpRequest, contact_uuid: Any) -> Contact:
    contact = Contact.objects.filter(workspace=user_workspace(request), uuid=contact_uuid).first()
    if contact is None:
        raise Http404("no such contact")
    return contact


def _group(request: HttpRequest, group_uuid: Any) -> ContactGroup:
    group = ContactGroup.objects.filter(workspace=user_workspace(request), uuid=group_uuid).first()
    if group is None:
        raise Http404("no such group")
    return group


@login_required
def contact_list(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    search = request.GET.get("search", "").strip()[:200]
    group_uuid = request.GET.get("group", "")
    group = screens.find_group(workspace=workspace, group_uuid=group_uuid) if group_uuid else None
    if group_uuid and group is None:
        raise Http404("no such group")
    status = request.GET.get("status", "")
    status = status if status in Contact.Status.values else ""
    query_error = ""
    try:
        page = screens.search_contacts(
            workspace=workspace,
            query=search,
            group=group,
            before=screens.parse_before(request.GET.get("before", "")),
            status=status,
        )
    except QueryError as exc:
        query_error = str(exc)
        page = screens.Page(rows=[])
    params = request.GET.copy()
    params.pop("before", None)
    newer_query = params.urlencode()
    older_query = None
    if page.older is not None:
        params["before"] = str(page.older)
        older_query = params.urlencode()
    context_groups = list(group_service.list_groups(workspace=workspace))
    context = {
        "contacts": page.rows,
        "search": search,
        "group": group,
        "groups": context_groups,
        "older": older_query,
        "newer": newer_query if page.newer else None,
        "status": status,
        "statuses": Contact.Status.choices,
        "query_error": query_error,
        "manual_groups": [g for g in context_groups if not g.query],
    }
    return render(request, "contacts/list.html", context, status=400 if query_error else 200)


def _detail_context(request: HttpRequest, contact: Contact) -> dict[str, Any]:
    history = screens.message_history(
        contact=contact, before=screens.parse_before(request.GET.get("before", ""))
    )
    values = contact.fields or {}
    member_of = list(contact.groups.order_by("name"))
    member_ids = {g.id for g in member_of}
    # RapidPro's way: only the fields this contact has a value for are inputs; any other one is
    # set through the "add field" picker, so a workspace with 40 fields isn't a 40-input form.
    all_fields = list(field_service.list_fields(workspace=contact.workspace))
    return {
        "contact": contact,
        "urns": contact.urns.all(),
        "tel_urns": [u.identity for u in contact.urns.all() if u.scheme == "tel"],
        "fields": [{"field": f, "value": values[f.key]} for f in all_fields if values.get(f.key)],
        "unset_fields": [f for f in all_fields if not values.get(f.key)],
        "has_fields": bool(all_fields),
        "member_of": member_of,
        "other_groups": [
            g for g in group_service.list_groups(workspace=contact.workspace) if g.id not in member_ids
        ],
        "msgs": history.rows,
        "older": history.older,
        "newer": history.newer,
        "send_channels": screens.send_channels(contact=contact),
        "phone_channels": voice.phone_channels(workspace_id=contact.workspace_id),
        "calls": contact.calls.select_related("channel").order_by("-id")[:50],
        "phone": voice.agent_phone(request.user),
    }


@login_required
def contact_detail(request: HttpRequest, contact_uuid: Any) -> HttpResponse:
    contact = _contact(request, contact_uuid)
    return render(request, "contacts/detail.html", _detail_context(request, contact))


def _posted_fields(request: HttpRequest, contact: Contact) -> dict[str, str]:
    """The shown field inputs (`field_<key>`, empty clears) plus the one the "add field" picker
    sets (`add_field` + `add_value`); the service checks every value against its field's type."""
    keys = {f.key: f for f in field_service.list_fields(workspace=contact.workspace)}
    values = {k: request.POST.get(f"field_{k}", "") for k in keys if f"field_{k}" in request.POST}
    add_key = request.POST.get("add_field", "").strip()
    if add_key:
        if add_key not in keys:
            raise contact_service.ContactError(f"{add_key!r} is not a field of this workspace")
        add_value = request.POST.get("add_value", "").strip()
        if not add_value:
            raise contact_service.ContactError(f"give a value for {keys[add_key].name}")
        values[add_key] = add_value
    return values


@login_required
@require_POST
def contact_update(request: HttpRequest, contact_uuid: Any) -> HttpResponse:
    """Name, language, the shown fields and one added field at once; one bad value saves nothing."""
    contact = _contact(request, contact_uuid)
    try:
        contact_service.update_contact(
            contact=contact,
            name=request.POST.get("name", contact.name),
            language=request.POST.get("language", contact.language),
            fields=_posted_fields(request, contact),
        )
    except contact_service.ContactError as exc:
        context = _detail_context(request, contact)
        context["edit_error"] = str(exc)
        context["posted"] = request.POST
        # show what was typed, so the user fixes one value instead of retyping all
        for row in context["fields"]:
            row["value"] = request.POST.get(f"field_{row['field'].key}", row["value"])
        context["add_field"] = request.POST.get("add_field", "")
        context["add_value"] = request.POST.get("add_value", "")
        return render(request, "contacts/detail.html", context, status=400)
    flash.success(request, "Contact saved.")
    return redirect("contact_detail", contact_uuid=contact.uuid)


@login_required
@require_POST
def contact_groups(request: HttpRequest, contact_uuid: Any) -> HttpResponse:
    contact = _contact(request, contact_uuid)
    add, remove = request.POST.get("add", ""), request.POST.get("remove", "")
    ref = add or remove
    group = screens.find_group(workspace=contact.workspace, group_uuid=ref) if ref else None
    if group is None:
        raise Http404("no such group")
    try:
        if add:
            group_service.change_members(group=group, add=[str(contact.uuid)], remove=[])
            flash.success(request, f"Added to {group.name}.")
        else:
            group_service.change_members(group=group, add=[], remove=[str(contact.uuid)])
            flash.success(request, f"Removed from {group.name}.")
    except group_service.GroupError as exc:
        flash.error(request, str(exc))
    return redirect(reverse("contact_detail", args=[contact.uuid]) + "#groups")


@login_required
@require_POST
def contact_send(request: HttpRequest, contact_uuid: Any) -> HttpResponse:
    contact = _contact(request, contact_uuid)
    try:
        msg = screens.send_to_contact(
            contact=contact,
            channel_uuid=request.POST.get("channel", ""),
            urn=request.POST.get("urn", ""),
            text=request.POST.get("text", ""),
            user_id=request.user.pk,
        )
    except SendError as exc:
        context = _detail_context(request, contact)
        context["send_error"] = str(exc)
        context["send_text"] = request.POST.get("text", "")
        return render(request, "contacts/detail.html", context, status=400)
    flash.success(request, f"Message to {msg.urn} queued.")
    return redirect(reverse("contact_detail", args=[contact.uuid]) + "#history")


@login_required
def group_list(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    error, status = "", 200
    if request.method == "POST":
        try:
            group = group_service.create_group(
                workspace=workspace, name=request.POST.get("name", ""), query=request.POST.get("query", "")
            )
        except group_service.GroupError as exc:
            error, status = str(exc), 400
        else:
            flash.success(request, f"Group {group.name} created.")
            return redirect("group_list")
    context = {"groups": group_service.list_groups(workspace=workspace), "error": error}
    return render(request, "contacts/groups.html", context, status=status)


@login_required
def group_edit(request: HttpRequest, group_uuid: Any) -> HttpResponse:
    """A group's page: rename it and, for a smart group, edit its query. A changed query is
    checked first (a bad one is a 400 naming the problem, nothing saved), then the members are
    recomputed by the same background job the API uses; the page shows its progress."""
    group = _group(request, group_uuid)
    error, status = "", 200
    if request.method == "POST":
        name = request.POST.get("name", group.name)
        query = request.POST.get("query")
        try:
            with transaction.atomic():
                if name != group.name:
                    group_service.rename_group(group=group, name=name)
                if query is not None and group.query and " ".join(query.split()) != group.query:
                    group_service.set_query(group=group, query=query)
                    flash.success(request, "Query saved: recomputing the members.")
        except group_service.GroupError as exc:
            error, status = str(exc), 400
        else:
            return redirect("group_edit", group_uuid=group.uuid)
    group = group_service.list_groups(workspace=group.workspace).get(id=group.id)
    context = {
        "group": group,
        "payload": group_service.group_payload(group),
        "error": error,
        "posted": request.POST if error else None,
    }
    return render(request, "contacts/group_edit.html", context, status=status)


@login_required
@require_POST
def group_rename(request: HttpRequest, group_uuid: Any) -> HttpResponse:
    group = _group(request, group_uuid)
    try:
        group_service.rename_group(group=group, name=request.POST.get("name", ""))
        flash.success(request, f"Renamed to {group.name}.")
    except group_service.GroupError as exc:
        flash.error(request, str(exc))
    return redirect("group_list")


@login_required
@require_POST
def group_delete(request: HttpRequest, group_uuid: Any) -> HttpResponse:
    group = _group(request, group_uuid)
    name = group.name
    group_service.delete_group(group=group)
    flash.success(request, f"Group {name} deleted; its contacts stay.")
    return redirect("group_list")
