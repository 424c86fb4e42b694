"""A local HTTP server that answers CloudTrail LookupEvents as AWS does (moto does not).

It speaks the AWS JSON 1.1 protocol (``X-Amz-Target:
com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents``) from real records:
one region per request (read from the SigV4 credential scope), newest events first, at most
``MaxResults`` (1-50) per page, an opaque ``NextToken`` that must come back with the same
parameters, ``StartTime``/``EndTime`` and one lookup attribute. It answers
``ThrottlingException`` (HTTP 400) when a caller makes more than ``rate`` requests a second per
account and region, or on demand. It also answers EC2 ``DescribeRegions`` for --all-regions.
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
_SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
ATTRIBUTE_KEYS = (
    "EventId",
    "EventName",
    "ReadOnly",
    "Username",
    "ResourceType",
    "ResourceName",
    "EventSource",
    "AccessKeyId",
)


def lookup_item(record: Mapping[str, Any]) -> dict[str, Any]:
    """One ``Events[]`` item as LookupEvents returns it for a record."""
    identity = record.get("userIdentity") or {}
    item: dict[str, Any] = {
        "EventId": record["eventID"],
        "EventName": record.get("eventName", ""),
        "ReadOnly": str(record.get("readOnly", False)).lower(),
        "EventTime": datetime.fromisoformat(record["eventTime"]).timestamp(),
        "EventSource": record.get("eventSource", ""),
        "Resources": [
            {"ResourceType": resource.get("type", ""), "ResourceName": resource.get("ARN", "")}
            for resource in record.get("resources") or []
        ],
        "CloudTrailEvent": json.dumps(record, separators=(",", ":")),
    }
    if identity.get("accessKeyId"):
        item["AccessKeyId"] = identity["accessKeyId"]
    username = _username(identity)
    if username:
        item["Username"] = username
    return item


def _username(identity: Mapping[str, Any]) -> str | None:
    """The user name, or the role session name of an assumed role (what Event history shows)."""
    if identity.get("type") == "AssumedRole":
        return str(identity.get("arn", "")).rsplit("/", 1)[-1] or None
    if identity.get("type") == "Root":
        return "root"
    name = identity.get("userName")
    return str(name) if name else None


@dataclass
class Call:
    """One request the server received."""

    region: str
    access_key: str
    body: dict[str, Any]
    at: float
    throttled: bool


@dataclass
class LookupServer:
    """The server's state: events per region, its rate limit, and every call it answered."""

    records: Sequence[Mapping[str, Any]]
    rate: float = 2.0
    slack: float = 0.2
    enabled_regions: Sequence[str] = ("eu-west-1", "us-east-1")
    calls: list[Call] = field(default_factory=list)
    force_throttles: int = 0
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _recent: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def items(self, region: str) -> list[dict[str, Any]]:
        """The region's events, newest first (records without an eventID are not served)."""
        chosen = [
            record
            for record in self.records
            if record.get("awsRegion") == region and record.get("eventID")
        ]
        chosen.sort(key=lambda record: (record["eventTime"], record["eventID"]), reverse=True)
        return [lookup_item(record) for record in chosen]

    def is_throttled(self, access_key: str, region: str, now: float) -> bool:
        """Whether one more request now goes over the rate (the request is counted anyway)."""
        with self._lock:
            if self.force_throttles > 0:
                self.force_throttles -= 1
                return True
            # Some slack: requests paced on the client's clock arrive with a little jitter.
            window = 1.0 - self.slack
            recent = [t for t in self._recent.get((access_key, region), []) if now - t < window]
            throttled = len(recent) >= self.rate
            recent.append(now)
            self._recent[(access_key, region)] = recent
            return throttled

    def answer(self, region: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The status and JSON body of a LookupEvents call."""
        attributes = body.get("LookupAttributes") or []
        if len(attributes) > 1:
            return _error(
                "InvalidLookupAttributesException", "You can only specify one lookup attribute."
            )
        max_results = body.get("MaxResults", 50)
        if not 1 <= max_results <= 50:
            return _error("InvalidMaxResultsException", "MaxResults must be from 1 to 50.")
        start, end = body.get("StartTime"), body.get("EndTime")
        if start is not None and end is not None and start > end:
            return _error("InvalidTimeRangeException", "StartTime must be before EndTime.")
        events = [
            item
            for item in self.items(region)
            if (start is None or item["EventTime"] >= start)
            and (end is None or item["EventTime"] <= end)
            and all(_selects(attribute, item) for attribute in attributes)
        ]
        fingerprint = _fingerprint(region, body)
        offset = 0
        if body.get("NextToken"):
            decoded = _decode_token(body["NextToken"])
            if decoded is None or decoded[0] != fingerprint:
                return _error("InvalidNextTokenException", "Invalid NextToken.")
            offset = decoded[1]
        page = events[offset : offset + max_results]
        answer: dict[str, Any] = {"Events": page}
        if offset + max_results < len(events):
            answer["NextToken"] = _encode_token(fingerprint, offset + max_results)
        return 200, answer


def _selects(attribute: Mapping[str, str], item: Mapping[str, Any]) -> bool:
    key, value = attribute.get("AttributeKey"), attribute.get("AttributeValue")
    if key in ("ResourceType", "ResourceName"):
        return any(resource.get(key) == value for resource in item["Resources"])
    return item.get(str(key)) == value


def _fingerprint(region: str, body: Mapping[str, Any]) -> str:
    same = {key: value for key, value in body.items() if key != "NextToken"}
    text = json.dumps([region, same], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _encode_token(fingerprint: str, offset: int) -> str:
    return base64.b64encode(f"{fingerprint}:{offset}".encode()).decode()


def _decode_token(token: str) -> tuple[str, int] | None:
    try:
        fingerprint, offset = base64.b64decode(token).decode().split(":")
        return fingerprint, int(offset)
    except (ValueError, UnicodeDecodeError):
        return None


def _error(code: str, message: str) -> tuple[int, dict[str, Any]]:
    return 400, {"__type": code, "message": message}


def _handler(server: LookupServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            scope = _SCOPE.search(self.headers.get("Authorization", ""))
            access_key, region, service = scope.groups() if scope else ("", "", "")
            if service == "ec2":
                self._describe_regions(parse_qs(raw.decode()))
                return
            if self.headers.get("X-Amz-Target") != TARGET:
                self._send(400, {"__type": "UnknownOperationException", "message": "?"})
                return
            body = json.loads(raw or b"{}")
            now = time.monotonic()
            throttled = server.is_throttled(access_key, region, now)
            server.calls.append(Call(region, access_key, body, now, throttled))
            if throttled:
                self._send(*_error("ThrottlingException", "Rate exceeded"))
                return
            self._send(*server.answer(region, body))

        def _send(self, status: int, body: Mapping[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _describe_regions(self, form: Mapping[str, list[str]]) -> None:
            if form.get("Action") != ["DescribeRegions"]:
                self.send_response(400)
                self.end_headers()
                return
            items = "".join(
                f"<item><regionName>{name}</regionName>"
                f"<regionEndpoint>ec2.{name}.amazonaws.com</regionEndpoint>"
                "<optInStatus>opt-in-not-required</optInStatus></item>"
                for name in server.enabled_regions
            )
            data = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
                f"<requestId>1</requestId><regionInfo>{items}</regionInfo>"
                "</DescribeRegionsResponse>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/xml;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def serving(server: LookupServer) -> Iterator[LookupServer]:
    """Run the server on a free loopback port for the duration of the block."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
