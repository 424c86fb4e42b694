"""Fixtures for the notification tests: alerts built from real records with the built-in rules."""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from trailguard.alerts import Alert
from trailguard.events import CloudTrailEvent
from trailguard.rules import Rule, load_pack
from trailguard.testing import WebhookServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="session")
def pack() -> dict[str, Rule]:
    """The built-in rules by id."""
    return {rule.id: rule for rule in load_pack()}


@pytest.fixture(scope="session")
def records() -> list[dict[str, Any]]:
    """The records of the EventBridge fixture envelopes, in file order."""
    lines = (FIXTURES / "eventbridge" / "cloudtrail_envelopes.jsonl").read_text().splitlines()
    return [json.loads(line)["detail"] for line in lines if line.strip()]


@pytest.fixture(scope="session")
def sso_record() -> dict[str, Any]:
    """An SSO user's CreateAccountAssignment (traildiscover, CC-BY-4.0, "TrailDiscover, Adan Alvarez")."""
    return json.loads(
        (FIXTURES / "lambda" / "records" / "sso_create_account_assignment.json").read_text()
    )


@pytest.fixture
def make_alert(pack: dict[str, Rule]) -> Callable[..., Alert]:
    """An alert of a built-in rule for a record."""

    def make(record: Mapping[str, Any], rule_id: str) -> Alert:
        return Alert.from_match(pack[rule_id], CloudTrailEvent(record))

    return make


@dataclass
class SmtpServer:
    """A local aiosmtpd server with STARTTLS and login, recording what it accepts."""

    host: str
    port: int
    ca_file: str
    username: str
    password: str
    messages: list[Envelope] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)


class _Recorder:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, _server: object, _session: object, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.server.replies:
            return self.server.replies.pop(0)
        self.server.messages.append(envelope)
        return "250 Message accepted for delivery"


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cryptography comes with moto)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    """An SMTP server on a free port that requires STARTTLS before AUTH."""
    cert, key = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = SmtpServer("127.0.0.1", port, str(cert), "alerts@example.com", "pa55-word")

    def authenticate(
        _server: object, _session: object, _envelope: object, _mechanism: str, data: object
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == server.username
            and data.password.decode() == server.password
        )
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        _Recorder(server),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
        server_hostname="127.0.0.1",
    )
    controller.start()
    yield server
    controller.stop()


@pytest.fixture
def webhook_server() -> Iterator[WebhookServer]:
    """A local HTTP server playing Slack, Teams and webhooks."""
    with WebhookServer() as server:
        yield server
