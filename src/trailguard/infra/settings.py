"""The ``deploy:`` section of trailguard.yaml: what to build, checked with every problem at once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from trailguard.errors import ConfigError, Location
from trailguard.rules._yaml import LineDict, line_of, load_yaml

MANAGED_BY = "managed-by"
RUNTIMES = ("python3.11", "python3.12", "python3.13")
ARCHITECTURES = ("x86_64", "arm64")
# The values PutRetentionPolicy accepts:
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
RETENTION_DAYS = (
    *(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827),
    *(2192, 2557, 2922, 3288, 3653),
)
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_TRAIL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_FUNCTION = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ENV = re.compile(r"^env:([A-Za-z_][A-Za-z0-9_]*)$")
_PARAMETER = re.compile(r"^(/[A-Za-z0-9_.\-]+)+$")


@dataclass(frozen=True)
class TrailSettings:
    """The trail to create when the account has no multi-region trail to adopt."""

    name: str = "trailguard"
    bucket: str | None = None
    kms: bool = False
    cloudwatch_logs: bool = True
    log_retention_days: int = 365


@dataclass(frozen=True)
class RealtimeSettings:
    """The Lambda function and the EventBridge rules that feed it."""

    enabled: bool = True
    rules: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = ()
    function_name: str = "trailguard"
    runtime: str = "python3.11"
    architecture: str = "x86_64"
    memory: int = 256
    timeout: int = 60
    log_retention_days: int = 90
    dependencies: str | None = None
    state_table: bool = True


@dataclass(frozen=True)
class MetricFilterSettings:
    """Which rules become CloudWatch Logs metric filters with alarms, and who hears the alarms."""

    rules: tuple[str, ...] = ("cis-aws-foundations",)
    exclude: tuple[str, ...] = ()
    alarm_emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeploySettings:
    """Everything ``trailguard deploy`` needs besides the rules and the alerting configuration."""

    home_region: str
    regions: tuple[str, ...] = ()
    trail: TrailSettings = field(default_factory=TrailSettings)
    realtime: RealtimeSettings = field(default_factory=RealtimeSettings)
    metric_filters: MetricFilterSettings = field(default_factory=MetricFilterSettings)
    secrets: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    source: str = "trailguard.yaml"

    @classmethod
    def from_mapping(cls, mapping: object, source: str = "trailguard.yaml") -> DeploySettings:
        """Check the ``deploy:`` mapping; raises InvalidDeploySettings listing every problem."""
        return _Reader(source).settings(mapping)

    @property
    def all_tags(self) -> dict[str, str]:
        """The tags on everything deployed: ``managed-by=trailguard`` plus the configured ones."""
        return {**self.tags, MANAGED_BY: "trailguard"}


class InvalidDeploySettings(ConfigError):
    """A deploy section with problems; ``problems`` holds each with its file and line."""

    def __init__(self, problems: list[ConfigError]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class DeployFile:
    """A trailguard.yaml split in two: the deploy settings and the alerting configuration."""

    settings: DeploySettings
    config_text: str


def read_deploy_file(path: str | Path) -> DeployFile:
    """Read trailguard.yaml: its ``deploy:`` section, and the rest as the Lambda's configuration.

    The rest keeps its comments and line numbers: the deploy section's lines become blank.
    """
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(error.strerror or str(error), location=Location(where)) from None
    try:
        document = load_yaml(text) if text.strip() else LineDict()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ConfigError(f"not valid YAML: {error}", location=Location(where, line)) from None
    if not isinstance(document, LineDict) or "deploy" not in document:
        raise ConfigError("no 'deploy:' section", location=Location(where))
    settings = DeploySettings.from_mapping(document["deploy"], where)
    return DeployFile(settings, _without_section(text, document, "deploy"))


def _without_section(text: str, document: LineDict, key: str) -> str:
    lines = text.splitlines()
    start = document.key_lines[key]
    after = sorted(line for line in document.key_lines.values() if line > start)
    stop = after[0] - 1 if after else len(lines)
    kept = [("" if start <= number <= stop else line) for number, line in enumerate(lines, 1)]
    return "\n".join(kept).rstrip() + "\n"


class _Reader:
    """Reads one deploy mapping, recording every problem with its line."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[ConfigError] = []

    def problem(self, container: object, key: str | None, message: str) -> None:
        location = Location(self.source, line_of(container, key), f"deploy.{key}" if key else None)
        self.problems.append(ConfigError(message, location=location))

    def settings(self, mapping: object) -> DeploySettings:
        if not isinstance(mapping, dict):
            self.problem(mapping, None, "'deploy' must be a mapping (home_region: ...)")
            raise InvalidDeploySettings(self.problems)
        top = mapping
        self.unknown(top, "deploy", _TOP_KEYS)
        home = top.get("home_region")
        if home is None:
            self.problem(mapping, None, "deploy.home_region is required (e.g. eu-west-1)")
            home = "us-east-1"
        elif not isinstance(home, str) or not _REGION.match(home):
            self.problem(top, "home_region", f"not a region name: {home!r}")
        regions = self.strings(top, "regions", ())
        for region in regions:
            if not _REGION.match(region):
                self.problem(top, "regions", f"not a region name: {region!r}")
        settings = DeploySettings(
            home_region=str(home),
            regions=regions,
            trail=self.trail(top),
            realtime=self.realtime(top),
            metric_filters=self.metric_filters(top),
            secrets=self.secrets(top),
            tags=self.tags(top),
            source=self.source,
        )
        if self.problems:
            self.problems.sort(key=lambda p: p.location.line or 0 if p.location else 0)
            raise InvalidDeploySettings(self.problems)
        return settings

    def section(
        self, container: Mapping[str, Any], key: str, allowed: frozenset[str] | None
    ) -> Mapping[str, Any]:
        value = container.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(container, key, f"{key!r} must be a mapping")
            return {}
        if allowed is not None:
            self.unknown(value, key, allowed)
        return value

    def unknown(self, section: Mapping[str, Any], what: str, allowed: frozenset[str]) -> None:
        for name in section:
            if name not in allowed:
                keys = ", ".join(sorted(allowed))
                self.problem(section, name, f"unknown {what} key {name!r}; keys are {keys}")

    def trail(self, top: Mapping[str, Any]) -> TrailSettings:
        section = self.section(top, "trail", _TRAIL_KEYS)
        default = TrailSettings()
        name = self.text(section, "name", default.name, _TRAIL_NAME, "a trail name")
        bucket = section.get("bucket")
        if bucket is not None and not (isinstance(bucket, str) and _BUCKET.match(bucket)):
            self.problem(section, "bucket", f"not an S3 bucket name: {bucket!r}")
        return TrailSettings(
            name=name,
            bucket=str(bucket) if bucket is not None else None,
            kms=self.flag(section, "kms", default.kms),
            cloudwatch_logs=self.flag(section, "cloudwatch_logs", default.cloudwatch_logs),
            log_retention_days=self.retention(section, default.log_retention_days),
        )

    def realtime(self, top: Mapping[str, Any]) -> RealtimeSettings:
        section = self.section(top, "realtime", _REALTIME_KEYS)
        default = RealtimeSettings()
        dependencies = section.get("dependencies")
        if dependencies is not None and not isinstance(dependencies, str):
            self.problem(section, "dependencies", "a folder of Lambda-ready packages")
        return RealtimeSettings(
            enabled=self.flag(section, "enabled", default.enabled),
            rules=self.strings(section, "rules", default.rules),
            exclude=self.strings(section, "exclude", ()),
            function_name=self.text(
                section, "function_name", default.function_name, _FUNCTION, "a function name"
            ),
            runtime=self.choice(section, "runtime", default.runtime, RUNTIMES),
            architecture=self.choice(section, "architecture", default.architecture, ARCHITECTURES),
            memory=self.number(section, "memory", default.memory, 128, 10240),
            timeout=self.number(section, "timeout", default.timeout, 1, 900),
            log_retention_days=self.retention(section, default.log_retention_days),
            dependencies=dependencies if isinstance(dependencies, str) else None,
            state_table=self.flag(section, "state_table", default.state_table),
        )

    def metric_filters(self, top: Mapping[str, Any]) -> MetricFilterSettings:
        section = self.section(top, "metric_filters", _METRIC_KEYS)
        emails = self.strings(section, "alarm_emails", ())
        for email in emails:
            if not _EMAIL.match(email):
                self.problem(section, "alarm_emails", f"not an e-mail address: {email!r}")
        return MetricFilterSettings(
            rules=self.strings(section, "rules", MetricFilterSettings().rules),
            exclude=self.strings(section, "exclude", ()),
            alarm_emails=emails,
        )

    def secrets(self, top: Mapping[str, Any]) -> dict[str, str]:
        section = self.section(top, "secrets", None)
        found: dict[str, str] = {}
        for name, value in section.items():
            if not _PARAMETER.match(name):
                self.problem(section, name, f"{name!r}: a parameter name like /trailguard/slack")
            elif not (isinstance(value, str) and _ENV.match(value)):
                self.problem(
                    section,
                    name,
                    f"{name}: the value must come from the environment (env:NAME), never the file",
                )
            else:
                found[name] = value
        return found

    def tags(self, top: Mapping[str, Any]) -> dict[str, str]:
        section = self.section(top, "tags", None)
        found: dict[str, str] = {}
        for key, value in section.items():
            if key == MANAGED_BY:
                self.problem(section, key, f"the {MANAGED_BY} tag is trailguard's own")
            elif not isinstance(value, str | int | float) or isinstance(value, bool):
                self.problem(section, key, f"tag {key!r} must have a text value")
            else:
                found[key] = str(value)
        return found

    def flag(self, section: Mapping[str, Any], key: str, default: bool) -> bool:
        value = section.get(key, default)
        if not isinstance(value, bool):
            self.problem(section, key, f"{key} must be true or false")
            return default
        return value

    def number(
        self, section: Mapping[str, Any], key: str, default: int, low: int, high: int
    ) -> int:
        value = section.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(section, key, f"{key} must be a whole number from {low} to {high}")
            return default
        return value

    def retention(self, section: Mapping[str, Any], default: int) -> int:
        value = section.get("log_retention_days", default)
        if value not in RETENTION_DAYS or isinstance(value, bool):
            choices = ", ".join(str(days) for days in RETENTION_DAYS)
            self.problem(
                section, "log_retention_days", f"log_retention_days must be one of {choices}"
            )
            return default
        return int(value)

    def choice(
        self, section: Mapping[str, Any], key: str, default: str, choices: tuple[str, ...]
    ) -> str:
        value = section.get(key, default)
        if value not in choices:
            self.problem(section, key, f"{key} must be one of {', '.join(choices)}")
            return default
        return str(value)

    def text(
        self, section: Mapping[str, Any], key: str, default: str, shape: re.Pattern[str], what: str
    ) -> str:
        value = section.get(key, default)
        if not isinstance(value, str) or not shape.match(value):
            self.problem(section, key, f"not {what}: {value!r}")
            return default
        return value

    def strings(
        self, section: Mapping[str, Any], key: str, default: tuple[str, ...]
    ) -> tuple[str, ...]:
        value = section.get(key)
        if value is None:
            return default
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.problem(section, key, f"{key} must be a list of strings")
            return default
        return tuple(value)


_TOP_KEYS = frozenset(
    {"home_region", "regions", "trail", "realtime", "metric_filters", "secrets", "tags"}
)
_TRAIL_KEYS = frozenset({"name", "bucket", "kms", "cloudwatch_logs", "log_retention_days"})
_REALTIME_KEYS = frozenset(
    {
        "enabled",
        "rules",
        "exclude",
        "function_name",
        "runtime",
        "architecture",
        "memory",
        "timeout",
        "log_retention_days",
        "dependencies",
        "state_table",
    }
)
_METRIC_KEYS = frozenset({"rules", "exclude", "alarm_emails"})
