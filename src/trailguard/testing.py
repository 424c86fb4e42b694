"""Test helpers for code that uses trailguard: record what would be sent instead of mocking.

``RecordingPost`` replaces the HTTP seam and ``RecordingSmtp`` the SMTP one; both keep every
request and answer from a script (HTTP statuses, SMTP errors). ``RecordingSender`` is a
destination that keeps the messages it is given. ``WebhookServer`` is a real local HTTP server
that plays Slack, Teams or a webhook, for tests that go over sockets.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import orjson

from trailguard.config.model import Target
from trailguard.notify._http import HttpRequest, HttpResponse, SmtpSettings
from trailguard.notify.delivery import DeliveryError
from trailguard.notify.message import Message

Scripted = HttpResponse | int | Exception


class RecordingPost:
    """An HTTP seam that records requests and answers from ``responses`` (then 200 ``ok``)."""

    def __init__(self, responses: Iterable[Scripted] = ()) -> None:
        self.requests: list[HttpRequest] = []
        self._responses: deque[Scripted] = deque(responses)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Record ``request`` and give the next scripted answer."""
        self.requests.append(request)
        answer = self._responses.popleft() if self._responses else 200
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, int):
            return HttpResponse(answer, {}, b"ok")
        return answer

    def bodies(self) -> list[object]:
        """The JSON bodies posted, in order."""
        return [request.json() for request in self.requests]


class RecordingSmtp:
    """An SMTP seam that records the messages submitted; scripted errors are raised first."""

    def __init__(self, errors: Iterable[DeliveryError | None] = ()) -> None:
        self.messages: list[tuple[SmtpSettings, EmailMessage]] = []
        self._errors: deque[DeliveryError | None] = deque(errors)

    def __call__(self, settings: SmtpSettings, message: EmailMessage) -> None:
        """Record one submission, or raise the next scripted error."""
        error = self._errors.popleft() if self._errors else None
        if error is not None:
            raise error
        self.messages.append((settings, message))


class RecordingSender:
    """A sender that keeps every message and target it is given."""

    def __init__(self, errors: Iterable[DeliveryError | None] = ()) -> None:
        self.sent: list[tuple[Message, Target]] = []
        self._errors: deque[DeliveryError | None] = deque(errors)

    def send(self, message: Message, target: Target) -> str:
        """Keep the message, or raise the next scripted error."""
        error = self._errors.popleft() if self._errors else None
        if error is not None:
            raise error
        self.sent.append((message, target))
        return f"recorded-{len(self.sent)}"


@dataclass(frozen=True)
class ReceivedRequest:
    """A request the local server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return orjson.loads(self.body)


Answer = tuple[int, dict[str, str], bytes]


class WebhookServer:
    """A local HTTP server that plays Slack, Teams or any webhook, over real sockets.

    It records every request and answers from a script (``answer(429, {"Retry-After": "1"})``),
    then with ``default`` (200 ``ok``; Slack's API paths get ``{"ok": true, "ts": ...}``).
    """

    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self._script: deque[Answer] = deque()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                status, extra, payload = server.record(
                    ReceivedRequest("POST", self.path, headers, body)
                )
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(self, status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
        """Queue one scripted answer."""
        with self._lock:
            self._script.append((status, headers or {}, body))

    def record(self, request: ReceivedRequest) -> Answer:
        """Keep a request and choose its answer."""
        with self._lock:
            self.requests.append(request)
            if self._script:
                return self._script.popleft()
        if request.path.endswith("/chat.postMessage"):
            ts = f"1700000000.{len(self.requests):06d}"
            body = orjson.dumps({"ok": True, "ts": ts})
            return 200, {"Content-Type": "application/json"}, body
        return 200, {}, b"ok"

    def start(self) -> WebhookServer:
        """Start serving in a thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
