"""The templates screen: list, create/edit with languages and variables, delete, preview."""

from __future__ import annotations

import re
from typing import Any

from channels_app.models import MessageTemplate
from flows.services.templates import create_template


def _form(code: str = "reminder", **extra: str) -> dict[str, str]:
    return {
        "code": code,
        "name": "Appointment reminder",
        "base_language": "eng",
        "tr-0-lang": "eng",
        "tr-0-text": "Hi @name, see you on @day at @place",
        "tr-1-lang": "fra",
        "tr-1-text": "Bonjour @name, à @day (@place)",
        "tr-2-lang": "",
        "tr-2-text": "",
        "var-0-name": "name",
        "var-0-default": "",
        "var-1-name": "day",
        "var-1-default": "",
        "var-2-name": "place",
        "var-2-default": "the clinic",
        **extra,
    }


def test_create_list_edit_and_delete(client_in: Any, workspace: Any) -> None:
    response = client_in.post("/templates/", _form())
    assert response.status_code == 302 and response["Location"] == "/templates/reminder/"
    template = MessageTemplate.objects.get(workspace=workspace, code="reminder")
    assert template.translations == {"eng": "Hi @name, see you on @day at @place",
                                      "fra": "Bonjour @name, à @day (@place)"}  # fmt: skip
    assert template.variables == {"name": None, "day": None, "place": "the clinic"}
    assert template.base_language == "eng" and template.name == "Appointment reminder"

    page = client_in.get("/templates/").content.decode()
    assert 'data-template-code="reminder"' in page and '<span class="tag base">eng</span>' in page
    assert "place=the clinic" in page and 'name<abbr title="required">*</abbr>' in page

    edit = client_in.get("/templates/reminder/").content.decode()
    assert (
        'name="tr-1-lang" value="fra"' in edit and 'name="tr-2-lang" value=""' in edit
    )  # a blank row to add
    assert 'name="var-2-default" value="the clinic"' in edit

    changed = {**_form(), "tr-1-lang": "", "tr-1-text": "", "var-1-default": "Monday", "name": "Reminder"}
    response = client_in.post("/templates/reminder/", changed)
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.translations == {"eng": "Hi @name, see you on @day at @place"}
    assert template.variables == {"name": None, "day": "Monday", "place": "the clinic"}
    assert template.code == "reminder" and template.name == "Reminder"

    assert client_in.post("/templates/reminder/delete").status_code == 302
    assert not MessageTemplate.objects.filter(code="reminder").exists()
    assert client_in.post("/templates/reminder/delete").status_code == 404
    assert client_in.get("/templates/reminder/").status_code == 404
    assert client_in.get("/templates/reminder/delete").status_code == 405  # POST only


def test_bad_templates_are_refused_and_shown_again(client_in: Any, workspace: Any) -> None:
    cases = [
        ({"code": "Bad Code!"}, "lower-case letters"),
        ({"tr-0-text": "Hi @params.nmae"}, "declare it in variables"),
        ({"tr-1-lang": "eng"}, "eng is given twice"),
        ({"var-1-name": "name"}, "name is declared twice"),
        ({"var-0-name": "contact"}, "is not a usable variable name"),
        ({"base_language": "spa"}, "has no text in translations"),
        ({"tr-0-lang": "", "tr-1-lang": "", "tr-0-text": "", "tr-1-text": ""}, "give at least one language"),
    ]
    for change, message in cases:
        response = client_in.post("/templates/", _form(**change))
        page = response.content.decode()
        assert response.status_code == 400, change
        assert message in page, (change, message)
        assert "has-error" in page
    assert not MessageTemplate.objects.exists()
    # what was typed is kept
    page = client_in.post("/templates/", _form(**{"tr-0-text": "Hi @params.nmae"})).content.decode()
    assert "Hi @params.nmae</textarea>" in page
    # a duplicate code is explained, not a 500
    assert client_in.post("/templates/", _form()).status_code == 302
    response = client_in.post("/templates/", _form())
    assert response.status_code == 400 and "exists already" in response.content.decode()
    # editing keeps the saved template when the new version is refused
    response = client_in.post("/templates/reminder/", _form(**{"tr-0-text": "Hi @params.unknown"}))
    assert response.status_code == 400
    assert MessageTemplate.objects.get(code="reminder").translations["eng"].startswith("Hi @name")


def test_preview_renders_through_the_service_and_names_the_missing_variable(
    client_in: Any, workspace: Any
) -> None:
    create_template(workspace=workspace, code="reminder", base_language="eng",
                    translations={"eng": "Hi @name, see you on @day at @place", "fra": "Bonjour @name"},
                    variables={"name": None, "day": None, "place": "the clinic"})  # fmt: skip
    url = "/templates/reminder/preview"
    ok = client_in.post(url, {"param-name": "Ada", "param-day": "Monday", "param-place": ""},
                        HTTP_ACCEPT="application/json")  # fmt: skip
    assert ok.status_code == 200 and ok.json() == {"text": "Hi Ada, see you on Monday at the clinic",
                                                   "language": "eng"}  # fmt: skip
    fra = client_in.post(url, {"param-name": "Ada", "param-day": "lundi", "language": "fra"},
                         HTTP_ACCEPT="application/json")  # fmt: skip
    assert fra.json()["text"] == "Bonjour Ada"

    missing = client_in.post(url, {"param-name": "Ada", "param-day": ""}, HTTP_ACCEPT="application/json")
    assert missing.status_code == 400
    assert missing.json()["error"] == "missing template variables: day"
    assert missing.json()["errors"] == {"day": "required, no default"}

    # without JavaScript the page comes back with the result or the error
    page = client_in.post(url, {"param-name": "Ada", "param-day": "Friday"}).content.decode()
    assert '<pre class="preview-text">Hi Ada, see you on Friday at the clinic</pre>' in page
    response = client_in.post(url, {"param-name": "", "param-day": ""})
    assert response.status_code == 400
    # both named (PostgreSQL's jsonb keeps its own key order)
    assert re.search(r"missing template variables: (name, day|day, name)<", response.content.decode())
    assert client_in.get(url).status_code == 405


def test_other_workspaces_templates_are_404(client_in: Any, other_workspace: Any) -> None:
    create_template(workspace=other_workspace, code="secret", translations={"eng": "their text"})
    assert "their text" not in client_in.get("/templates/").content.decode()
    assert client_in.get("/templates/secret/").status_code == 404
    assert client_in.post("/templates/secret/preview", {}).status_code == 404
    assert client_in.post("/templates/secret/", _form("secret")).status_code == 404
    assert client_in.post("/templates/secret/delete").status_code == 404
    assert MessageTemplate.objects.filter(code="secret").exists()
    # the same code is free in this workspace
    assert client_in.post("/templates/", _form("secret")).status_code == 302


def test_screens_need_a_login(client: Any, workspace: Any) -> None:
    for url in ("/templates/", "/settings/webhooks/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
