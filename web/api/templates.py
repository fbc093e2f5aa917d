from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Router, Schema

from channels_app.models import MessageTemplate
from flows.services import templates as template_service
from web.api.schemas import ErrorOut
from web.requests import WorkspaceRequest

router = Router(tags=["templates"])


class TemplateIn(Schema):
    code: str
    name: str = ""
    base_language: str = ""
    translations: dict[str, str]
    variables: dict[str, str | int | float | bool | None] = {}


class TemplatePatch(Schema):
    name: str | None = None
    base_language: str | None = None
    translations: dict[str, str] | None = None
    variables: dict[str, str | int | float | bool | None] | None = None


class TemplateOut(Schema):
    uuid: str
    code: str
    name: str
    base_language: str
    translations: dict[str, str]
    variables: dict[str, str | None]
    created_on: datetime
    modified_on: datetime


class RenderIn(Schema):
    params: dict[str, Any] = {}
    language: str = ""


class RenderOut(Schema):
    text: str


def _get(request: WorkspaceRequest, code: str) -> MessageTemplate:
    from ninja.errors import HttpError

    template = MessageTemplate.objects.filter(workspace=request.workspace, code=code).first()
    if template is None:
        raise HttpError(404, "template not found")
    return template


@router.get("", response=list[TemplateOut])
def list_templates(request: WorkspaceRequest) -> list[dict[str, Any]]:
    qs = MessageTemplate.objects.filter(workspace=request.workspace).order_by("code")
    return [template_service.template_payload(t) for t in qs]


@router.post("", response={201: TemplateOut, 400: ErrorOut})
def create_template(request: WorkspaceRequest, payload: TemplateIn) -> Any:
    try:
        template = template_service.create_template(
            workspace=request.workspace,
            code=payload.code,
            name=payload.name,
            base_language=payload.base_language,
            translations=payload.translations,
            variables=payload.variables,
        )
    except template_service.TemplateError as exc:
        return 400, {"error": str(exc), "errors": exc.errors}
    return 201, template_service.template_payload(template)


@router.get("/{code}", response={200: TemplateOut, 404: ErrorOut})
def get_template(request: WorkspaceRequest, code: str) -> Any:
    return template_service.template_payload(_get(request, code))


@router.patch("/{code}", response={200: TemplateOut, 400: ErrorOut, 404: ErrorOut})
def update_template(request: WorkspaceRequest, code: str, payload: TemplatePatch) -> Any:
    template = _get(request, code)
    try:
        template_service.update_template(template=template, **payload.dict(exclude_unset=True))
    except template_service.TemplateError as exc:
        return 400, {"error": str(exc), "errors": exc.errors}
    return template_service.template_payload(template)


@router.delete("/{code}", response={204: None, 404: ErrorOut})
def delete_template(request: WorkspaceRequest, code: str) -> Any:
    _get(request, code).delete()
    return 204, None


@router.post("/{code}/render", response={200: RenderOut, 400: ErrorOut, 404: ErrorOut})
def render_template(request: WorkspaceRequest, code: str, payload: RenderIn) -> Any:
    """Preview the text a send would use, with the same checks."""
    template = _get(request, code)
    try:
        text = template_service.render(template=template, params=payload.params, language=payload.language)
    except template_service.TemplateError as exc:
        return 400, {"error": str(exc), "errors": exc.errors}
    return {"text": text}
