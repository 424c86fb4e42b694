"""The network seams: one HTTP POST and one SMTP submission; the only module that opens sockets.

Senders take a ``Post`` (``HttpRequest -> HttpResponse``) and an ``SmtpSend``; tests and users
pass their own (``trailguard.testing.RecordingPost``) instead of patching anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

import orjson

from trailguard.notify.delivery import DeliveryError

if TYPE_CHECKING:
    import urllib.request
    from email.message import EmailMessage

# The networking modules (urllib, http.client, ssl, smtplib) are imported on first use, so that
# a Lambda cold start does not pay for them before an alert needs sending.


@dataclass(frozen=True)
class HttpRequest:
    """A POST: URL, body bytes, headers and a timeout in seconds."""

    url: str = field(repr=False)
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    timeout: float = 10.0

    def json(self) -> Any:
        """The body parsed as JSON."""
        return orjson.loads(self.body)


@dataclass(frozen=True)
class HttpResponse:
    """A response of any status; header names are lower case."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON."""
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return None


Post = Callable[[HttpRequest], HttpResponse]
"""Sends one HTTP request and returns the response, whatever its status."""


_OPENER: list[urllib.request.OpenerDirector] = []


def _opener() -> urllib.request.OpenerDirector:
    """A urllib opener that answers redirects as they are: a POST body never follows one."""
    import urllib.request  # noqa: PLC0415 - see the module note

    if not _OPENER:

        class NoRedirects(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *_: Any, **__: Any) -> None:
                return None

        _OPENER.append(urllib.request.build_opener(NoRedirects()))
    return _OPENER[0]


def post(request: HttpRequest) -> HttpResponse:
    """POST with urllib; connection problems raise a retryable DeliveryError.

    Error messages never include the URL, since webhook URLs are secrets.
    """
    import http.client  # noqa: PLC0415 - see the module note
    import urllib.error  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415

    if not request.url.startswith(("https://", "http://")):
        raise DeliveryError("only http:// and https:// URLs can be posted to", retryable=False)
    prepared = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        request.url, data=request.body, headers=dict(request.headers), method="POST"
    )
    try:
        with _opener().open(prepared, timeout=request.timeout) as response:
            return HttpResponse(response.status, _lower(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return HttpResponse(error.code, _lower(error.headers.items()), error.read())
    except urllib.error.URLError as error:
        raise DeliveryError(f"connection failed: {error.reason}", retryable=True) from None
    except (TimeoutError, http.client.HTTPException, OSError) as error:
        raise DeliveryError(f"connection failed: {type(error).__name__}", retryable=True) from None


def _lower(items: Any) -> dict[str, str]:
    return {str(name).lower(): str(value) for name, value in items}


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to submit mail; ``tls`` is ``starttls``, ``ssl`` or ``none``."""

    host: str
    port: int = 587
    tls: str = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    ca_file: str | None = None


SmtpSend: TypeAlias = "Callable[[SmtpSettings, EmailMessage], None]"
"""Submits one message over SMTP."""


def send_smtp(settings: SmtpSettings, message: EmailMessage) -> None:
    """Submit ``message``: STARTTLS (or implicit TLS), login, send; raises DeliveryError.

    SMTP 4xx replies and connection problems may be retried; 5xx replies may not.
    """
    import smtplib  # noqa: PLC0415 - see the module note
    import ssl  # noqa: PLC0415

    context = ssl.create_default_context(cafile=settings.ca_file)
    try:
        client: smtplib.SMTP
        if settings.tls == "ssl":
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            if settings.tls == "starttls":
                client.starttls(context=context)
            if settings.username:
                client.login(settings.username, settings.password or "")
            client.send_message(message)
    except smtplib.SMTPNotSupportedError:
        raise DeliveryError("the SMTP server does not offer STARTTLS", retryable=False) from None
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        raise DeliveryError(
            f"SMTP server refused every recipient ({', '.join(map(str, codes))})",
            retryable=all(400 <= code < 500 for code in codes),
        ) from None
    except smtplib.SMTPResponseException as error:
        text = (
            error.smtp_error.decode("utf-8", "replace")
            if isinstance(error.smtp_error, bytes)
            else str(error.smtp_error)
        )
        raise DeliveryError(
            f"SMTP {error.smtp_code}: {text[:200]}",
            retryable=400 <= error.smtp_code < 500,
            status=error.smtp_code,
        ) from None
    except (smtplib.SMTPException, ssl.SSLError, OSError) as error:
        raise DeliveryError(f"SMTP connection failed: {error}", retryable=True) from None
