"""Projections: dot paths, array indexes, column names and shortcuts."""

from __future__ import annotations

from typing import Any

import pytest

from trailguard.errors import ConfigError
from trailguard.investigate.fields import as_text, parse_fields, parse_path, project

# A RunInstances record from the Stratus Red Team detonation logs (trimmed to what is used).
RUN_INSTANCES: dict[str, Any] = {
    "eventTime": "2024-08-01T11:30:23Z",
    "eventName": "RunInstances",
    "awsRegion": "us-east-1",
    "userIdentity": {
        "type": "AssumedRole",
        "arn": "arn:aws:sts::900138736586:assumed-role/stratus-red-team-ec2lui-role/aws-go-sdk-1",
        "accountId": "900138736586",
        "accessKeyId": "ASIA9F6MXE9HSYOXYQOS",
        "sessionContext": {"sessionIssuer": {"userName": "stratus-red-team-ec2lui-role"}},
    },
    "responseElements": {
        "instancesSet": {
            "items": [
                {"instanceId": "i-0a1", "instanceType": "t3.micro"},
                {"instanceId": "i-0b2", "instanceType": "p4d.24xlarge"},
            ]
        }
    },
    "requestParameters": {"tag.with.dots": {"k": "v"}},
    "readOnly": False,
    "recipientAccountId": "900138736586",
}


class TestPaths:
    @pytest.mark.parametrize(
        ("text", "steps"),
        [
            ("eventName", ("eventName",)),
            ("userIdentity.arn", ("userIdentity", "arn")),
            (
                "responseElements.instancesSet.items[0].instanceType",
                ("responseElements", "instancesSet", "items", 0, "instanceType"),
            ),
            ("a.b[1][-1]", ("a", "b", 1, -1)),
            ('requestParameters."tag.with.dots".k', ("requestParameters", "tag.with.dots", "k")),
        ],
    )
    def test_parse_path(self, text: str, steps: tuple[Any, ...]) -> None:
        """Keys, indexes (negative from the end) and quoted keys."""
        assert parse_path(text) == steps

    @pytest.mark.parametrize("text", ["a..b", "a[x]", "a.", "[0]", "a b"])
    def test_bad_paths_name_the_option(self, text: str) -> None:
        """A path that cannot be read is an error naming --fields and the position."""
        with pytest.raises(ConfigError, match=r"^--fields: cannot read"):
            parse_fields(text)


class TestProject:
    def test_issue_example(self) -> None:
        """The example of the issue: plain fields and an aliased path with an index."""
        fields = parse_fields(
            "eventTime,eventName,awsRegion,instanceType=responseElements.instancesSet.items[0].instanceType"
        )
        assert project(RUN_INSTANCES, fields) == {
            "eventTime": "2024-08-01T11:30:23Z",
            "eventName": "RunInstances",
            "awsRegion": "us-east-1",
            "instanceType": "t3.micro",
        }

    def test_missing_values_are_null(self) -> None:
        """A missing key, an index past the end or a step into a string give None."""
        fields = parse_fields("errorCode,responseElements.instancesSet.items[5],eventName.x")
        assert list(project(RUN_INSTANCES, fields).values()) == [None, None, None]

    def test_negative_index_and_quoted_key(self) -> None:
        """[-1] is the last item; a quoted key may hold dots."""
        fields = parse_fields(
            'last=responseElements.instancesSet.items[-1].instanceType,requestParameters."tag.with.dots".k'
        )
        assert project(RUN_INSTANCES, fields) == {
            "last": "p4d.24xlarge",
            'requestParameters."tag.with.dots".k': "v",
        }

    def test_shortcuts(self) -> None:
        """principal, accessKeyId, account ... are computed from the identity."""
        fields = parse_fields("principal,principalArn,accessKeyId,identityType,account,userName")
        assert project(RUN_INSTANCES, fields) == {
            "principal": "stratus-red-team-ec2lui-role/aws-go-sdk-1",
            "principalArn": "arn:aws:sts::900138736586:assumed-role/stratus-red-team-ec2lui-role/aws-go-sdk-1",
            "accessKeyId": "ASIA9F6MXE9HSYOXYQOS",
            "identityType": "AssumedRole",
            "account": "900138736586",
            "userName": None,
        }

    def test_duplicate_names_are_refused(self) -> None:
        """Two columns cannot share a name."""
        with pytest.raises(ConfigError, match="eventName given twice"):
            parse_fields("eventName,eventName")

    def test_empty_list_is_refused(self) -> None:
        """--fields '' asks for nothing."""
        with pytest.raises(ConfigError, match="at least one field"):
            parse_fields(" , ")

    @pytest.mark.parametrize(
        ("value", "text"),
        [(None, None), ("x", "x"), (3, "3"), (False, "false"), ({"a": [1]}, '{"a":[1]}')],
    )
    def test_cells(self, value: Any, text: str | None) -> None:
        """Table and CSV cells: JSON for objects, arrays and booleans."""
        assert as_text(value) == text
