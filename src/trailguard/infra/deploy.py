"""``deploy plan | apply | destroy``: compare wanted and current state, change only the difference.

``apply`` reads each resource, then creates or updates it, in dependency order, so a second run
changes nothing and a run after a failure halfway picks up where it stopped. ``destroy`` removes
only what is tagged ``managed-by=trailguard`` (or, for untaggable kinds, named ``trailguard-*``)
and keeps the trail's bucket and KMS key, so no log file is ever lost.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from trailguard.errors import ConfigError
from trailguard.infra.clients import AwsClients, aws_errors
from trailguard.infra.desired import (
    CONFIG_PARAMETER,
    FORWARD_RULE,
    GLOBAL,
    KMS_ALIAS,
    REALTIME_RULE,
    TRAIL_LOG_GROUP,
    DesiredState,
    Facts,
    Resource,
    bucket_name,
    covered_regions,
)
from trailguard.infra.inventory import list_trails
from trailguard.infra.resources import RECONCILERS, RETAINED, Current, Reconciler
from trailguard.infra.settings import MANAGED_BY, DeploySettings

KIND_ORDER = (
    "s3-bucket",
    "kms-key",
    "log-group",
    "iam-role",
    "trail",
    "ssm-parameter",
    "sqs-queue",
    "dynamodb-table",
    "lambda-function",
    "lambda-permission",
    "event-rule",
    "sns-topic",
    "metric-filter",
    "metric-alarm",
)
"""Kinds in creation order; destroy goes backwards."""
ACTIONS = ("create", "update", "delete", "retain", "conflict", "keep")


@dataclass(frozen=True)
class Change:
    """One thing plan would do, apply did or destroy did to one resource."""

    action: str
    kind: str
    name: str
    region: str
    fields: tuple[str, ...] = ()
    note: str = ""
    resource: Resource | None = field(default=None, compare=False, repr=False)
    current: Current | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The change as JSON-ready values."""
        return {
            "action": self.action,
            "kind": self.kind,
            "name": self.name,
            "region": self.region,
            "fields": list(self.fields),
            "note": self.note,
        }


@dataclass(frozen=True)
class Plan:
    """The changes that would bring the account to the desired state, and notes for the user."""

    changes: tuple[Change, ...]
    notes: tuple[str, ...] = ()

    @property
    def conflicts(self) -> list[Change]:
        """Resources that exist under our names but are not ours."""
        return [change for change in self.changes if change.action == "conflict"]


class DeployConflict(ConfigError):
    """Resources with trailguard's names that trailguard does not own; apply changes nothing."""


def read_facts(clients: AwsClients, settings: DeploySettings) -> Facts:
    """What deploy must know before it decides: the account, the regions and existing trails."""
    enabled = () if settings.regions else tuple(clients.enabled_regions())
    trails = list_trails(clients, [settings.home_region])
    return Facts(clients.account_id(), covered_regions(settings, enabled), tuple(trails))


def plan(desired: DesiredState, clients: AwsClients, settings: DeploySettings) -> Plan:
    """What apply would change: creates and updates in order, then deletes of what is stale."""
    changes = [_compare(clients, resource) for resource in desired.resources]
    changes.extend(_stale(clients, desired, settings))
    return Plan(tuple(change for change in changes if change.action != "keep"), desired.notes)


def apply(
    desired: DesiredState,
    clients: AwsClients,
    settings: DeploySettings,
    on_change: Callable[[Change], None] | None = None,
) -> list[Change]:
    """Make the account match ``desired``; returns the changes made, each reported as made.

    Nothing is changed if any resource under our names is not ours. A failure stops at the
    failing resource with AWS's error; what was done before it stays done.
    """
    found = plan(desired, clients, settings)
    if found.conflicts:
        raise DeployConflict(
            "these exist and are not tagged managed-by=trailguard; rename them or tag them: "
            + "; ".join(f"{c.kind} {c.name} ({c.region})" for c in found.conflicts)
        )
    done: list[Change] = []
    for change in found.changes:
        _act(clients, change)
        done.append(change)
        if on_change is not None:
            on_change(change)
    return done


def destroy(
    desired: DesiredState,
    clients: AwsClients,
    settings: DeploySettings,
    on_change: Callable[[Change], None] | None = None,
) -> list[Change]:
    """Remove everything of ours that deploy manages with these settings; keep log storage.

    The trail's bucket and KMS key lose the managed-by tag and get ``trailguard-retained=true``
    instead; an adopted trail and anything not tagged ours are left alone.
    """
    wanted = [r for r in desired.resources if not r.spec.get("adopted")]
    candidates = {r.key: r for r in [*wanted, *_possible(desired, settings)]}
    for stale in _discovered(clients, desired):
        candidates.setdefault(stale.key, stale)
    ordered = sorted(candidates.values(), key=lambda r: -KIND_ORDER.index(r.kind))
    done: list[Change] = []
    for resource in ordered:
        reconciler = RECONCILERS[resource.kind]
        current = _read(clients, reconciler, resource)
        if current is None:
            continue
        if not _ours(reconciler, resource, current):
            change = _change("keep", resource, note="not tagged managed-by=trailguard; left")
        elif resource.retain:
            change = _change(
                "retain", resource, note="kept with its data; tagged trailguard-retained"
            )
            with aws_errors(_label(resource)):
                reconciler.retain(clients, resource, current)
        else:
            change = _change("delete", resource)
            with aws_errors(_label(resource)):
                reconciler.delete(clients, resource)
        done.append(change)
        if on_change is not None:
            on_change(change)
    return done


def _compare(clients: AwsClients, resource: Resource) -> Change:
    if resource.spec.get("adopted"):
        return _change("keep", resource)
    reconciler = RECONCILERS[resource.kind]
    current = _read(clients, reconciler, resource)
    if current is None:
        return _change("create", resource, note=_describe(resource))
    if not _ours(reconciler, resource, current):
        return _change("conflict", resource, note="exists and is not tagged managed-by=trailguard")
    changed = differences(resource.spec, current)
    if not changed:
        return _change("keep", resource)
    return replace(_change("update", resource, fields=changed), current=current)


def differences(spec: Any, current: Current) -> tuple[str, ...]:
    """The spec's properties AWS reports differently; wanted tags need only be present."""
    changed: list[str] = []
    for key, wanted in spec.items():
        have = current.get(key)
        if key == "tags":
            have = have or {}
            if any(have.get(name) != value for name, value in wanted.items()) or RETAINED in have:
                changed.append(key)
        elif canonical(wanted) != canonical(have):
            changed.append(key)
    return tuple(changed)


def _act(clients: AwsClients, change: Change) -> None:
    resource = change.resource
    assert resource is not None
    reconciler = RECONCILERS[resource.kind]
    with aws_errors(_label(resource)):
        if change.action == "create":
            reconciler.create(clients, resource)
        elif change.action == "update":
            reconciler.update(clients, resource, change.current or {}, change.fields)
        elif change.action == "delete":
            reconciler.delete(clients, resource)


def _stale(clients: AwsClients, desired: DesiredState, settings: DeploySettings) -> list[Change]:
    """Deletes of our resources that the desired state no longer has."""
    wanted = {resource.key for resource in desired.resources}
    found: list[Change] = []
    for resource in [*_possible(desired, settings), *_discovered(clients, desired)]:
        if resource.key in wanted or resource.retain:
            continue
        reconciler = RECONCILERS[resource.kind]
        current = _read(clients, reconciler, resource)
        if current is not None and _ours(reconciler, resource, current):
            found.append(_change("delete", resource, note="no longer wanted"))
    unique = {change.resource.key: change for change in found if change.resource}
    return sorted(unique.values(), key=lambda change: -KIND_ORDER.index(change.kind))


def _possible(desired: DesiredState, settings: DeploySettings) -> list[Resource]:
    """Every fixed-name resource deploy may have made with these settings, wanted now or not."""
    home, function = settings.home_region, settings.realtime.function_name
    retained = [
        Resource("s3-bucket", bucket_name(settings, desired.account), home, {}, retain=True),
        Resource("kms-key", KMS_ALIAS, home, {}, retain=True),
    ]
    names = [
        ("trail", settings.trail.name, home, {}),
        ("log-group", TRAIL_LOG_GROUP, home, {}),
        ("iam-role", "trailguard-cloudtrail-logs", GLOBAL, {}),
        ("ssm-parameter", CONFIG_PARAMETER, home, {}),
        ("sqs-queue", "trailguard-dlq", home, {}),
        ("dynamodb-table", "trailguard-state", home, {}),
        ("iam-role", "trailguard-handler", GLOBAL, {}),
        ("log-group", f"/aws/lambda/{function}", home, {}),
        ("lambda-function", function, home, {}),
        ("lambda-permission", "trailguard-events", home, {"function": function}),
        ("iam-role", "trailguard-events-forwarder", GLOBAL, {}),
        ("sns-topic", "trailguard-alarms", (desired.log_group or (home, ""))[0], {}),
        *(("ssm-parameter", name, home, {}) for name in settings.secrets),
    ]
    return [*retained, *(Resource(kind, name, region, spec) for kind, name, region, spec in names)]


def _discovered(clients: AwsClients, desired: DesiredState) -> list[Resource]:
    """Rules, metric filters, alarms and parameters named like ours, found by listing."""
    found: list[Resource] = []
    home = desired.home_region
    searches: list[tuple[str, str, dict[str, Any]]] = [
        ("event-rule", region, {}) for region in desired.regions
    ]
    searches.append(("ssm-parameter", home, {}))
    if desired.log_group:
        region, group = desired.log_group
        searches += [("metric-filter", region, {"log_group": group}), ("metric-alarm", region, {})]
    for kind, region, spec in searches:
        with aws_errors(f"{kind}s in {region}"):
            names = RECONCILERS[kind].discover(clients, region, spec)
        found.extend(
            Resource(kind, name, region, spec)
            for name in names
            if kind != "event-rule" or name.startswith((REALTIME_RULE, FORWARD_RULE))
        )
    return found


def _read(clients: AwsClients, reconciler: Reconciler, resource: Resource) -> Current | None:
    with aws_errors(_label(resource)):
        return reconciler.read(clients, resource)


def _ours(reconciler: Reconciler, resource: Resource, current: Current) -> bool:
    if not reconciler.taggable:
        return resource.name.startswith("trailguard")
    tags = current.get("tags") or {}
    return tags.get(MANAGED_BY) == "trailguard" or tags.get(RETAINED) == "true"


def _change(action: str, resource: Resource, fields: Sequence[str] = (), note: str = "") -> Change:
    return Change(
        action, resource.kind, resource.name, resource.region, tuple(fields), note, resource
    )


def _label(resource: Resource) -> str:
    return f"{resource.kind} {resource.name} in {resource.region}"


def _describe(resource: Resource) -> str:
    """A short, secret-free description for plans."""
    if resource.kind == "event-rule":
        return str(resource.spec.get("description", ""))
    if resource.kind == "trail" and resource.spec.get("adopted"):
        return "adopted; left as it is"
    return ""


def canonical(value: Any) -> Any:
    """A comparable form: sorted keys, one-item lists as their item, sorted lists of scalars.

    AWS gives policies and lists back in its own order and sometimes unwraps single values.
    """
    if isinstance(value, Mapping):
        return {str(key): canonical(item) for key, item in sorted(value.items())}
    if isinstance(value, list | tuple):
        items = [canonical(item) for item in value]
        if len(items) == 1:
            return items[0]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=str))
    return value
