"""Mutation testing of the core with mutmut, package by package, each against its own tests.

    .venv/bin/python scripts/mutation.py [--only smsc-pdu,flows-routertests] [--max-children 2] [--keep]
    .venv/bin/python scripts/mutation.py --only flows-engine-functions --rerun-survivors

For each package: copy the project to var/mutation/<package>/ (sources, tests, settings; no
.venv, var or .git), write a mutmut config naming the files to mutate and the test subset that
covers them, run `mutmut run`, and count the outcome of every mutant from mutmut's result files.
Prints one table (package, killed/total, %, survived, other) and writes var/mutation/report.json.
After tests are added, `--rerun-survivors` tests again only the functions that had survivors
(all their mutants, against the current tests and sources) and rescores the package.
The flow engine is split by module group (functions, expressions, runner, actions, definition,
harness) so that each can be scored on its own on two cores.
Survivors are listed per package with `--survivors`; show one with
`cd var/mutation/<package> && ../../../.venv/bin/mutmut show <name>`.

Too slow for CI on two cores (`make mutation`, not part of `make test`). Mutants counted as
killed: a test failed (or pytest errored) or the mutant timed out (an infinite loop is caught).
"Equivalent" mutants — same behaviour as the original — are listed with the reason in
tests/mutation_equivalents.txt and left out of the total.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "mutation"
EQUIVALENTS = ROOT / "tests" / "mutation_equivalents.txt"
COPY_EXCLUDES = (
    ".venv",
    "var",
    ".git",
    ".mypy_cache",
    ".ruff_cache",
    "node_modules",
    "*.egg-info",
    "__pycache__",
)
# Copied beside the mutated code (docs: some tests check the docs tables they feed).
TOP_LEVEL = ("web", "channels_app", "aggregators", "flows", "smsc", "infra", "docs", "manage.py")


@dataclass(frozen=True)
class Package:
    name: str
    mutate: tuple[str, ...]  # files (or globs) mutated
    tests: tuple[str, ...]  # the tests that cover them: the run stays bounded
    # Functions that only run while their module is imported (they register closures): mutmut
    # switches mutants on per call after the import, so their mutants are never active. They
    # are shown apart ("import-time") and left out of the score; they are not equivalent.
    import_time: tuple[str, ...] = ()
    # Tests on the database: mutants run one at a time (two pytest runs would share the test
    # database and the Redis db, and one's flush would fail the other: a false "killed"), the
    # test database is kept between mutants instead of migrated afresh for each, and each
    # pytest run gets a fresh process.
    database: bool = False


PACKAGES = (
    Package(
        "smsc-pdu",
        ("smsc/pdu.py",),
        (
            "tests/smsc/protocol/test_pdu_exact.py",
            "tests/smsc/protocol/test_pdu.py",
            "tests/fuzz/test_smpp_pdu.py",
        ),
    ),
    Package(
        "flows-routertests",
        ("flows/engine/routertests.py",),
        ("tests/flows/engine/test_router_tests.py",),
        import_time=("flows.engine.routertests.x__number_test__", "flows.engine.routertests.x__date_test__"),
    ),
    # The flow engine (routertests.py is flows-routertests above), in module groups small enough
    # to score one at a time on two cores; the order is the order of importance. All DB-free.
    Package(
        "flows-engine-functions",
        ("flows/engine/functions.py",),
        (
            "tests/flows/engine/test_mutation_expressions.py",
            "tests/flows/engine/test_mutation_functions.py",
            "tests/flows/engine/test_expressions.py",
            "tests/flows/engine/test_router_tests.py",
        ),
        import_time=("flows.engine.functions.x_register__",),
    ),
    Package(
        "flows-engine-expressions",
        (
            "flows/engine/expressions.py",
            "flows/engine/template.py",
            "flows/engine/values.py",
            "flows/engine/dates.py",
            "flows/engine/evaluate.py",
            "flows/engine/regex.py",
            "flows/engine/environment.py",
            "flows/engine/urns.py",
        ),
        (
            "tests/flows/engine/test_mutation_expressions.py",
            "tests/flows/engine/test_mutation_functions.py",
            "tests/flows/engine/test_expressions.py",
            "tests/flows/engine/test_router_tests.py",
            # the environment, URNs and sessions as the runner stores and reads them
            # (Environment.to_json/from_json, normalize_tel, URN.__str__ run only there)
            "tests/flows/engine/test_mutation_session.py",
            "tests/flows/engine/test_runner.py",
            "tests/flows/engine/test_mutation_runner.py",
        ),
    ),
    Package(
        "flows-engine-runner",
        (
            "flows/engine/runner.py",
            "flows/engine/session.py",
            "flows/engine/context.py",
            "flows/engine/contact.py",
            "flows/engine/assets.py",
            "flows/engine/contactql.py",
            "flows/engine/locations.py",
            "flows/engine/services.py",
        ),
        (
            "tests/flows/engine/test_runner.py",
            "tests/flows/engine/test_contactql.py",
            "tests/flows/engine/test_mutation_expressions.py",
            "tests/flows/engine/test_actions.py",
            "tests/flows/engine/test_conformance_cli.py",
            "tests/flows/engine/test_conformance_floors.py",
            # written to answer this package's survivors
            "tests/flows/engine/test_mutation_contactql.py",
            "tests/flows/engine/test_mutation_contact_assets.py",
            "tests/flows/engine/test_mutation_locations.py",
            "tests/flows/engine/test_mutation_context.py",
            "tests/flows/engine/test_mutation_context_parts.py",
            "tests/flows/engine/test_mutation_runner.py",
            "tests/flows/engine/test_mutation_session.py",
        ),
    ),
    Package(
        "flows-engine-actions",
        ("flows/engine/actions/*",),
        (
            "tests/flows/engine/test_actions.py",
            "tests/flows/engine/test_action_registry.py",
            "tests/flows/engine/test_runner.py",
            "tests/flows/engine/test_conformance_cli.py",
            # goflow's action, resume and runner vectors (../shared, FLOWGATE_SHARED)
            "tests/flows/engine/test_conformance_floors.py",
            # written to answer this package's survivors
            "tests/flows/engine/test_mutation_webhooks.py",
            "tests/flows/engine/test_mutation_resthooks.py",
            "tests/flows/engine/test_mutation_integrations.py",
            "tests/flows/engine/test_mutation_run_actions.py",
            "tests/flows/engine/test_mutation_message_actions.py",
            "tests/flows/engine/test_mutation_contact_actions.py",
        ),
        import_time=("flows.engine.actions.registry.x_handler__",),
    ),
    Package(
        "flows-engine-definition",
        ("flows/engine/definition.py", "flows/engine/export.py", "flows/engine/legacy/*"),
        (
            "tests/flows/engine/test_legacy_migration.py",
            "tests/flows/engine/test_exports.py",
            "tests/flows/engine/test_runner.py",
            "tests/flows/engine/test_actions.py",
            # goflow's legacy-migration and runner vectors (../shared, FLOWGATE_SHARED)
            "tests/flows/engine/test_conformance_floors.py",
            # written to answer this package's survivors
            "tests/flows/engine/test_mutation_export_steps_early.py",
            "tests/flows/engine/test_mutation_export_steps_mid.py",
            "tests/flows/engine/test_mutation_export_steps_late.py",
            "tests/flows/engine/test_mutation_export_read.py",
            "tests/flows/engine/test_mutation_definition.py",
            "tests/flows/engine/test_mutation_legacy_flow.py",
        ),
        # the legacy expression migration's function tables are built while the module imports
        import_time=(
            "flows.engine.legacy.expressions.x__template__",
            "flows.engine.legacy.expressions.x__params__",
            "flows.engine.legacy.expressions.x__rename__",
            "flows.engine.legacy.expressions.x__join__",
            "flows.engine.legacy.expressions.x__results__",
        ),
    ),
    # The harness around the engine (goflow conformance runner, flow tests): scored last.
    Package(
        "flows-engine-harness",
        ("flows/engine/conformance.py", "flows/engine/conformance_legacy.py", "flows/engine/flowtests.py"),
        (
            "tests/flows/engine/test_conformance_cli.py",
            "tests/flows/engine/test_conformance_floors.py",
            "tests/flows/engine/test_legacy_migration.py",
            "tests/flows/engine/test_mutation_conformance.py",
            "tests/flows/flowtests/test_engine_flowtests.py",
            "tests/flows/flowtests/test_mutation_flowtests.py",
        ),
    ),
    Package(
        "connector-parser-mapping",
        (
            "aggregators/connector/parser.py",
            "aggregators/connector/mapping.py",
            "aggregators/connector/payload.py",
        ),
        ("tests/aggregators/connector",),
    ),
    Package(
        "external-receive-send",
        ("aggregators/external/receive.py", "aggregators/external/sender.py"),
        (
            # The DB-free tests first: a mutant they kill never sets up the database.
            "tests/aggregators/external/test_receive_parsing.py",
            "tests/aggregators/external/test_sender_requests.py",
            "tests/aggregators/external",
            "tests/channels_app/test_external_config.py",
            "tests/channels_app/test_external_e2e.py",
            "tests/channels_app/test_bad_input.py",
            "tests/channels_app/test_send_faults.py",
        ),
        import_time=("aggregators.external.receive.x__status_handler__",),
        database=True,
    ),
    Package(
        "claim-send-service",
        ("channels_app/services/send.py",),
        (
            # The step tests first: fast, one transaction each, no servers.
            "tests/channels_app/test_send_steps.py",
            "tests/channels_app/test_send_service.py",
            "tests/channels_app/test_send_faults.py",
            "tests/channels_app/test_send_keepalive.py",
            "tests/channels_app/test_send_handoff.py",
            # written to answer this package's survivors
            "tests/channels_app/test_mutation_send.py",
            # Not tests/channels_app/test_worker_kill.py: it starts workers as subprocesses, each
            # importing the whole trampolined send.py (28,000 lines) under mutmut, and on a loaded
            # 2-core machine mutmut's stats run failed on its 10 s "worker reached the provider".
        ),
        database=True,
    ),
)

# mutmut's exit codes per mutant (mutmut.stats.status_by_exit_code), folded into our columns.
KILLED = {1, 3, 36, 24, -24, 152, 255}  # a failing test, a pytest error, or a timeout
SURVIVED = {0}


def _reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        return False
    return True


def _env() -> dict[str, str]:
    """Like scripts/test.sh: real PostgreSQL and Redis when they answer, else the embedded mode."""
    env = dict(os.environ, FLOWGATE_ALLOW_PRIVATE_URLS="1")
    if "DATABASE_URL" not in env and _reachable("127.0.0.1", 5432):
        env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/flowgate_mutation"
    if "REDIS_URL" not in env and _reachable("127.0.0.1", 6379):
        env["REDIS_URL"] = "redis://127.0.0.1:6379/14"
    # The copy lives under var/mutation/<package>/, where `../shared` is not the reference data:
    # point the tests that read it (goflow's vectors, RapidPro exports) at the real one.
    shared = ROOT.parent / "shared"
    if "FLOWGATE_SHARED" not in env and shared.is_dir():
        env["FLOWGATE_SHARED"] = str(shared)
    # With REDIS_URL set the settings count as production and want a key (as scripts/test.sh).
    env.setdefault("SECRET_KEY", "mutation-" + secrets.token_urlsafe(40))
    return env


def _run_mutmut(
    mutmut: Path, package: Package, work: Path, log_path: Path, max_children: int, names: list[str]
) -> None:
    """`mutmut run` in the package's copy (only `names` when given), its output kept in a log."""
    # Database packages run one mutant at a time: two would share the test database and Redis.
    children = "1" if package.database else str(max_children)
    with log_path.open("w") as log:
        subprocess.run(
            [str(mutmut), "run", "--max-children", children, *names],
            cwd=work,
            env=_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )


def _config(package: Package) -> str:
    roots = sorted({m.split("/", 1)[0] for m in package.mutate})
    lines = ["[mutmut]", "source_paths=" + "\n    ".join(["", *roots]).rstrip()]
    lines.append("only_mutate=" + "\n    ".join(["", *package.mutate]))
    lines.append("also_copy=" + "\n    ".join(["", *(p for p in TOP_LEVEL if p not in roots)]))
    lines.append("pytest_add_cli_args_test_selection=" + "\n    ".join(["", *package.tests]))
    if package.database:
        lines.append("pytest_add_cli_args=\n    --reuse-db")
        # Every pytest run in a fresh child: mutmut's default runs the stats and clean runs one
        # after the other in its own process, and the second session's live server (the
        # inbound fast path) then wrote to the non-test database: 500s, "Failed to run clean test".
        lines.append("process_isolation=forkserver")
    return "\n".join(lines) + "\n"


def prepare(package: Package, keep: bool) -> Path:
    work = WORK / package.name
    if not keep and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    excludes = [f"--exclude={e}" for e in (*COPY_EXCLUDES, "mutants", "setup.cfg")]
    subprocess.run(["rsync", "-a", "--delete", *excludes, f"{ROOT}/", f"{work}/"], check=True)
    (work / "setup.cfg").write_text(_config(package))
    return work


def equivalents() -> dict[str, set[str]]:
    """package -> mutant names listed as equivalent (`package mutant-name  reason`)."""
    out: dict[str, set[str]] = {}
    if EQUIVALENTS.exists():
        for line in EQUIVALENTS.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                package, name = line.split()[:2]
                out.setdefault(package, set()).add(name)
    return out


def rerun_patterns(package: Package, work: Path, equivalent: set[str]) -> list[str]:
    """mutmut name patterns for every function with a survivor or an unchecked mutant.

    Whole functions, not just the survivors' names: a function edited since the last run has
    its mutants renumbered, and its new mutants have no result yet."""
    functions = set()
    for meta in (work / "mutants").rglob("*.meta"):
        for name, code in json.loads(meta.read_text()).get("exit_code_by_key", {}).items():
            if name in equivalent or (package.import_time and name.startswith(package.import_time)):
                continue
            if code not in KILLED:
                functions.add(name.rsplit("__mutmut_", 1)[0])
    return [f"{f}__mutmut_*" for f in sorted(functions)]


def score(package: Package, work: Path, equivalent: set[str]) -> dict[str, object]:
    killed, survived, other, import_time = 0, [], 0, 0
    for meta in (work / "mutants").rglob("*.meta"):
        for name, code in json.loads(meta.read_text()).get("exit_code_by_key", {}).items():
            if name in equivalent:
                continue
            if package.import_time and name.startswith(package.import_time):
                import_time += 1
                continue
            if code in KILLED:
                killed += 1
            elif code in SURVIVED:
                survived.append(name)
            else:  # not checked, no tests, suspicious, segfault: not killed either
                other += 1
    total = killed + len(survived) + other
    return {
        "package": package.name,
        "mutated": list(package.mutate),
        "tests": list(package.tests),
        "killed": killed,
        "total": total,
        "percent": round(100 * killed / total, 1) if total else 0.0,
        "survived": sorted(survived),
        "other": other,
        "equivalent": len(equivalent),
        "import_time": import_time,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--only", default="", help="comma-separated package names: " + ", ".join(p.name for p in PACKAGES)
    )
    parser.add_argument("--max-children", type=int, default=2, help="mutants tested in parallel")
    parser.add_argument("--keep", action="store_true", help="reuse earlier results where mutmut can")
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    parser.add_argument("--report-only", action="store_true", help="score the last runs, run nothing")
    parser.add_argument(
        "--rerun-survivors",
        action="store_true",
        help="after new tests: test again every mutant of each function that had a survivor (or an"
        " unchecked mutant) in the last run, against the current tests and sources",
    )
    args = parser.parse_args()
    chosen = [p for p in PACKAGES if not args.only or p.name in args.only.split(",")]
    unknown = set(filter(None, args.only.split(","))) - {p.name for p in PACKAGES}
    if unknown:
        parser.error(f"unknown package(s): {', '.join(sorted(unknown))}")
    mutmut = Path(sys.executable).with_name("mutmut")
    skipped = equivalents()
    rows = []
    for package in chosen:
        work = WORK / package.name
        rerun: list[str] = []
        if args.rerun_survivors and (work / "mutants").exists():
            rerun = rerun_patterns(package, work, skipped.get(package.name, set()))
            if not rerun:
                print(f"== {package.name}: nothing left to test again", flush=True)
        if args.rerun_survivors and rerun:
            work = prepare(package, keep=True)
            # the test-to-function map is rebuilt: new tests must be run against the mutants
            (work / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
            print(f"== {package.name}: testing again {', '.join(rerun)}", flush=True)
            _run_mutmut(mutmut, package, work, WORK / f"{package.name}.rerun.log", args.max_children, rerun)
        elif not args.report_only and not args.rerun_survivors:
            work = prepare(package, args.keep)
            print(f"== {package.name}: mutating {', '.join(package.mutate)}", flush=True)
            # mutmut's own output (why a run stopped, e.g. a test failing before any mutant) is kept.
            _run_mutmut(mutmut, package, work, WORK / f"{package.name}.log", args.max_children, [])
        if (work / "mutants").exists():
            rows.append(score(package, work, skipped.get(package.name, set())))
    print(
        f"\n{'package':28} {'killed/total':>13} {'%':>6} {'survived':>9} {'other':>6} {'equiv.':>6} {'import-time':>11}"
    )
    for r in rows:
        print(
            f"{r['package']:28} {str(r['killed']) + '/' + str(r['total']):>13} {r['percent']:>6} "
            f"{len(r['survived']):>9} {r['other']:>6} {r['equivalent']:>6} {r['import_time']:>11}"  # type: ignore[arg-type]
        )
        if args.survivors:
            for name in r["survived"]:  # type: ignore[attr-defined]
                print(f"    {name}")
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "report.json").write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
