"""AWS clients made on demand: the one place outside the CLI that builds them from a session."""

from __future__ import annotations

import threading
from typing import Any, Protocol


class ClientFactory(Protocol):
    """Gives a boto3 client for a service (and region); tests pass one that builds moto clients."""

    def __call__(self, service: str, region: str | None = None) -> Any:
        """The client of ``service`` in ``region`` (the session's region when None)."""


class Boto3Clients:
    """Builds boto3 clients on first use and keeps one per (service, region).

    boto3 is imported on the first call, so a Lambda cold start that never touches AWS does not
    pay for it.
    """

    def __init__(self, session: Any = None) -> None:
        self._session = session
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str, region: str | None = None) -> Any:
        """The client of ``service`` in ``region``, made on first use."""
        key = (service, region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                if self._session is None:
                    import boto3  # noqa: PLC0415 - loaded only when AWS is used

                    self._session = boto3.session.Session()
                client = self._session.client(service, region_name=region)
                self._clients[key] = client
            return client
