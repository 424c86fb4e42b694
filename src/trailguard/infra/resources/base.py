"""What every kind of resource can do: read what AWS has, create, update, delete or keep it."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from trailguard.infra.clients import AwsClients, error_code
from trailguard.infra.desired import Resource
from trailguard.infra.settings import MANAGED_BY

Current = dict[str, Any]
"""What AWS reports, in the shape of ``Resource.spec`` (plus ``tags``)."""
RETAINED = "trailguard-retained"
T = TypeVar("T")


class Reconciler:
    """Reads and changes one kind of resource; every method makes its own boto3 calls."""

    kind: ClassVar[str]
    taggable: ClassVar[bool] = True

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self.sleep = sleep

    def read(self, clients: AwsClients, resource: Resource) -> Current | None:
        """What exists under the resource's name, or None."""
        raise NotImplementedError

    def create(self, clients: AwsClients, resource: Resource) -> None:
        """Create it as specified."""
        raise NotImplementedError

    def update(
        self, clients: AwsClients, resource: Resource, current: Current, changed: Sequence[str]
    ) -> None:
        """Bring the ``changed`` properties to the spec."""
        raise NotImplementedError

    def delete(self, clients: AwsClients, resource: Resource) -> None:
        """Delete it."""
        raise NotImplementedError

    def retain(self, clients: AwsClients, resource: Resource, current: Current) -> None:
        """Keep it on destroy, tagged ``trailguard-retained`` instead of ``managed-by``."""
        raise NotImplementedError

    def discover(
        self,
        clients: AwsClients,  # noqa: ARG002 - kinds that can be found override this
        region: str,  # noqa: ARG002
        spec: Mapping[str, Any],  # noqa: ARG002
    ) -> list[str]:
        """Names of resources of this kind that look like ours, in ``region`` (default none)."""
        return []


def call_or_none(function: Callable[..., T], codes: Sequence[str], **kwargs: Any) -> T | None:
    """``function(**kwargs)``, or None when AWS answers with one of the error ``codes``."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    try:
        return function(**kwargs)
    except ClientError as error:
        if error_code(error) in codes:
            return None
        raise


def retry(
    function: Callable[..., T],
    codes: Sequence[str],
    sleep: Callable[[float], None],
    attempts: int = 8,
    **kwargs: Any,
) -> T:
    """``function(**kwargs)``, retried while AWS answers one of ``codes``.

    A role or policy just created takes seconds to reach every service (IAM is eventually
    consistent): https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency
    """
    from botocore.exceptions import ClientError  # noqa: PLC0415

    for attempt in range(attempts):
        try:
            return function(**kwargs)
        except ClientError as error:
            if error_code(error) not in codes or attempt == attempts - 1:
                raise
            sleep(min(2.0 * (attempt + 1), 10.0))
    raise AssertionError  # pragma: no cover - the loop returns or raises


def tag_list(tags: Mapping[str, str], key: str = "Key", value: str = "Value") -> list[Any]:
    """Tags as AWS's list of pairs."""
    return [{key: name, value: text} for name, text in sorted(tags.items())]


def tag_map(
    tags: Sequence[Mapping[str, Any]], key: str = "Key", value: str = "Value"
) -> dict[str, str]:
    """Tags from AWS's list of pairs."""
    return {str(item[key]): str(item.get(value, "")) for item in tags}


def merged_tags(current: Mapping[str, str] | None, wanted: Mapping[str, str]) -> dict[str, str]:
    """The wanted tags over the current ones, without the retained marker."""
    merged = {**(current or {}), **wanted}
    merged.pop(RETAINED, None)
    return merged


def retained_tags(current: Mapping[str, str]) -> dict[str, str]:
    """The tags of a resource destroy keeps: ``managed-by`` replaced by the retained marker."""
    kept = {key: value for key, value in current.items() if key != MANAGED_BY}
    return {**kept, RETAINED: "true"}
