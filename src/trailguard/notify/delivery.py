"""What every sender shares: the one-attempt contract, its error, and when to try again.

A sender makes exactly one attempt and raises ``DeliveryError`` saying whether another attempt
may succeed (HTTP 429 and 5xx, throttling, connection failures) and how long the server asked us
to wait (``Retry-After``). The deliverer in ``trailguard.alerting`` owns retries and records them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

from trailguard.config.model import DeliveryPolicy, Target
from trailguard.errors import TrailguardError

if TYPE_CHECKING:
    from trailguard.notify._http import HttpResponse
    from trailguard.notify.message import Message

Secret = Callable[[], str]
"""Reads a secret when a sender first needs it (see ``trailguard.config.SecretResolver``)."""

RETRYABLE_STATUS = frozenset({408, 425, 429})
RETRYABLE_AWS_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ServiceUnavailable",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "RequestTimeout",
        "KMSThrottlingException",
    }
)


class DeliveryError(TrailguardError):
    """One delivery attempt failed; ``retryable`` says whether trying again may help."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


class Sender(Protocol):
    """Sends a message to one destination, one attempt at a time."""

    def send(self, message: Message, target: Target) -> str:
        """Make one attempt; returns the destination's reference (message id, ``ok`` ...)."""


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), if any."""
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime  # noqa: PLC0415 - rarely needed

    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def check_response(response: HttpResponse, what: str) -> None:
    """Raise DeliveryError unless the response is a 2xx; 429, 408 and 5xx may be retried."""
    if 200 <= response.status < 300:
        return
    detail = response.body[:200].decode("utf-8", "replace").strip()
    raise DeliveryError(
        f"{what} answered HTTP {response.status}" + (f": {detail}" if detail else ""),
        retryable=response.status in RETRYABLE_STATUS or response.status >= 500,
        status=response.status,
        retry_after=retry_after(response.headers),
    )


def aws_error(error: Exception, what: str) -> DeliveryError:
    """A botocore error as a DeliveryError (throttling, 5xx and connection problems retryable)."""
    from botocore.exceptions import ClientError  # noqa: PLC0415 - boto only when AWS is used

    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code", "Error"))
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return DeliveryError(
            f"{what}: {code}: {details.get('Message', '')}".rstrip(": "),
            retryable=code in RETRYABLE_AWS_CODES or (status or 0) >= 500,
            status=status,
        )
    return DeliveryError(f"{what}: {type(error).__name__}: {error}", retryable=True)


def backoff(policy: DeliveryPolicy, attempt: int, error: DeliveryError) -> float | None:
    """Seconds to wait before attempt ``attempt + 1``, or None to give up now.

    The server's Retry-After wins; otherwise the wait doubles from ``policy.backoff``. A wait
    longer than ``policy.max_delay`` gives up for this run (the failure is recorded and retried
    later by Lambda, ``watch`` or ``alerts redeliver``).
    """
    if not error.retryable or attempt >= policy.attempts:
        return None
    delay = error.retry_after
    if delay is None:
        return float(min(policy.backoff * 2 ** (attempt - 1), policy.max_delay))
    return delay if delay <= policy.max_delay else None
