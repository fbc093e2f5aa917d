from tests.flows.conftest import export_data, imported  # noqa: F401 (fixtures of the flow tests)
