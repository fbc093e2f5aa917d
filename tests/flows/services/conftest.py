from tests.flows.conftest import export_data, imported

__all__ = ["export_data", "imported"]
