"""Account aliases: given in the configuration, else looked up (Organizations, IAM) and cached.

A lookup that fails (no permission, no organization) is remembered as "no alias" for the cache
period, so it never slows down or blocks a delivery.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from trailguard.alerting.state import NotifyState
from trailguard.config.clients import ClientFactory
from trailguard.config.model import Accounts

log = logging.getLogger("trailguard.alerting")
Clock = Callable[[], datetime]
"""Returns the current time (aware, UTC); tests pass a fixed one."""


class AccountAliases:
    """Finds the alias of an account id."""

    def __init__(
        self,
        settings: Accounts,
        state: NotifyState,
        clock: Clock,
        clients: ClientFactory | None = None,
    ) -> None:
        self._settings = settings
        self._state = state
        self._clock = clock
        self._clients = clients
        self._looked_up: set[str] = set()

    def __call__(self, account: str) -> str | None:
        """The alias of ``account``, or None."""
        given = self._settings.aliases.get(account)
        if given or not account or not self._settings.lookup or self._clients is None:
            return given
        now = self._clock()
        cached = self._state.cached(f"alias:{account}", now)
        if cached is not None:
            return cached or None
        expires = now + timedelta(seconds=self._settings.cache_ttl)
        found = self._look_up(account, expires)
        self._state.cache(f"alias:{account}", found or "", expires)
        return found

    def _look_up(self, account: str, expires: datetime) -> str | None:
        for method in self._settings.lookup:
            if method in self._looked_up:
                continue
            self._looked_up.add(method)
            try:
                found = (
                    self._organizations(expires)
                    if method == "organizations"
                    else self._iam(expires)
                )
            except Exception as error:  # noqa: BLE001 - an alias is never worth a failed delivery
                log.warning("account alias lookup via %s failed: %s", method, type(error).__name__)
                continue
            if account in found:
                return found[account]
        return None

    def _organizations(self, expires: datetime) -> dict[str, str]:
        assert self._clients is not None
        client = self._clients("organizations", None)
        found: dict[str, str] = {}
        for page in client.get_paginator("list_accounts").paginate():
            for account in page.get("Accounts", []):
                found[str(account["Id"])] = str(account.get("Name", ""))
        self._remember(found, expires)
        return found

    def _iam(self, expires: datetime) -> dict[str, str]:
        assert self._clients is not None
        account = self._clients("sts", None).get_caller_identity()["Account"]
        aliases = self._clients("iam", None).list_account_aliases().get("AccountAliases", [])
        found = {str(account): str(aliases[0])} if aliases else {}
        self._remember(found, expires)
        return found

    def _remember(self, found: dict[str, str], expires: datetime) -> None:
        for account, alias in found.items():
            self._state.cache(f"alias:{account}", alias, expires)
