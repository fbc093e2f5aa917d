"""`manage.py test_flows [--workspace W] [--flow F] [--junit FILE]`: run stored flow tests.

Prints PASS/FAIL per test (with the first difference), optionally writes JUnit XML for CI, and
exits 1 when any test fails, so a workspace's flows can be tested in anyone's pipeline.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q, QuerySet
from lxml import etree as ET  # writing only: parsing goes through aggregators.connector.xmlsafe

from channels_app.models import Workspace
from flows.models import Flow
from flows.services import flowtests


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _by_uuid_or_name(value: str) -> Q:
    return Q(uuid=value) | Q(name=value) if _is_uuid(value) else Q(name=value)


class Command(BaseCommand):
    help = "Run the flow tests stored with flows; exit 1 if any fails."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", help="workspace uuid or name (default: every workspace)")
        parser.add_argument("--flow", help="flow uuid or name (default: every flow with tests)")
        parser.add_argument("--junit", metavar="FILE", help="write the results as JUnit XML to FILE")

    def _flows(self, options: dict[str, Any]) -> QuerySet[Flow]:
        flows = Flow.objects.filter(archived=False).exclude(tests=[]).select_related("workspace")
        if options.get("workspace"):
            workspaces = Workspace.objects.filter(_by_uuid_or_name(options["workspace"]))
            if not workspaces.exists():
                raise CommandError(f"no workspace {options['workspace']!r}")
            flows = flows.filter(workspace__in=workspaces)
        if options.get("flow"):
            flows = flows.filter(_by_uuid_or_name(options["flow"]))
            if not flows.exists():
                raise CommandError(f"no flow {options['flow']!r} with tests")
        return flows.order_by("workspace_id", "name", "id")

    def handle(self, *args: Any, **options: Any) -> None:
        suites = ET.Element("testsuites", name="flowgate flow tests")
        total = failed = 0
        for flow in self._flows(options):
            started = time.monotonic()
            outcome = flowtests.refresh_status(flow=flow)
            elapsed = time.monotonic() - started
            suite = ET.SubElement(
                suites,
                "testsuite",
                name=f"{flow.workspace.name} / {flow.name}",
                tests=str(len(outcome["results"])),
                failures=str(outcome["failed"]),
                errors="0",
                time=f"{elapsed:.3f}",
            )
            for result in outcome["results"]:
                total += 1
                case = ET.SubElement(
                    suite, "testcase", classname=f"{flow.name} ({flow.uuid})", name=result["test"]
                )
                if result["ok"]:
                    self.stdout.write(f"PASS  {flow.name} / {result['test']}")
                else:
                    failed += 1
                    self.stdout.write(f"FAIL  {flow.name} / {result['test']}: {result['diff']}")
                    failure = ET.SubElement(case, "failure", message=result["diff"])
                    failure.text = "\n".join(_transcript_line(t) for t in result["transcript"])
        suites.set("tests", str(total))
        suites.set("failures", str(failed))
        if options.get("junit"):
            ET.indent(suites)
            try:
                ET.ElementTree(suites).write(options["junit"], encoding="utf-8", xml_declaration=True)
            except OSError as exc:
                raise CommandError(f"cannot write {options['junit']}: {exc}", returncode=2) from None
        self.stdout.write(f"{total - failed} passed, {failed} failed")
        if failed:
            raise CommandError(f"{failed} flow test(s) failed", returncode=1)


def _transcript_line(item: dict[str, Any]) -> str:
    kind, value = next(iter(item.items()))
    return {"in": "> ", "out": "< "}.get(kind, f"{kind}: ") + str(value)
