"""Templates and event-webhook screens.

Thin like the other screens: read the post, call the template/webhook services, render. Every
lookup goes through the user's workspace, so another workspace's codes and uuids are "not found".
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from channels_app.models import MessageTemplate, WebhookDelivery, WebhookSubscription, Workspace
from channels_app.services import webhooks as webhook_service
from flows.services import templates as template_service
from web.requests import user_workspace
from web.views.dashboard import _wants_json

# A form never carries more rows than this; the rest of the post is ignored rather than trusted.
MAX_ROWS = 40
DELIVERY_PAGE = 100
EVENT_LABELS = {
    webhook_service.MESSAGE_RECEIVED: "Message received",
    webhook_service.MESSAGE_STATUS: "Message status changed",
    webhook_service.CALL_EVENT: "Call event",
    webhook_service.FLOW_COMPLETED: "Flow completed",
}


# ------------------------------------------------------------------------------------ templates


def _rows(post: QueryDict, prefix: str, keys: tuple[str, str]) -> list[tuple[str, str]]:
    """`prefix-N-key` pairs in index order; rows left blank are dropped."""
    indexes = sorted({int(m.group(1)) for k in post if (m := re.fullmatch(rf"{prefix}-(\d+)-{keys[0]}", k))})[
        :MAX_ROWS
    ]
    rows = [
        (post.get(f"{prefix}-{i}-{keys[0]}", "").strip(), post.get(f"{prefix}-{i}-{keys[1]}", ""))
        for i in indexes
    ]
    return [(a, b) for a, b in rows if a or b.strip()]


class _Draft:
    """What the template form posted, kept as typed so a refused form shows it again."""

    def __init__(self, post: QueryDict | None = None, template: MessageTemplate | None = None) -> None:
        self.errors: dict[str, str] = {}
        if post is not None:
            self.code = post.get("code", template.code if template else "").strip()
            self.name = post.get("name", "").strip()
            self.base_language = post.get("base_language", "").strip()
            self.translations = [(lang, text.strip()) for lang, text in _rows(post, "tr", ("lang", "text"))]
            self.variables = [
                (name, default.strip()) for name, default in _rows(post, "var", ("name", "default"))
            ]
        elif template is not None:
            self.code, self.name, self.base_language = template.code, template.name, template.base_language
            self.translations = list(template.translations.items())
            self.variables = [(k, "" if v is None else str(v)) for k, v in template.variables.items()]
        else:
            self.code = self.name = self.base_language = ""
            self.translations, self.variables = [], []

    def service_args(self) -> dict[str, Any] | None:
        """Arguments for the template service, or None with `errors` set (duplicates, blanks)."""
        translations: dict[str, str] = {}
        for lang, text in self.translations:
            if not lang:
                self.errors["translations"] = "each text needs its language code"
            elif lang in translations:
                self.errors["translations"] = f"{lang} is given twice"
            translations[lang] = text
        variables: dict[str, str | None] = {}
        for name, default in self.variables:
            if not name:
                self.errors["variables"] = "each default needs its variable name"
            elif name in variables:
                self.errors["variables"] = f"{name} is declared twice"
            # an empty default means "required": the sender must give a value
            variables[name] = default or None
        if self.errors:
            return None
        return {"translations": translations, "variables": variables, "base_language": self.base_language,
                "name": self.name}  # fmt: skip

    def form_rows(self) -> dict[str, list[tuple[int, str, str]]]:
        """Indexed rows plus a blank one of each, so a language or variable can be added without script."""
        tr = [*self.translations, ("", "")]
        var = [*self.variables, ("", "")]
        return {"translations": [(i, a, b) for i, (a, b) in enumerate(tr)],
                "variables": [(i, a, b) for i, (a, b) in enumerate(var)]}  # fmt: skip


def _template(request: HttpRequest, code: str) -> MessageTemplate:
    template = MessageTemplate.objects.filter(workspace=user_workspace(request), code=code).first()
    if template is None:
        raise Http404("no such template")
    return template


def _template_list(
    request: HttpRequest, workspace: Workspace, draft: _Draft, status: int = 200
) -> HttpResponse:
    templates = MessageTemplate.objects.filter(workspace=workspace).order_by("code")
    return render(request, "more/templates.html", {"templates": templates, "draft": draft, "rows": draft.form_rows()},
                  status=status)  # fmt: skip


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    if request.method != "POST":
        return _template_list(request, workspace, _Draft())
    draft = _Draft(request.POST)
    args = draft.service_args()
    if args is not None:
        try:
            template = template_service.create_template(workspace=workspace, code=draft.code, **args)
        except template_service.TemplateError as exc:
            draft.errors.update(exc.errors or {"general": str(exc)})
        else:
            flash.success(request, f"Template {template.code} added: try it with sample values below.")
            return redirect("template_edit", code=template.code)
    return _template_list(request, workspace, draft, status=400)


def _template_page(request: HttpRequest, template: MessageTemplate, draft: _Draft, *, status: int = 200,
                   preview: dict[str, Any] | None = None) -> HttpResponse:  # fmt: skip
    samples = (preview or {}).get("params", {})
    context = {
        "template": template,
        "draft": draft,
        "rows": draft.form_rows(),
        "variables": [(name, default, samples.get(name, "")) for name, default in template.variables.items()],
        "languages": list(template.translations),
        "preview": preview,
    }
    return render(request, "more/template_edit.html", context, status=status)


@login_required
def template_edit(request: HttpRequest, code: str) -> HttpResponse:
    template = _template(request, code)
    if request.method != "POST":
        return _template_page(request, template, _Draft(template=template))
    draft = _Draft(request.POST, template)
    args = draft.service_args()
    if args is not None:
        try:
            template_service.update_template(template=template, **args)
        except template_service.TemplateError as exc:
            draft.errors.update(exc.errors or {"general": str(exc)})
        else:
            flash.success(request, f"Template {template.code} saved.")
            return redirect("template_edit", code=template.code)
    template.refresh_from_db()  # the preview keeps using what is saved
    return _template_page(request, template, draft, status=400)


@login_required
@require_POST
def template_delete(request: HttpRequest, code: str) -> HttpResponse:
    template = _template(request, code)
    template.delete()
    flash.success(request, f"Template {code} deleted.")
    return redirect("template_list")


@login_required
@require_POST
def template_preview(request: HttpRequest, code: str) -> HttpResponse:
    """Render with sample values through the same checks a send makes; an empty sample means "not given"."""
    template = _template(request, code)
    language = request.POST.get("language", "")
    if language and language not in template.translations:
        language = ""
    params = {name: request.POST[f"param-{name}"] for name in template.variables
              if request.POST.get(f"param-{name}", "") != ""}  # fmt: skip
    try:
        text = template_service.render(template=template, params=params, language=language)
    except template_service.TemplateError as exc:
        if _wants_json(request):
            return JsonResponse({"error": str(exc), "errors": exc.errors}, status=400)
        preview = {"error": str(exc), "errors": exc.errors, "params": params, "language": language}
        return _template_page(request, template, _Draft(template=template), status=400, preview=preview)
    if _wants_json(request):
        return JsonResponse({"text": text, "language": language or template.base_language})
    preview = {"text": text, "params": params, "language": language}
    return _template_page(request, template, _Draft(template=template), preview=preview)


# ------------------------------------------------------------------------------------- webhooks


def _subscription(request: HttpRequest, subscription_uuid: Any) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.filter(
        workspace=user_workspace(request), uuid=subscription_uuid
    ).first()
    if subscription is None:
        raise Http404("no such webhook")
    return subscription


def _event_choices(selected: list[str]) -> list[tuple[str, str, bool]]:
    return [(code, EVENT_LABELS.get(code, code), code in selected) for code in webhook_service.EVENTS]


@login_required
@never_cache
def webhook_list(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    status, error, created = 200, "", None
    url, events = "", list(webhook_service.EVENTS)
    if request.method == "POST":
        url, events = request.POST.get("url", "").strip(), request.POST.getlist("events")
        try:
            subscription = webhook_service.create_subscription(workspace=workspace, url=url, events=events)
        except webhook_service.WebhookError as exc:
            status, error = 400, str(exc)
        else:
            # The clear secret is in this one response only (never_cache, no redirect through the
            # session), like a new API key: the list shows the masked form afterwards.
            status, created = 201, webhook_service.subscription_payload(subscription, with_secret=True)
            url, events = "", list(webhook_service.EVENTS)
    subscriptions = [
        (webhook_service.subscription_payload(s), s)
        for s in WebhookSubscription.objects.filter(workspace=workspace).order_by("id")
    ]
    counts = _delivery_counts(workspace)
    rows = [(payload, counts.get(s.id, {})) for payload, s in subscriptions]
    context = {"rows": rows, "error": error, "created": created, "url": url, "event_choices": _event_choices(events),
               "labels": EVENT_LABELS}  # fmt: skip
    return render(request, "more/webhooks.html", context, status=status)


def _delivery_counts(workspace: Workspace) -> dict[int, dict[str, int]]:
    from django.db.models import Count

    counts: dict[int, dict[str, int]] = {}
    rows = (WebhookDelivery.objects.filter(workspace=workspace).values("subscription_id", "status")
            .annotate(n=Count("id")))  # fmt: skip
    for row in rows:
        counts.setdefault(row["subscription_id"], {})[row["status"]] = row["n"]
    return counts


@login_required
def webhook_detail(request: HttpRequest, subscription_uuid: Any) -> HttpResponse:
    subscription = _subscription(request, subscription_uuid)
    status_filter = request.GET.get("status", "")
    deliveries = subscription.deliveries.prefetch_related("attempt_log").order_by("-id")
    if status_filter in WebhookDelivery.Status.values:
        deliveries = deliveries.filter(status=status_filter)
    else:
        status_filter = ""
    shown = list(deliveries[:DELIVERY_PAGE])
    for d in shown:
        d.pretty_payload = json.dumps(d.payload, indent=2, ensure_ascii=False)  # type: ignore[attr-defined]
    context = {
        "subscription": webhook_service.subscription_payload(subscription),
        "deliveries": shown,
        "statuses": WebhookDelivery.Status.values,
        "status_filter": status_filter,
        "labels": EVENT_LABELS,
    }
    return render(request, "more/webhook_detail.html", context)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, subscription_uuid: Any) -> HttpResponse:
    subscription = _subscription(request, subscription_uuid)
    url = subscription.url
    subscription.delete()
    flash.success(request, f"Webhook to {url} deleted: its deliveries are gone too.")
    return redirect("webhook_list")


@login_required
@require_POST
def delivery_replay(request: HttpRequest, delivery_uuid: Any) -> HttpResponse:
    delivery = (WebhookDelivery.objects.filter(workspace=user_workspace(request), uuid=delivery_uuid)
                .select_related("subscription").first())  # fmt: skip
    if delivery is None:
        raise Http404("no such delivery")
    copy = webhook_service.replay(delivery=delivery)
    if _wants_json(request):
        return JsonResponse(webhook_service.delivery_payload(copy), status=201)
    flash.success(request, f"The {delivery.event} event is queued again as a new delivery.")
    return redirect("webhook_detail", subscription_uuid=delivery.subscription.uuid)
