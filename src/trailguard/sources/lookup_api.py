"""CloudTrail records from the LookupEvents API (Event history): paced, paged and retried.

LookupEvents takes one lookup attribute per call, returns at most 50 events a page (newest
first) and allows 2 requests per second per account and region; beyond that it answers
``ThrottlingException``. It covers the last 90 days of management events of one region, and
events of global services (IAM, STS's global endpoint, Organizations, root sign-in) are recorded
in us-east-1 only.
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-concepts.html#cloudtrail-concepts-global-service-events
"""

from __future__ import annotations

import queue
import random
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from trailguard.errors import InputError, Location
from trailguard.sources.lookup_events import record_from_lookup_event

if TYPE_CHECKING:
    from mypy_boto3_cloudtrail import CloudTrailClient
    from mypy_boto3_cloudtrail.literals import LookupAttributeKeyType
    from mypy_boto3_cloudtrail.type_defs import LookupEventsRequestTypeDef
else:
    CloudTrailClient = Any
    LookupAttributeKeyType = str

LOOKUP_ATTRIBUTE_KEYS = (
    "EventId",
    "AccessKeyId",
    "Username",
    "ResourceName",
    "EventName",
    "ResourceType",
    "EventSource",
    "ReadOnly",
)
"""The lookup attributes, most selective first."""
MAX_RESULTS = 50
REQUESTS_PER_SECOND = 2.0
GLOBAL_EVENTS_REGION = "us-east-1"
GLOBAL_EVENT_SOURCES = frozenset(
    {
        "iam.amazonaws.com",
        "sts.amazonaws.com",
        "organizations.amazonaws.com",
        "signin.amazonaws.com",
    }
)
"""Services whose events (all, or those of the global endpoint or root) are only in us-east-1."""
THROTTLING_CODES = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}
)
TRANSIENT_CODES = frozenset({"InternalFailure", "InternalError", "ServiceUnavailable"})

ClientFactory = Callable[[str], CloudTrailClient]
"""Builds the CloudTrail client of one region."""
Lookup = tuple[str, str]
"""One lookup attribute: ``(AttributeKey, AttributeValue)``."""


class Pacer:
    """A token bucket per key (account, region): ``rate`` calls a second, ``burst`` at once."""

    def __init__(
        self,
        rate: float = REQUESTS_PER_SECOND,
        burst: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.sleep = sleep
        self._buckets: dict[Hashable, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: Hashable) -> float:
        """Wait until one more call under ``key`` keeps to the rate; returns the seconds waited."""
        with self._lock:
            now = self.clock()
            tokens, stamp = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - stamp) * self.rate) - 1.0
            self._buckets[key] = (tokens, now)
        wait = max(0.0, -tokens / self.rate)
        if wait > 0:
            self.sleep(wait)
        return wait


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with "equal jitter" between retries of a throttled call.

    https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
    """

    base: float = 0.5
    cap: float = 20.0
    retries: int = 8

    def delay(self, attempt: int, uniform: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        ceiling: float = min(self.cap, self.base * 2.0 ** (attempt - 1))
        return ceiling / 2 + uniform() * ceiling / 2


@dataclass
class LookupStats:
    """What the API was asked: calls made, throttling answers, events returned."""

    calls: int = 0
    throttled: int = 0
    events: int = 0


class LookupEventsSource:
    """Reads events from LookupEvents in several regions at once, each paced to the API's limit.

    ``client_for_region`` builds a client per region (called before any thread starts, since
    boto3 sessions are not thread-safe). Give the clients no retries of their own
    (``Config(retries={"total_max_attempts": 1})``), so that throttling is handled here.
    """

    def __init__(  # noqa: PLR0913 - the options are keyword-only
        self,
        client_for_region: ClientFactory,
        regions: Sequence[str],
        *,
        account: str = "",
        pacer: Pacer | None = None,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
        uniform: Callable[[], float] = random.random,
        max_results: int = MAX_RESULTS,
    ) -> None:
        if not regions:
            raise InputError("LookupEvents needs at least one region")
        self.regions = tuple(dict.fromkeys(regions))
        self.account = account
        self.pacer = pacer or Pacer()
        self.backoff = backoff or Backoff()
        self.sleep = sleep
        self.uniform = uniform
        self.max_results = max(1, min(MAX_RESULTS, max_results))
        self.stats = LookupStats()
        self._stats_lock = threading.Lock()
        self._clients = {region: client_for_region(region) for region in self.regions}

    def records(
        self,
        lookups: Sequence[Lookup] = (),
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        on_error: Callable[[InputError], None] | None = None,
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(region, record)`` for every event of every region that one of ``lookups`` selects.

        Several lookups are the union of one call sequence each (an event is given once).
        No lookups means every management event in the time range. A region that fails is
        reported to ``on_error`` (or raises when there is none); the other regions go on.
        """
        found: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=4 * MAX_RESULTS)
        stop = threading.Event()

        def produce(region: str) -> None:
            try:
                for record in self.region_records(region, lookups, start=start, end=end):
                    while not stop.is_set():
                        try:
                            found.put(("record", (region, record)), timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
            except InputError as error:
                found.put(("error", error))
            except BaseException as error:  # noqa: BLE001 - handed to the reading thread
                found.put(("crash", error))
            finally:
                found.put(("done", region))

        running = len(self.regions)
        with ThreadPoolExecutor(max_workers=min(len(self.regions), 16)) as pool:
            for region in self.regions:
                pool.submit(produce, region)
            try:
                while running:
                    kind, value = found.get()
                    if kind == "record":
                        yield value
                    elif kind == "done":
                        running -= 1
                    elif kind == "error" and on_error is not None:
                        on_error(value)
                    else:
                        raise value
            finally:
                stop.set()
                _drain(found)

    def region_records(
        self,
        region: str,
        lookups: Sequence[Lookup] = (),
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The records of one region, newest first per lookup, each event once."""
        seen: set[str] = set()
        for lookup in lookups or (None,):
            for item in self._pages(region, lookup, start, end):
                event_id = item.get("EventId")
                if lookups and len(lookups) > 1 and isinstance(event_id, str):
                    if event_id in seen:
                        continue
                    seen.add(event_id)
                try:
                    record = record_from_lookup_event(item)
                except InputError as error:
                    raise InputError(error.message, location=_where(region)) from None
                with self._stats_lock:
                    self.stats.events += 1
                yield record

    def _pages(
        self,
        region: str,
        lookup: Lookup | None,
        start: datetime | None,
        end: datetime | None,
    ) -> Iterator[dict[str, Any]]:
        request: LookupEventsRequestTypeDef = {"MaxResults": self.max_results}
        if lookup is not None:
            key: LookupAttributeKeyType = lookup[0]  # type: ignore[assignment]
            request["LookupAttributes"] = [{"AttributeKey": key, "AttributeValue": lookup[1]}]
        if start is not None:
            request["StartTime"] = start
        if end is not None:
            request["EndTime"] = end
        while True:
            response = self._call(region, request)
            events: Iterable[dict[str, Any]] = response.get("Events", [])
            yield from events
            token = response.get("NextToken")
            if not token:
                return
            request["NextToken"] = token

    def _call(self, region: str, request: LookupEventsRequestTypeDef) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - boto only here

        client = self._clients[region]
        attempt = 0
        while True:
            self.pacer.acquire((self.account, region))
            with self._stats_lock:
                self.stats.calls += 1
            try:
                response: dict[str, Any] = dict(client.lookup_events(**request))
            except ClientError as error:
                reason = error.response.get("Error", {})
                code = str(reason.get("Code", "Error"))
                message = f"{code}: {reason.get('Message', str(error))}"
                if code not in THROTTLING_CODES and code not in TRANSIENT_CODES:
                    raise InputError(message, location=_where(region)) from None
                attempt += 1
                if code in THROTTLING_CODES:
                    with self._stats_lock:
                        self.stats.throttled += 1
                if attempt > self.backoff.retries:
                    raise InputError(
                        f"{message} (still failing after {self.backoff.retries} retries)",
                        location=_where(region),
                    ) from None
                self.sleep(self.backoff.delay(attempt, self.uniform))
                continue
            except BotoCoreError as error:
                raise InputError(str(error), location=_where(region)) from None
            return response


def _where(region: str) -> Location:
    return Location(f"LookupEvents in {region}")


def _drain(found: queue.Queue[tuple[str, Any]]) -> None:
    while True:
        try:
            found.get_nowait()
        except queue.Empty:
            return


def enabled_regions(client: Any) -> list[str]:
    """The regions enabled in the account, from an EC2 client's ``DescribeRegions``, sorted."""
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - boto only here

    try:
        response = client.describe_regions(AllRegions=False)
    except (BotoCoreError, ClientError) as error:
        raise InputError(f"cannot list the enabled regions: {error}") from None
    return sorted(region["RegionName"] for region in response.get("Regions", []))


def default_regions(session_region: str | None) -> list[str]:
    """The session's region and us-east-1, where global-service events are recorded."""
    regions = [session_region] if session_region else []
    return list(dict.fromkeys([*regions, GLOBAL_EVENTS_REGION]))


def global_region_hint(regions: Sequence[str], event_sources: Sequence[str]) -> str | None:
    """A reminder when the regions searched leave out us-east-1 and the query may need it."""
    if not regions or GLOBAL_EVENTS_REGION in regions:
        return None
    wanted = set(event_sources)
    if wanted and not wanted & GLOBAL_EVENT_SOURCES:
        return None
    return (
        "IAM, STS (global endpoint), Organizations and root sign-in events are recorded in "
        f"{GLOBAL_EVENTS_REGION} only; add --region {GLOBAL_EVENTS_REGION} to include them"
    )
