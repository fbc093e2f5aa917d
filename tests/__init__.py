from pathlib import Path

# The test tree's and the repository's roots, for fixtures shared across test folders (a folder
# may move: paths counted in `parents[...]` from a test file would silently point elsewhere).
TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
