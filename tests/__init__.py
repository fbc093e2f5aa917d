import os
from pathlib import Path

# The test tree's and the repository's roots, for fixtures shared across test folders (a folder
# may move: paths counted in `parents[...]` from a test file would silently point elsewhere).
TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
# The reference data beside the repository (../shared), or where FLOWGATE_SHARED points: the
# mutation runs test copies of the project under var/mutation/, where ../shared is not it.
SHARED = Path(os.environ.get("FLOWGATE_SHARED") or ROOT.parent / "shared")
