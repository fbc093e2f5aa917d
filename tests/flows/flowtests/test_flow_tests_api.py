"""Flow tests stored with flows: API, recording from the simulator, saving, export/import,
and `manage.py test_flows` (exit codes, JUnit XML)."""

from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from lxml import etree

from channels_app.models import Contact, Msg
from flows.models import Flow, FlowRun
from tests.flows.conftest import SURVEY, load_export, post_json, put_json

THANKS = "Thanks Amina, you are 31."


def parse_junit(path: Path) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.parse(str(path), parser).getroot()


@pytest.fixture
def imported(api: Any) -> None:
    response = post_json(api, "/api/v1/flows/import", load_export())
    assert response.status_code == 200, response.content


def record(api: Any, name: str = "registers", inputs: list[Any] | None = None) -> Any:
    body = {"name": name, "contact": {"name": "Test"}, "inputs": inputs or [None, "Amina Uwase", "31"]}
    return post_json(api, f"/api/v1/flows/{SURVEY}/tests/record", body)


def break_thanks(api: Any) -> None:
    definition = copy.deepcopy(api.get(f"/api/v1/flows/{SURVEY}").json()["definition"])
    definition["nodes"][2]["actions"][2]["text"] = "Merci @contact.first_name!"
    assert put_json(api, f"/api/v1/flows/{SURVEY}/definition", {"definition": definition}).status_code == 200


def test_recorded_session_passes_then_fails_with_a_readable_diff(api, imported) -> None:
    response = record(api)
    assert response.status_code == 201, response.content
    steps = response.json()["test"]["steps"]
    assert steps[:4] == [
        {"expect": ["Hi! What is your name?"]},
        {"send": "Amina Uwase"},
        {"expect": ["How old are you, Amina?"]},
        {"send": "31"},
    ]
    assert {"expect": [THANKS]} in steps
    assert {"expect_results": {"name": "Amina Uwase", "age": "31"}} in steps

    listed = api.get(f"/api/v1/flows/{SURVEY}/tests").json()
    assert [t["name"] for t in listed["tests"]] == ["registers"] and listed["failing"] == 0
    run = post_json(api, f"/api/v1/flows/{SURVEY}/tests/run", {}).json()
    assert run["passed"] == 1 and run["failed"] == 0 and run["results"][0]["ok"] is True

    break_thanks(api)  # saving runs the tests: the flows list now marks the flow
    flow = api.get(f"/api/v1/flows/{SURVEY}").json()
    assert flow["tests_failing"] == 1
    run = post_json(api, f"/api/v1/flows/{SURVEY}/tests/run", {}).json()
    assert run == {"passed": 0, "failed": 1, "results": [run["results"][0]]}
    result = run["results"][0]
    assert result["ok"] is False and result["step"] == 5
    assert result["diff"] == f'step 5 (expect): reply 1: expected "{THANKS}", got "Merci Amina!"'


def test_tests_touch_no_contacts_messages_or_runs(api, imported, workspace) -> None:
    before = (Contact.objects.count(), Msg.objects.count(), FlowRun.objects.count())
    assert record(api).status_code == 201
    assert post_json(api, f"/api/v1/flows/{SURVEY}/tests/run", {}).json()["passed"] == 1
    assert (Contact.objects.count(), Msg.objects.count(), FlowRun.objects.count()) == before


def test_timeout_step_in_a_stored_test(api, imported) -> None:
    test = {
        "name": "silent",
        "steps": [
            {"expect": ["~your name"]},
            {"wait_minutes": 5},
            {"expect": ["Sorry we missed you."]},
            {"expect_status": "completed"},
        ],
    }
    assert post_json(api, f"/api/v1/flows/{SURVEY}/tests", test).status_code == 201
    run = post_json(api, f"/api/v1/flows/{SURVEY}/tests/run", {}).json()
    assert run["passed"] == 1, run


def test_editing_is_replacing_the_list_and_bad_tests_are_400(api, imported) -> None:
    url = f"/api/v1/flows/{SURVEY}/tests"
    good = {"name": "a", "steps": [{"expect": ["Hi! What is your name?"]}]}
    assert post_json(api, url, {"tests": [good, dict(good, name="b")]}).status_code == 200
    assert [t["name"] for t in api.get(url).json()["tests"]] == ["a", "b"]
    assert post_json(api, url, {"tests": [good]}).status_code == 200
    assert [t["name"] for t in api.get(url).json()["tests"]] == ["a"]

    bad = post_json(api, url, {"name": "c", "steps": [{"expect": ["/(/"]}]})
    assert bad.status_code == 400 and "bad regex" in bad.json()["error"]
    dup = post_json(api, url, {"tests": [good, good]})
    assert dup.status_code == 400 and "already named" in dup.json()["error"]
    assert api.post(url, data="{nope", content_type="application/json").status_code == 400
    assert post_json(api, f"{url}/record", {"name": "x", "inputs": "hi"}).status_code == 400
    assert post_json(api, f"{url}/record", {"name": "", "inputs": ["hi"]}).status_code == 400
    assert [t["name"] for t in api.get(url).json()["tests"]] == ["a"]  # nothing accepted is lost


def test_run_unsaved_tests_against_an_unsaved_definition(api, imported) -> None:
    test = record(api).json()["test"]
    definition = copy.deepcopy(api.get(f"/api/v1/flows/{SURVEY}").json()["definition"])
    definition["nodes"][0]["actions"][0]["text"] = "Hello! Name?"
    run = post_json(
        api, f"/api/v1/flows/{SURVEY}/tests/run", {"tests": [test], "definition": definition}
    ).json()
    assert run["failed"] == 1 and 'got "Hello! Name?"' in run["results"][0]["diff"]
    assert Flow.objects.get(uuid=SURVEY).tests_failing == 0  # a trial run changes nothing stored


def test_export_import_round_trip_keeps_tests(api, imported, workspace) -> None:
    assert record(api).status_code == 201
    exported = api.get(f"/api/v1/flows/{SURVEY}/export").json()
    assert [t["name"] for t in exported["flowgate_tests"][SURVEY]] == ["registers"]

    Flow.objects.filter(uuid=SURVEY).update(tests=[])
    response = post_json(api, "/api/v1/flows/import", exported)
    assert response.status_code == 200, response.content
    flow = Flow.objects.get(workspace=workspace, uuid=SURVEY)
    assert flow.tests == exported["flowgate_tests"][SURVEY]
    assert post_json(api, f"/api/v1/flows/{SURVEY}/tests/run", {}).json()["passed"] == 1

    broken = dict(exported, flowgate_tests={SURVEY: [{"name": "x", "steps": "no"}]})
    response = post_json(api, "/api/v1/flows/import", broken)
    assert response.status_code == 400 and "flowgate_tests" in json.dumps(response.json())
    assert Flow.objects.get(uuid=SURVEY).tests == flow.tests  # nothing imported


def test_manage_test_flows_exit_codes_and_junit(api, imported, workspace, tmp_path: Path, capsys) -> None:
    assert record(api).status_code == 201
    junit = tmp_path / "flows.xml"
    call_command("test_flows", "--workspace", str(workspace.uuid), "--junit", str(junit))
    out = capsys.readouterr().out
    assert "PASS  Two Questions / registers" in out and "1 passed, 0 failed" in out
    suites = parse_junit(junit)
    assert suites.get("tests") == "1" and suites.get("failures") == "0"
    assert suites.find("testsuite/testcase").get("name") == "registers"

    break_thanks(api)
    with pytest.raises(CommandError) as failed:
        call_command("test_flows", "--flow", "Two Questions", "--junit", str(junit))
    assert failed.value.returncode == 1
    out = capsys.readouterr().out
    assert 'FAIL  Two Questions / registers: step 5 (expect): reply 1: expected "Thanks Amina' in out
    suites = parse_junit(junit)
    assert suites.get("failures") == "1"
    failure = suites.find("testsuite/testcase/failure")
    assert failure is not None and "Merci Amina!" in failure.get("message")
    assert "> Amina Uwase" in (failure.text or "")

    with pytest.raises(CommandError, match="no workspace"):
        call_command("test_flows", "--workspace", "nope")
    with pytest.raises(CommandError, match="cannot write"):
        call_command("test_flows", "--junit", str(tmp_path / "missing-dir" / "x.xml"))


def test_manage_test_flows_real_exit_status(api, imported) -> None:
    """Through manage.py's own entry point, as CI runs it: exit status 1 on a failure."""
    from django.core.management import ManagementUtility

    assert record(api).status_code == 201
    ManagementUtility(["manage.py", "test_flows"]).execute()  # passes: no SystemExit
    break_thanks(api)
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "test_flows"]).execute()
    assert exited.value.code == 1


def test_flows_list_marks_a_flow_whose_tests_fail(api, imported, workspace) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    browser = Client()
    browser.force_login(get_user_model().objects.get(username="admin@test.org"))
    assert record(api).status_code == 201
    assert "tests-failing" not in browser.get("/flows/").content.decode()
    break_thanks(api)
    page = browser.get("/flows/").content.decode()
    assert "1 flow test failing" in page and "tests-failing" in page


class _Balance(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.dumps({"balance": 42}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def balance_server() -> Any:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Balance)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_record_from_a_simulator_transcript_with_a_real_webhook(api, balance_server) -> None:
    """The simulator really calls the webhook; the recorded test replays its answer as a mock."""
    from tests.flows.flowtests.test_engine_flowtests import webhook_flow

    flow = post_json(api, "/api/v1/flows", {"name": "Hook"}).json()
    definition = webhook_flow()
    definition["uuid"] = flow["uuid"]
    action = definition["nodes"][0]["actions"][0]
    action["url"] = f"{balance_server}/balance?u=@urns.tel"
    action["result_name"] = "Balance"
    saved = put_json(api, f"/api/v1/flows/{flow['uuid']}/definition", {"definition": definition})
    assert saved.status_code == 200, saved.content

    sprint = post_json(api, "/api/v1/simulate", {"flow": flow["uuid"]}).json()
    assert [e["msg"]["text"] for e in sprint["events"] if e["type"] == "msg_created"] == ["Balance: 42"]
    transcript = [{"input": None, "events": sprint["events"]}]
    response = post_json(
        api, f"/api/v1/flows/{flow['uuid']}/tests/record", {"name": "balance", "transcript": transcript}
    )
    assert response.status_code == 201, response.content
    steps = response.json()["test"]["steps"]
    assert steps[0] == {
        "webhook": [{"url": f"~{balance_server}/balance", "status": 200, "body": {"balance": 42}}]
    }
    assert {"expect": ["Balance: 42"]} in steps

    # the replay answers from the recorded mock: the test engine has no network transport at all
    run = post_json(api, f"/api/v1/flows/{flow['uuid']}/tests/run", {}).json()
    assert run["passed"] == 1, run
    bad = post_json(api, f"/api/v1/flows/{flow['uuid']}/tests/record", {"name": "x", "transcript": "nope"})
    assert bad.status_code == 400
