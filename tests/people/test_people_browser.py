"""The people screens in headless Chromium: an import with its live progress bar, bulk add to a
group (ticked rows and "all matching this search"), a new contact. Console errors fail the test."""

from __future__ import annotations

import datetime as dt
from typing import Any

from channels_app.models import Contact, ContactField, ContactGroup
from channels_app.services.contacts import create_contact
from tests.web_screens.conftest import run_jobs_beside_browser


def test_import_with_live_progress(browser: Any, workspace: Any, ex_channel: Any, tmp_path: Any) -> None:
    rows = ["URN:Tel,Name,Field:EDD,Group:Mothers"]
    rows += [f"0788{i:06d},Mother {i},{(dt.date(2027, 1, 1) + dt.timedelta(days=i % 90)).isoformat()},true"
             for i in range(500)]  # fmt: skip
    path = tmp_path / "mothers.csv"
    path.write_text("\n".join(rows) + "\n")

    browser.login()
    page = browser.page
    browser.goto("/contacts/")
    page.click("#import-contacts")
    page.set_input_files("#id_file", str(path))
    page.fill("#id_groups", "Programme")
    page.click("#import-form button[type=submit]")
    # the new field's type is asked before the job runs
    page.wait_for_selector("#import-begin")
    page.select_option("#type_edd", "datetime")
    page.click("#start-import")
    page.wait_for_selector("#import-progress")
    assert page.inner_text("#import-status") == "pending"
    # a marker on the page: if it survives, the bar was updated in place (no reload)
    page.evaluate("() => { window.__same_page = true; }")
    run_jobs_beside_browser()
    # (no wait_for_function: the page's CSP forbids the eval it needs)
    page.wait_for_selector("#import-progress[data-status=complete]", timeout=60_000)
    assert page.inner_text("#import-status") == "complete"
    assert page.evaluate("() => window.__same_page") is True
    assert page.get_attribute("#import-bar", "value") == "100"
    assert page.inner_text("#count-created") == "500"
    browser.screenshot("people-import-complete.png")

    assert Contact.objects.filter(workspace=workspace).count() == 500
    assert ContactField.objects.get(workspace=workspace, key="edd").value_type == "datetime"
    assert ContactGroup.objects.get(workspace=workspace, name="Mothers").contacts.count() == 500
    assert ContactGroup.objects.get(workspace=workspace, name="Programme").contacts.count() == 500


def test_bulk_add_to_group_ticked_and_all_matching(browser: Any, workspace: Any) -> None:
    ContactField.objects.create(workspace=workspace, key="district", name="District")
    mothers = ContactGroup.objects.create(workspace=workspace, name="Mothers")
    kigali = ContactGroup.objects.create(workspace=workspace, name="Kigali team")
    ada = create_contact(
        workspace=workspace, name="Ada", urn_list=["tel:+250788111111"], fields={"district": "Kigali"}
    )
    bo = create_contact(
        workspace=workspace, name="Bo", urn_list=["tel:+250788222222"], fields={"district": "Huye"}
    )
    cy = create_contact(
        workspace=workspace, name="Cy", urn_list=["tel:+250788333333"], fields={"district": "Kigali"}
    )

    browser.login()
    page = browser.page
    browser.goto("/contacts/")
    page.check(f"#contact-list tr[data-uuid='{ada.uuid}'] input.pick")
    page.check(f"#contact-list tr[data-uuid='{bo.uuid}'] input.pick")
    page.select_option("#bulk-group", label="Mothers")
    page.click("#bulk-add")
    page.wait_for_selector(".flash.success")
    assert "2 contacts" in page.inner_text(".flash.success")
    assert set(mothers.contacts.values_list("name", flat=True)) == {"Ada", "Bo"}

    # a query in the search box, then every contact matching it
    page.fill("#id_search", 'district = "Kigali"')
    page.press("#id_search", "Enter")
    page.wait_for_url("**/contacts/?search=*")
    assert page.locator("#contact-list tbody tr").count() == 2
    page.check("#all-matching")
    page.select_option("#bulk-group", label="Kigali team")
    page.click("#bulk-add")
    page.wait_for_selector(".flash.success")
    assert set(kigali.contacts.values_list("id", flat=True)) == {ada.id, cy.id}

    # a bad query says why (a 400 on purpose)
    browser.expected_http_errors.append("/contacts/?search=")
    page.fill("#id_search", "district >")
    page.press("#id_search", "Enter")
    page.wait_for_selector("#query-error")
    assert "needs a value" in page.inner_text("#query-error")


def test_new_contact_form(browser: Any, workspace: Any, ex_channel: Any) -> None:
    ContactField.objects.create(workspace=workspace, key="age", name="Age", value_type="number")
    ContactGroup.objects.create(workspace=workspace, name="Mothers")
    browser.login()
    page = browser.page
    browser.goto("/contacts/")
    page.click("#new-contact")
    page.fill("#id_name", "Dina")
    page.fill("#id_urns", "0788 444 444")
    page.fill("#id_field_age", "29")
    page.check("#new-contact-form input[name=groups]")
    page.click("#new-contact-form button[type=submit]")
    page.wait_for_selector(".flash.success")
    dina = Contact.objects.get(workspace=workspace, name="Dina")
    assert [u.identity for u in dina.urns.all()] == ["tel:+250788444444"]
    assert dina.fields == {"age": "29"} and [g.name for g in dina.groups.all()] == ["Mothers"]
