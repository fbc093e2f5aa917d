"""Flow pages: the list (create/import/export/archive/start through the API) and the editor shell.

The editor itself is a built bundle (web/static/flowgate/editor/) that talks to /api/v1 with
the login session, so these views only find the flow and render.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from channels_app.models import ContactGroup
from flows.models import Flow
from flows.services.run_counts import run_figures
from web.requests import user_workspace


@login_required
@ensure_csrf_cookie
def flow_list(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    archived = request.GET.get("archived") == "1"
    flows = list(Flow.objects.filter(workspace=workspace, archived=archived).order_by("name", "id"))
    figures = run_figures(flow_ids=[f.id for f in flows])
    rows = [(f, figures[f.id]) for f in flows]
    groups = ContactGroup.objects.filter(workspace=workspace).order_by("name")
    return render(request, "flows/list.html", {"rows": rows, "archived": archived, "groups": groups})


@login_required
@ensure_csrf_cookie
def flow_editor(request: HttpRequest, flow_uuid: str) -> HttpResponse:
    workspace = user_workspace(request)
    flow = Flow.objects.filter(workspace=workspace, uuid=flow_uuid).first()
    if flow is None:
        raise Http404("no such flow")
    legacy = (
        ((flow.definition or {}).get("_ui") or {}).get("legacy")
        if isinstance(flow.definition, dict)
        else None
    )
    return render(
        request, "flows/editor.html", {"flow": flow, "legacy": legacy if isinstance(legacy, dict) else None}
    )
