"""The handler function and the permission that lets EventBridge invoke it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from trailguard.infra.clients import AwsClients
from trailguard.infra.desired import Resource
from trailguard.infra.resources.base import Current, Reconciler, call_or_none, merged_tags, retry

_CONFIGURATION = {
    "runtime": "Runtime",
    "handler": "Handler",
    "role": "Role",
    "timeout": "Timeout",
    "memory": "MemorySize",
}


class FunctionReconciler(Reconciler):
    """A zip-packaged Python function with a dead-letter queue and environment."""

    kind = "lambda-function"

    def read(self, clients: AwsClients, resource: Resource) -> Current | None:
        """The function's configuration, code hash and tags."""
        found = call_or_none(
            clients.lambda_(resource.region).get_function,
            ["ResourceNotFoundException"],
            FunctionName=resource.name,
        )
        if found is None:
            return None
        config = found["Configuration"]
        current: Current = {key: config.get(name) for key, name in _CONFIGURATION.items()}
        current.update(
            architecture=(config.get("Architectures") or ["x86_64"])[0],
            environment=dict(config.get("Environment", {}).get("Variables", {})),
            # moto 5.2.1 never reports DeadLetterConfig, and AWS omits it when unset; unreported
            # counts as as-wanted, so a queue removed by hand is not put back (docs: gaps).
            dead_letter=config.get("DeadLetterConfig", {}).get(
                "TargetArn", resource.spec.get("dead_letter")
            ),
            code_sha256=config.get("CodeSha256"),
            tags=dict(found.get("Tags", {})),
            arn=config.get("FunctionArn"),
        )
        return current

    def create(self, clients: AwsClients, resource: Resource) -> None:
        """Create the function, retrying while its new role is not yet assumable."""
        lam = clients.lambda_(resource.region)
        retry(
            lam.create_function,
            ["InvalidParameterValueException"],
            self.sleep,
            FunctionName=resource.name,
            Code={"ZipFile": resource.payload["zip"]},
            Description="trailguard: CloudTrail events to alerts",
            Architectures=[resource.spec["architecture"]],
            Tags=dict(resource.spec["tags"]),
            **self._configuration(resource),
        )
        lam.get_waiter("function_active_v2").wait(FunctionName=resource.name)

    def update(
        self, clients: AwsClients, resource: Resource, current: Current, changed: Sequence[str]
    ) -> None:
        """Upload new code, update the configuration, tag."""
        lam = clients.lambda_(resource.region)
        if "code_sha256" in changed or "architecture" in changed:
            lam.update_function_code(
                FunctionName=resource.name,
                ZipFile=resource.payload["zip"],
                Architectures=[resource.spec["architecture"]],
            )
            lam.get_waiter("function_updated_v2").wait(FunctionName=resource.name)
        if set(changed) & {*_CONFIGURATION, "environment", "dead_letter"}:
            retry(
                lam.update_function_configuration,
                ["InvalidParameterValueException", "ResourceConflictException"],
                self.sleep,
                FunctionName=resource.name,
                **self._configuration(resource),
            )
            lam.get_waiter("function_updated_v2").wait(FunctionName=resource.name)
        if "tags" in changed:
            tags = merged_tags(current.get("tags"), resource.spec["tags"])
            lam.tag_resource(Resource=current["arn"], Tags=tags)

    def delete(self, clients: AwsClients, resource: Resource) -> None:
        """Delete the function."""
        clients.lambda_(resource.region).delete_function(FunctionName=resource.name)

    @staticmethod
    def _configuration(resource: Resource) -> dict[str, Any]:
        spec = resource.spec
        return {
            **{name: spec[key] for key, name in _CONFIGURATION.items()},
            "Environment": {"Variables": dict(spec["environment"])},
            "DeadLetterConfig": {"TargetArn": spec["dead_letter"]},
        }


class PermissionReconciler(Reconciler):
    """One statement of the function's resource policy; statements take no tags."""

    kind = "lambda-permission"
    taggable = False

    def read(self, clients: AwsClients, resource: Resource) -> Current | None:
        """The statement with the resource's name as its Sid."""
        found = call_or_none(
            clients.lambda_(resource.region).get_policy,
            ["ResourceNotFoundException"],
            FunctionName=resource.spec["function"],
        )
        statements = json.loads(found["Policy"]).get("Statement", []) if found else []
        statement = next((s for s in statements if s.get("Sid") == resource.name), None)
        if statement is None:
            return None
        conditions = statement.get("Condition", {})
        source = next(
            (
                value
                for operator in conditions.values()
                for key, value in operator.items()
                if key.lower() == "aws:sourcearn"
            ),
            None,
        )
        return {
            "function": resource.spec["function"],
            "principal": statement.get("Principal", {}).get("Service"),
            "source_arn": source,
        }

    def create(self, clients: AwsClients, resource: Resource) -> None:
        """Add the statement."""
        clients.lambda_(resource.region).add_permission(
            FunctionName=resource.spec["function"],
            StatementId=resource.name,
            Action="lambda:InvokeFunction",
            Principal=resource.spec["principal"],
            SourceArn=resource.spec["source_arn"],
            SourceAccount=clients.account_id(),
        )

    def update(
        self,
        clients: AwsClients,
        resource: Resource,
        current: Current,  # noqa: ARG002 - the Reconciler interface
        changed: Sequence[str],  # noqa: ARG002
    ) -> None:
        """Replace the statement."""
        self.delete(clients, resource)
        self.create(clients, resource)

    def delete(self, clients: AwsClients, resource: Resource) -> None:
        """Remove the statement."""
        clients.lambda_(resource.region).remove_permission(
            FunctionName=resource.spec["function"], StatementId=resource.name
        )
