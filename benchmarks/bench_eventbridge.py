"""Benchmark EventBridge pattern matching against the cost of reading CloudTrail.

    python benchmarks/bench_eventbridge.py --records 200000
    python benchmarks/bench_eventbridge.py --archive DIR

One run measures, over every record of an S3-layout archive (one file at a time):

* floor: gunzip (isal if available) + orjson.loads, touching every record;
* floor + ``to_envelope``;
* floor + ``to_envelope`` + ``PatternSet.matching`` with 1, 30 and 300 patterns.

The archive is generated with ../shared/bench/gen_cloudtrail.py into benchmarks/data/ when
``--archive`` is not given. Results are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import gc
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from _common import GENERATOR
from trailguard.events import to_envelope
from trailguard.patterns.eventbridge import PatternSet

try:
    from isal import igzip as gzip_module
except ImportError:  # pragma: no cover - isal is a dependency, gzip is the fallback
    import gzip as gzip_module

HERE = Path(__file__).resolve().parent

IAM_CHANGES = [
    "AddUserToGroup",
    "AttachGroupPolicy",
    "AttachRolePolicy",
    "AttachUserPolicy",
    "CreateAccessKey",
    "CreateLoginProfile",
    "CreatePolicy",
    "CreatePolicyVersion",
    "CreateRole",
    "CreateUser",
    "DeleteAccessKey",
    "DeleteGroupPolicy",
    "DeleteLoginProfile",
    "DeletePolicy",
    "DeletePolicyVersion",
    "DeleteRole",
    "DeleteRolePolicy",
    "DeleteUser",
    "DeleteUserPolicy",
    "DetachGroupPolicy",
    "DetachRolePolicy",
    "DetachUserPolicy",
    "PutGroupPolicy",
    "PutRolePolicy",
    "PutUserPolicy",
    "UpdateAssumeRolePolicy",
    "UpdateLoginProfile",
]

SECURITY_PATTERNS: dict[str, dict[str, Any]] = {
    "console-login": {
        "detail-type": ["AWS Console Sign In via CloudTrail"],
        "detail": {"eventName": ["ConsoleLogin"]},
    },
    "console-login-failure": {
        "source": ["aws.signin"],
        "detail": {
            "eventName": ["ConsoleLogin"],
            "responseElements": {"ConsoleLogin": ["Failure"]},
        },
    },
    "console-login-without-mfa": {
        "detail": {
            "eventName": ["ConsoleLogin"],
            "additionalEventData": {"MFAUsed": [{"anything-but": "Yes"}]},
            "responseElements": {"ConsoleLogin": ["Success"]},
        }
    },
    "root-usage": {
        "detail": {
            "userIdentity": {"type": ["Root"], "invokedBy": [{"exists": False}]},
            "eventType": [{"anything-but": "AwsServiceEvent"}],
        }
    },
    "iam-changes": {"source": ["aws.iam"], "detail": {"eventName": IAM_CHANGES}},
    "cloudtrail-tampering": {
        "source": ["aws.cloudtrail"],
        "detail": {"eventName": ["StopLogging", "DeleteTrail", "UpdateTrail"]},
    },
    "guardduty-disabled": {
        "detail": {
            "eventSource": ["guardduty.amazonaws.com"],
            "eventName": ["DeleteDetector", "UpdateDetector", "DisassociateFromMasterAccount"],
        }
    },
    "config-changes": {
        "detail": {
            "eventSource": ["config.amazonaws.com"],
            "eventName": [
                "StopConfigurationRecorder",
                "DeleteDeliveryChannel",
                "PutDeliveryChannel",
                "PutConfigurationRecorder",
            ],
        }
    },
    "kms-key-disabled": {
        "source": ["aws.kms"],
        "detail": {"eventName": ["DisableKey", "ScheduleKeyDeletion"]},
    },
    "s3-bucket-policy": {
        "source": ["aws.s3"],
        "detail": {
            "eventName": [
                "PutBucketPolicy",
                "PutBucketAcl",
                "PutBucketCors",
                "PutBucketLifecycle",
                "PutBucketReplication",
                "DeleteBucketPolicy",
            ]
        },
    },
    "security-group-changes": {
        "detail": {
            "eventName": [
                "AuthorizeSecurityGroupIngress",
                "AuthorizeSecurityGroupEgress",
                "RevokeSecurityGroupIngress",
                "RevokeSecurityGroupEgress",
                "CreateSecurityGroup",
                "DeleteSecurityGroup",
            ]
        }
    },
    "nacl-changes": {
        "detail": {
            "eventName": [
                "CreateNetworkAcl",
                "CreateNetworkAclEntry",
                "DeleteNetworkAcl",
                "DeleteNetworkAclEntry",
                "ReplaceNetworkAclEntry",
                "ReplaceNetworkAclAssociation",
            ]
        }
    },
    "route-table-changes": {
        "detail": {
            "eventName": [
                "CreateRoute",
                "CreateRouteTable",
                "ReplaceRoute",
                "ReplaceRouteTableAssociation",
                "DeleteRouteTable",
                "DeleteRoute",
                "DisassociateRouteTable",
            ]
        }
    },
    "vpc-changes": {
        "detail": {
            "eventName": [
                "CreateVpc",
                "DeleteVpc",
                "ModifyVpcAttribute",
                "AcceptVpcPeeringConnection",
                "CreateVpcPeeringConnection",
                "DeleteVpcPeeringConnection",
                "RejectVpcPeeringConnection",
                "AttachClassicLinkVpc",
                "DetachClassicLinkVpc",
                "DisableVpcClassicLink",
                "EnableVpcClassicLink",
            ]
        }
    },
    "gateway-changes": {
        "detail": {
            "eventName": [
                "CreateCustomerGateway",
                "DeleteCustomerGateway",
                "AttachInternetGateway",
                "CreateInternetGateway",
                "DeleteInternetGateway",
                "DetachInternetGateway",
            ]
        }
    },
    "organizations-changes": {
        "source": ["aws.organizations"],
        "detail": {
            "eventName": [
                "AttachPolicy",
                "CreateAccount",
                "LeaveOrganization",
                "DetachPolicy",
                "DisablePolicyType",
                "RemoveAccountFromOrganization",
                "InviteAccountToOrganization",
            ]
        },
    },
    "unauthorized-calls": {
        "detail": {
            "errorCode": [
                {"prefix": "AccessDenied"},
                "Client.UnauthorizedOperation",
                {"suffix": "UnauthorizedOperation"},
            ]
        }
    },
    "errors-not-throttling": {
        "detail": {
            "errorCode": [{"anything-but": ["ThrottlingException", "Client.RequestLimitExceeded"]}],
            "eventSource": [{"anything-but": {"prefix": "sts."}}],
        }
    },
    "ssh-rdp-open-to-world": {
        "detail": {
            "eventName": ["AuthorizeSecurityGroupIngress"],
            "requestParameters": {
                "ipPermissions": {
                    "items": {
                        "fromPort": [22, 3389],
                        "ipRanges": {"items": {"cidrIp": ["0.0.0.0/0"]}},
                    }
                }
            },
        }
    },
    "iam-user-outside-office": {
        "detail": {
            "userIdentity": {"type": ["IAMUser"]},
            "eventSource": ["iam.amazonaws.com"],
            "sourceIPAddress": [{"anything-but": {"prefix": "10."}}],
            "readOnly": [False],
        }
    },
    "access-key-created": {
        "detail": {"eventName": ["CreateAccessKey"], "userIdentity": {"type": ["IAMUser", "Root"]}}
    },
    "mfa-changes": {
        "detail": {
            "eventName": [
                "DeactivateMFADevice",
                "DeleteVirtualMFADevice",
                "CreateVirtualMFADevice",
                "EnableMFADevice",
            ]
        }
    },
    "snapshot-shared": {
        "detail": {
            "eventName": ["ModifySnapshotAttribute"],
            "requestParameters": {"attributeType": ["CREATE_VOLUME_PERMISSION"]},
        }
    },
    "lambda-permission-or-code": {
        "source": ["aws.lambda"],
        "detail": {"eventName": [{"prefix": "AddPermission"}, {"prefix": "UpdateFunctionCode"}]},
    },
    "secret-read-outside-lambda": {
        "detail": {
            "eventName": ["GetSecretValue"],
            "userIdentity": {
                "arn": [
                    {"anything-but": {"prefix": "arn:aws:sts::123456789012:assumed-role/lambda-"}}
                ]
            },
        }
    },
    "gpu-instance-launch": {
        "detail": {
            "eventName": ["RunInstances"],
            "requestParameters": {
                "instanceType": [{"wildcard": "p4d.*"}, {"wildcard": "g5.*"}, {"prefix": "x2"}]
            },
        }
    },
    "log-deletion": {
        "detail": {
            "eventSource": ["logs.amazonaws.com"],
            "eventName": ["DeleteLogGroup", "DeleteLogStream", "PutRetentionPolicy"],
        }
    },
    "breakglass-or-root": {
        "detail": {
            "$or": [
                {"userIdentity": {"type": ["Root"]}},
                {"userIdentity": {"userName": ["breakglass-admin"]}},
            ],
            "eventName": [{"exists": True}],
        }
    },
    "assume-breakglass-role": {
        "detail": {
            "eventName": ["AssumeRole"],
            "requestParameters": {"roleArn": [{"suffix": ":role/BreakGlassAdmin"}]},
        }
    },
    "ingress-from-public-cidr": {
        "detail": {
            "eventName": ["AuthorizeSecurityGroupIngress"],
            "sourceIPAddress": [{"cidr": "0.0.0.0/1"}, {"cidr": "128.0.0.0/1"}],
        }
    },
}
REGIONS = ["us-east-1", "eu-west-1", "us-west-2", "eu-central-1", "ap-southeast-2"]
ACCOUNTS = ["123456789012", "210987654321", "555566667777", "999988887777", "111122223333"]


def variants(patterns: dict[str, dict[str, Any]], count: int) -> dict[str, dict[str, Any]]:
    """``count`` patterns built from ``patterns``: each again per region, account or name subset."""
    result: dict[str, dict[str, Any]] = {}
    rounds = 0
    while len(result) < count:
        for name, pattern in patterns.items():
            if len(result) >= count:
                break
            result[f"{name}#{rounds}"] = _variant(pattern, rounds)
        rounds += 1
    return result


def _variant(pattern: dict[str, Any], number: int) -> dict[str, Any]:
    """Variant ``number`` of a pattern: per region, per account, or half of its event names."""
    if number == 0:
        return pattern
    changed = orjson.loads(orjson.dumps(pattern))
    names = changed.get("detail", {}).get("eventName")
    kind = number % 3
    if kind == 2 and isinstance(names, list) and len(names) > 1:
        changed["detail"]["eventName"] = names[number % 2 :: 2]
        return changed
    if kind != 1:
        changed["region"] = [REGIONS[number % len(REGIONS)]]
    if kind != 0:
        changed["account"] = [ACCOUNTS[number % len(ACCOUNTS)]]
    return changed


def archive_files(root: Path) -> list[Path]:
    """Every CloudTrail log file under an S3-layout archive, in a stable order."""
    return sorted(root.rglob("*.json.gz"))


def records_of(path: Path) -> list[dict[str, Any]]:
    """The records of one gzip CloudTrail file."""
    records: list[dict[str, Any]] = orjson.loads(gzip_module.decompress(path.read_bytes()))[
        "Records"
    ]
    return records


def current_rss_mib() -> float:
    """Resident set size now (Linux /proc), in MiB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mib() -> float:
    """Peak resident set size so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Pass:
    """Times of one kind of pass, split by phase (CPU seconds of this process).

    Passes are interleaved file by file (which pass goes first rotates by round), and each phase
    of each file keeps its best time over the rounds, which removes most of the noise other
    processes add on a shared machine.
    """

    label: str
    envelopes: bool = True
    parse: dict[int, float] = field(default_factory=dict)
    envelope: dict[int, float] = field(default_factory=dict)
    matching: dict[int, float] = field(default_factory=dict)
    records: int = 0
    matches: int = 0

    def keep(self, phase: dict[int, float], position: int, seconds: float) -> None:
        """Record a phase time of one file, keeping the best."""
        phase[position] = min(seconds, phase.get(position, seconds))

    def seconds(self, phase: dict[int, float]) -> float:
        """A phase over the whole archive."""
        return sum(phase.values())

    @property
    def total(self) -> float:
        """All phases together."""
        return sum(self.seconds(phase) for phase in (self.parse, self.envelope, self.matching))


def run_file(result: Pass, position: int, path: Path, patterns: PatternSet | None) -> None:
    """Time one file for one pass: parse, then envelopes, then matching (per the pass)."""
    clock = time.process_time
    start = clock()
    records = records_of(path)
    touched = 0
    for record in records:  # touch every record, as any consumer would
        touched += record is not None
    parsed = clock()
    assert touched == len(records)
    result.keep(result.parse, position, parsed - start)
    result.records += len(records)
    if not result.envelopes:
        return
    batch = [to_envelope(record) for record in records]
    built = clock()
    result.keep(result.envelope, position, built - parsed)
    if patterns is not None:
        matching = patterns.matching
        matches = 0
        for envelope in batch:
            matches += len(matching(envelope))
        result.keep(result.matching, position, clock() - built)
        result.matches += matches


def ensure_archive(records: int, files: int, jobs: int) -> Path:
    """The generated archive for ``records`` records, generating it if missing."""
    target = HERE / "data" / f"cloudtrail-{records}"
    if not any(target.rglob("*.json.gz")):
        command = [
            sys.executable,
            str(GENERATOR),
            "--out",
            str(target),
            "--records",
            str(records),
            "--files",
            str(files),
            "--seed",
            "42",
            "--jobs",
            str(jobs),
        ]
        subprocess.run(command, check=True)
    return target


def main(argv: list[str] | None = None) -> int:
    """Run every measurement (best of ``--rounds``) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, help="S3-layout archive to read")
    parser.add_argument("--records", type=int, default=200_000, help="records to generate")
    parser.add_argument("--files", type=int, default=0, help="files to generate (records/1000)")
    parser.add_argument("--jobs", type=int, default=2, help="generator processes")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best one counts")
    args = parser.parse_args(argv)
    root = args.archive or ensure_archive(
        args.records, args.files or max(1, args.records // 1000), args.jobs
    )
    files = archive_files(root)
    if not files:
        parser.error(f"no *.json.gz files under {root}")

    sets = {
        1: PatternSet({"iam-changes": SECURITY_PATTERNS["iam-changes"]}),
        30: PatternSet(SECURITY_PATTERNS),
        300: PatternSet(variants(SECURITY_PATTERNS, 300)),
    }
    for path in files:  # warm the page cache so the first pass is not penalised
        path.read_bytes()

    passes = [
        (Pass("parse floor (gunzip + orjson)", envelopes=False), None),
        (Pass("+ to_envelope"), None),
        *((Pass(f"+ to_envelope + {n} patterns"), patterns) for n, patterns in sets.items()),
    ]
    rss_half = rss_end = 0.0
    for round_number in range(args.rounds):
        gc.collect()
        for result, _ in passes:
            result.records = result.matches = 0
        # Rotate which pass reads a file first: the first read of a file runs on colder caches.
        order = passes[round_number % len(passes) :] + passes[: round_number % len(passes)]
        for position, path in enumerate(files):
            for result, patterns in order:
                run_file(result, position, path, patterns)
            if position == len(files) // 2:
                rss_half = current_rss_mib()
        rss_end = current_rss_mib()
    report(root, files, [result for result, _ in passes], args.rounds, (rss_half, rss_end))
    return 0


def report(
    root: Path, files: list[Path], passes: list[Pass], rounds: int, rss: tuple[float, float]
) -> None:
    """Print the Markdown table and the memory and scaling lines."""
    floor = passes[0]
    print(f"archive: {root} ({len(files)} files, {floor.records:,} records)")
    print(
        f"python {sys.version.split()[0]}, gzip: {gzip_module.__name__}, CPU time, "
        f"best of {rounds} rounds per file and phase"
    )
    print()
    print(
        "| pass | CPU s | records/s | x floor | parse µs/rec | to_envelope µs/rec "
        "| matching µs/rec | matching vs floor | matches |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    floor_seconds = floor.total
    for one in passes:
        per = 1e6 / one.records
        parse, envelope, matching = (
            one.seconds(phase) for phase in (one.parse, one.envelope, one.matching)
        )
        share = f"+{100 * matching / floor_seconds:.1f} %" if matching else "-"
        print(
            f"| {one.label} | {one.total:.2f} | {one.records / one.total:,.0f} "
            f"| {one.total / floor_seconds:.3f} | {parse * per:.2f} | {envelope * per:.2f} "
            f"| {matching * per:.2f} | {share} | {one.matches:,} |"
        )
    print()
    print(
        f"RSS after half the files: {rss[0]:.0f} MiB, after all: {rss[1]:.0f} MiB; "
        f"peak RSS {peak_rss_mib():.0f} MiB"
    )
    thirty, three_hundred = passes[-2], passes[-1]
    ratio = three_hundred.seconds(three_hundred.matching) / thirty.seconds(thirty.matching)
    print(f"matching cost, 300 vs 30 patterns: {ratio:.2f}x")
    envelope = passes[1].seconds(passes[1].envelope) * 1e6 / floor.records
    print(f"to_envelope alone: {envelope:.2f} µs/record")


if __name__ == "__main__":
    sys.exit(main())
