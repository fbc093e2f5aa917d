"""What every handle batch of a workspace reads and almost nothing changes, kept per process.

A batch of one inbound message used to load the workspace, its fields, groups, channels, topics,
labels, globals, LLM, airtime and resthook settings, its triggers and the flow it starts: about
20 of its 38 queries, and the flow definition parsed again each time. A `WorkspaceSnapshot`
holds them (the engine with its parsed flows included) between batches, in a `VersionedCache`:
saving or deleting any of those rows, in any process, makes the next batch load a fresh one.

What stays per batch: anything about contacts, sessions, messages and tickets (they change all
the time), and the simulator's and flow tests' engines (they run drafts, not stored flows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from channels_app.models import Channel, ContactField, ContactGroup, Global, Label, Workspace
from channels_app.services.versioned_cache import VersionedCache
from flows.engine import Engine
from flows.models import Flow, Trigger
from flows.service_models import AirtimeService, LLMService, ResthookSubscriber, Topic
from flows.services import triggers
from flows.services.assets import build_assets, environment_for, field_types, make_engine

# A change made by a path that bypasses model signals is picked up within this many seconds.
MAX_AGE_SECONDS = 60.0
# Workspaces whose snapshot one process keeps (each holds its parsed flows): the busiest ones.
MAX_WORKSPACES = 200


@dataclass
class WorkspaceSnapshot:
    workspace: Workspace
    engine: Engine
    environment: dict[str, Any]
    field_types: dict[str, str]
    triggers: triggers.TriggerIndex
    # the active channels replies are routed over (routing.ChannelPool reads them)
    channels: list[Channel]
    # flow rows by uuid, filled by the runners as sessions name them (None: no such flow)
    flows: dict[str, Flow | None] = field(default_factory=dict)


def _load(workspace_id: int) -> WorkspaceSnapshot:
    workspace = Workspace.objects.get(id=workspace_id)
    return WorkspaceSnapshot(
        workspace=workspace,
        engine=make_engine(build_assets(workspace=workspace), workspace=workspace),
        environment=environment_for(workspace=workspace),
        field_types=field_types(workspace_id=workspace_id),
        triggers=triggers.TriggerIndex(workspace_id=workspace_id),
        channels=list(Channel.objects.filter(workspace_id=workspace_id, is_active=True).order_by("id")),
    )


_snapshots: VersionedCache[WorkspaceSnapshot] = VersionedCache(
    "flow-assets", max_age=MAX_AGE_SECONDS, max_entries=MAX_WORKSPACES
)


def snapshot(workspace_id: int) -> WorkspaceSnapshot:
    """The workspace's current snapshot (loaded unless this process holds the current one)."""
    return _snapshots.get(workspace_id, lambda: _load(workspace_id))


# Every model a snapshot is read from, by workspace: a save or delete of one of their rows
# replaces the workspace's snapshot everywhere.
WATCHED_MODELS = (
    Flow,
    Trigger,
    Channel,
    ContactField,
    ContactGroup,
    Label,
    Global,
    Topic,
    LLMService,
    AirtimeService,
    ResthookSubscriber,
)
for _model in WATCHED_MODELS:
    _snapshots.watch(_model)
_snapshots.watch(Workspace, workspace_of=lambda workspace: workspace.id)
for _through in (Trigger.groups.through, Trigger.exclude_groups.through):
    _snapshots.watch_m2m(_through, workspace_of=lambda trigger: getattr(trigger, "workspace_id", None))
