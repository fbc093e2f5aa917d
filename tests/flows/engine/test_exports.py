import pytest

from flows.engine import read_export
from tests import SHARED as SHARED_ROOT

from .helpers import CHANNEL, contact, msg_resume, question_flow, types

SHARED = SHARED_ROOT / "anchor_data" / "rapidpro_flows"


def test_own_export_with_campaigns_reads_the_rest() -> None:
    """Campaigns are the Django side's (campaigns.services.transfer): the engine reads past them."""
    export = {
        "version": "13",
        "flows": [question_flow()],
        "fields": [{"key": "city", "name": "City", "type": "text"}],
        "groups": [{"uuid": "g1", "name": "Farmers", "query": None}],
        "triggers": [
            {"trigger_type": "K", "keyword": "tea", "flow": {"uuid": question_flow()["uuid"], "name": "Q"}}
        ],
        "campaigns": [{"name": "Reminders"}],
    }
    result = read_export(export)
    assert result.ok
    assert [f.name for f in result.flows] == ["Question"]
    assert result.triggers[0]["type"] == "keyword" and result.triggers[0]["keywords"] == ["tea"]
    assert not any("campaign" in w for w in result.warnings)


def test_unsupported_version() -> None:
    assert not read_export({"version": "2", "flows": []}).ok


@pytest.mark.skipif(not SHARED.exists(), reason="shared anchor data (../shared) not present")
@pytest.mark.parametrize("name", ["the_clinic.json", "dependencies_v13.json", "favorites_timeout.json"])
def test_rapidpro_exports_import_and_run(name: str) -> None:
    import json

    from flows.engine import Engine

    result = read_export(json.loads((SHARED / name).read_text()))
    assert result.ok, result.errors
    assets = result.assets({"channels": [CHANNEL]})
    ran = 0
    for flow in result.flows:
        if flow.type != "messaging" or not flow.nodes:
            continue
        eng = Engine(assets)
        sprint = eng.start(contact(), {"type": "manual", "flow": flow.ref()})
        assert sprint.events[0]["type"] == "run_started"
        for text in ["yes", "red", "5"]:
            if sprint.status != "waiting":
                break
            sprint = eng.resume(sprint.session.to_json(), msg_resume(text))
        assert sprint.status in ("waiting", "completed")
        ran += 1
    assert ran >= 1


@pytest.mark.skipif(not SHARED.exists(), reason="shared anchor data (../shared) not present")
def test_favorites_timeout_flow_times_out() -> None:
    import json

    from flows.engine import Engine

    result = read_export(json.loads((SHARED / "favorites_timeout.json").read_text()))
    eng = Engine(result.assets({"channels": [CHANNEL]}))
    sprint = eng.start(contact(), {"type": "manual", "flow": result.flows[0].ref()})
    assert sprint.status == "waiting" and sprint.session.wait.get("timeout_seconds")
    sprint = eng.resume(sprint.session, {"type": "wait_timeout"})
    assert "run_result_changed" in types(sprint.events) or "msg_created" in types(sprint.events)
