"""Renderers are pure: each alert renders to exactly the payload in tests/golden/notify/.

Set TRAILGUARD_UPDATE_GOLDEN=1 to rewrite the golden files after a deliberate change.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from trailguard.alerts import Alert
from trailguard.config import Template
from trailguard.events import CloudTrailEvent
from trailguard.notify import (
    Digest,
    Message,
    build_message,
    email_html,
    email_text,
    render_blocks,
    render_card,
    render_email,
    render_sns,
    render_webhook,
    sample_alert,
    slack,
    teams,
)
from trailguard.notify.message import Field, person
from trailguard.rules import Rule, Severity
from trailguard.timeparse import zone

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "notify"
UPDATE = os.environ.get("TRAILGUARD_UPDATE_GOLDEN") == "1"
SEOUL = zone("Asia/Seoul")
SSO_RULE = Rule(
    id="sso-account-assignment",
    title="IAM Identity Center account assignment created",
    severity=Severity.HIGH,
    runbook="https://docs.aws.amazon.com/singlesignon/latest/userguide/useraccess.html",
    fields={
        "Permission set": "requestParameters.permissionSetArn",
        "Target": "requestParameters.targetId",
    },
)


def check_golden(name: str, content: str) -> None:
    """Compare with (or, when updating, write) one golden file."""
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        if not UPDATE:
            pytest.fail(f"golden file {name} was missing and has been written; check it in")
    assert content == path.read_text(), f"{name} differs (TRAILGUARD_UPDATE_GOLDEN=1 rewrites)"


def as_json(payload: Any) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


@pytest.fixture
def messages(
    records: list[dict[str, Any]],
    make_alert: Callable[..., Alert],
    pack: dict[str, Rule],
    sso_record: dict[str, Any],
) -> dict[str, Message]:
    """One message per interesting case, built as the pipeline builds them."""
    root = make_alert(records[0], "console-login-root")
    failure = make_alert(records[1], "console-login-failure")
    denied = make_alert(records[11], "cloudtrail-logging-stopped")
    sso = Alert.from_match(SSO_RULE, CloudTrailEvent(sso_record))
    huge_record = {
        **records[4],
        "requestParameters": {f"parameter{i:02d}": "x" * 400 for i in range(40)},
        "userAgent": "agent " * 2000,
    }
    huge = make_alert(huge_record, "iam-access-key-created")
    return {
        "root-console-login": build_message(
            root, rule=pack["console-login-root"], tz=SEOUL, account_alias="prod"
        ),
        "iam-console-login-failure": build_message(
            failure, rule=pack["console-login-failure"], tz=SEOUL
        ),
        "stop-logging-denied": build_message(denied, rule=pack["cloudtrail-logging-stopped"]),
        "sso-account-assignment": build_message(
            sso, rule=SSO_RULE, tz=zone("Europe/Paris"), account_alias="sandbox"
        ),
        "stop-logging-digest": build_message(
            denied,
            rule=pack["cloudtrail-logging-stopped"],
            digest=Digest(37, "2024-08-18T13:01:07Z", "2024-08-18T13:15:59Z", ("a", "b")),
        ),
        "oversized": build_message(
            huge,
            rule=pack["iam-access-key-created"],
            template=Template(title="T" * 400, summary="S" * 5000),
        ),
        "sample": build_message(sample_alert(), tz=SEOUL),
    }


CASES = [
    "root-console-login",
    "iam-console-login-failure",
    "stop-logging-denied",
    "sso-account-assignment",
    "stop-logging-digest",
    "oversized",
    "sample",
]


@pytest.mark.parametrize("case", CASES)
class TestGolden:
    def test_slack(self, messages: dict[str, Message], case: str) -> None:
        """Slack Block Kit payload."""
        check_golden(f"{case}.slack.json", as_json(render_blocks(messages[case])))

    def test_teams(self, messages: dict[str, Message], case: str) -> None:
        """Teams Adaptive Card payload."""
        check_golden(f"{case}.teams.json", as_json(render_card(messages[case])))

    def test_webhook(self, messages: dict[str, Message], case: str) -> None:
        """Generic webhook JSON (without the record, which is the input)."""
        payload = render_webhook(messages[case], include_record=False)
        check_golden(f"{case}.webhook.json", as_json(payload))

    def test_email(self, messages: dict[str, Message], case: str) -> None:
        """E-mail text and HTML parts."""
        check_golden(f"{case}.email.txt", email_text(messages[case]))
        check_golden(f"{case}.email.html", email_html(messages[case]))

    def test_sns(self, messages: dict[str, Message], case: str) -> None:
        """SNS Publish arguments."""
        check_golden(f"{case}.sns.json", as_json(render_sns(messages[case])))


class TestConsoleSignIn:
    def test_title_names_identity_type_and_user(self, messages: dict[str, Message]) -> None:
        """Console sign-ins read "[Type] name AWS Console Login"."""
        assert messages["root-console-login"].title == "[Root] root AWS Console Login"
        assert (
            messages["iam-console-login-failure"].title
            == "[IAMUser] anaya AWS Console Login (Failure)"
        )

    def test_fields_a_responder_needs(self, messages: dict[str, Message]) -> None:
        """Time in KST and UTC, source IP, result with the error, MFA, regions, user agent."""
        fields = {f.label: f.value for f in messages["iam-console-login-failure"].fields}
        assert fields["Time"] == "2022-11-11 01:24:34 KST (2022-11-10 16:24:34 UTC)"
        assert fields["Source IP"] == "192.0.2.0"
        assert fields["Result"] == "Failure: Failed authentication"
        assert fields["MFA used"] == "Yes"
        assert fields["Region recorded"] == "us-east-1"
        assert fields["Login to"] == "global"
        assert fields["User agent"].startswith("Mozilla/5.0")

    def test_login_to_region(self) -> None:
        """The region of LoginTo is read from its query or its host."""
        fields = {f.label: f.value for f in build_message(sample_alert()).fields}
        assert fields["Login to"] == "eu-west-1"
        assert fields["Time"] == "2024-03-01 12:00:00 UTC"

    def test_mfa_is_compared_without_case(
        self, records: list[dict[str, Any]], make_alert: Callable[..., Alert]
    ) -> None:
        """AWS's "YES" sample reads as Yes."""
        record = {**records[0], "additionalEventData": {"MFAUsed": "YES"}}
        fields = {
            f.label: f.value for f in build_message(make_alert(record, "console-login-root")).fields
        }
        assert fields["MFA used"] == "Yes"


class TestApiCall:
    def test_sso_user_is_resolved_to_a_person(self, messages: dict[str, Message]) -> None:
        """An AWSReservedSSO role session is shown as the user and permission set."""
        message = messages["sso-account-assignment"]
        fields = {f.label: f.value for f in message.fields}
        assert fields["Who"].startswith("AdanAlvarez (SSO AdministratorAccess)\narn:aws:sts::")
        assert fields["Where"] == "sandbox (111111111111), euiso-south-2r"
        assert fields["Permission set"].startswith("arn:aws:sso:::permissionSet/")
        assert "targetType: AWS_ACCOUNT" in fields["Request parameters"]
        assert message.links[0].url == (
            "https://euiso-south-2r.console.aws.amazon.com/cloudtrailv2/home?region=euiso-south-2r"
            "#/events/7a0067f3-5a91-4116-ab94-e497b06054ae"
        )
        assert message.links[1].label == "Runbook"

    def test_error_code_and_message(self, messages: dict[str, Message]) -> None:
        """A denied call says so in the summary and in an Error field."""
        message = messages["stop-logging-denied"]
        assert message.summary.endswith("it failed with AccessDenied.")
        fields = {f.label: f.value for f in message.fields}
        assert fields["Error"].startswith("AccessDenied: User: arn:aws:iam::111111111111:user/")

    def test_source_identity_and_federated_users(self) -> None:
        """Role sessions with a source identity and federated users are named as people."""
        role = CloudTrailEvent(
            {
                "userIdentity": {
                    "type": "AssumedRole",
                    "arn": "arn:aws:sts::1:assumed-role/Deploy/ci-42",
                    "sessionContext": {"sourceIdentity": "alice"},
                }
            }
        )
        assert person(role) == "alice (as Deploy/ci-42)"
        federated = CloudTrailEvent(
            {"userIdentity": {"type": "FederatedUser", "arn": "arn:aws:sts::1:federated-user/bob"}}
        )
        assert person(federated) == "bob"

    def test_templates_override_title_and_summary(
        self, records: list[dict[str, Any]], make_alert: Callable[..., Alert], pack: dict[str, Rule]
    ) -> None:
        """Templates fill variables, record paths and rule fields."""
        alert = make_alert(records[11], "cloudtrail-logging-stopped")
        template = Template(
            title="{severity}: {principal} {event_name} {userIdentity.arn}",
            summary="{account_alias} at {event_time}",
        )
        message = build_message(
            alert, rule=pack["cloudtrail-logging-stopped"], template=template, account_alias="prod"
        )
        assert (
            message.title
            == "high: TrailDiscover StopLogging arn:aws:iam::111111111111:user/TrailDiscover"
        )
        assert message.summary == "prod at 2024-08-18 13:01:07 UTC"


class TestLimits:
    def test_slack_never_exceeds_block_kit_limits(self, messages: dict[str, Message]) -> None:
        """Every case fits: 50 blocks, 3000 per section, 2000 per field, 150 per header."""
        for message in messages.values():
            payload = render_blocks(message)
            blocks = payload["blocks"]
            assert len(blocks) <= slack.MAX_BLOCKS
            assert len(blocks[0]["text"]["text"]) <= slack.HEADER_TEXT
            for block in blocks:
                if "text" in block and block["type"] == "section":
                    assert len(block["text"]["text"]) <= slack.SECTION_TEXT
                for field in block.get("fields", []):
                    assert len(field["text"]) <= slack.FIELD_TEXT
                for element in block.get("elements", []):
                    assert len(element["text"]) <= slack.SECTION_TEXT

    def test_slack_truncates_with_a_marker(self, messages: dict[str, Message]) -> None:
        """The oversized message is cut with a visible marker, and still has its links."""
        payload = render_blocks(messages["oversized"])
        text = json.dumps(payload)
        assert "[truncated]" in text
        assert "CloudTrail event" in payload["blocks"][-1]["elements"][0]["text"]

    def test_too_many_fields_become_a_note(self) -> None:
        """More than 50 blocks are cut to 50 with a note saying how many were left out."""
        message = Message(
            kind="alert",
            title="many",
            summary="s",
            severity=Severity.LOW,
            rule_id="r",
            rule_title="R",
            fields=tuple(Field(f"f{i}", "v", long=True) for i in range(80)),
        )
        blocks = render_blocks(message)["blocks"]
        assert len(blocks) == 50
        assert blocks[-2]["elements"][0]["text"] == "… 34 more blocks not shown"

    def test_teams_card_stays_under_its_size_limit(self, messages: dict[str, Message]) -> None:
        """The oversized card is shrunk below 25 KB."""
        payload = render_card(messages["oversized"])
        assert len(json.dumps(payload).encode()) <= teams.MAX_CARD_BYTES

    def test_sns_subject_is_short_ascii(self, messages: dict[str, Message]) -> None:
        """SNS subjects are ASCII, one line and under 100 characters."""
        for message in messages.values():
            subject = render_sns(message)["Subject"]
            assert len(subject) < 100
            assert subject.isascii()
            assert "\n" not in subject

    def test_slack_escapes_control_characters(self) -> None:
        """<, > and & from records cannot inject Slack links or mentions."""
        message = Message("alert", "t", "<!channel> & <http://evil|x>", Severity.LOW, "r", "R")
        assert (
            render_blocks(message)["blocks"][1]["text"]["text"]
            == "&lt;!channel&gt; &amp; &lt;http://evil|x&gt;"
        )


class TestEmail:
    def test_mime_message_has_text_and_html(self, messages: dict[str, Message]) -> None:
        """The e-mail is multipart/alternative with the subject carrying severity and title."""
        mail = render_email(
            messages["root-console-login"],
            sender="a@example.com",
            recipients=["b@example.com", "c@example.com"],
        )
        assert mail["Subject"] == "[trailguard] [HIGH] [Root] root AWS Console Login"
        assert mail["To"] == "b@example.com, c@example.com"
        assert mail.get_content_type() == "multipart/alternative"
        kinds = [part.get_content_type() for part in mail.iter_parts()]
        assert kinds == ["text/plain", "text/html"]
