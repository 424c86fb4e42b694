"""Benchmark `trailguard search` against the parse floor and `zcat | jq` on the same archive.

    python benchmarks/bench_search.py [--records 1000000] [--files 1000] [--repeat 3]

Three query shapes, as an investigation asks them:

* one event name: ``--event-name ConsoleLogin``;
* 28 event names AND two event sources: the IAM and security-group change list of the built-in
  rule ``iam-and-security-group-changes`` (22 IAM + 6 EC2 names), ``--event-source iam
  --event-source ec2``;
* an access key AND not ``Describe*`` AND ``ec2``, printing 5 fields.

Every measurement runs in a fresh process (so its peak memory is its own), and the floor and the
searches are interleaved ``--repeat`` times; the table gives each one's best time, since other
work on the machine only ever adds time. A search writes its results as JSON Lines, exactly
as ``trailguard search -f jsonl`` does, and the benchmark checks that 1 job, 2 jobs and jq
return the same records.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from _common import archive, log_files, parse_floor, peak_rss_mb

ROOT = Path(__file__).resolve().parents[1]
PACK_RULE = ROOT / "src" / "trailguard" / "rules" / "pack" / "iam-and-security-group-changes.yaml"
# alice's first access key in the archive gen_cloudtrail.py builds with --seed 42.
DEFAULT_ACCESS_KEY = "AKIACVTFW49OWF7KTIF2"
PROJECTED = ("eventTime", "eventName", "awsRegion", "sourceIPAddress", "errorCode")


def change_names() -> list[str]:
    """The event names of the built-in IAM and security-group change rule (28 of them)."""
    import yaml  # noqa: PLC0415 - only to read the rule

    rule = yaml.safe_load(PACK_RULE.read_text())
    return list(rule["eventbridge"]["detail"]["eventName"])


def shapes(access_key: str) -> dict[str, dict[str, Any]]:
    """Each query shape: its search options, its jq filter and a label for the table."""
    names = change_names()
    jq_names = ",".join(json.dumps(name) for name in names)
    return {
        "one-name": {
            "label": "`--event-name ConsoleLogin`",
            "query": {"event_names": ["ConsoleLogin"]},
            "fields": None,
            "jq": '.Records[] | select(.eventName == "ConsoleLogin")',
        },
        "names-and-sources": {
            "label": f"{len(names)} event names AND `--event-source iam --event-source ec2`",
            "query": {"event_names": names, "event_sources": ["iam", "ec2"]},
            "fields": None,
            "jq": (
                f".Records[] | select((.eventName | IN({jq_names})) and "
                '(.eventSource == "iam.amazonaws.com" or .eventSource == "ec2.amazonaws.com"))'
            ),
        },
        "key-not-describe": {
            "label": (
                "`--access-key KEY --exclude-event-name 'Describe*' --event-source ec2`, 5 fields"
            ),
            "query": {
                "access_keys": [access_key],
                "exclude_event_names": ["Describe*"],
                "event_sources": ["ec2"],
            },
            "fields": ",".join(PROJECTED),
            "jq": (
                f'.Records[] | select(.userIdentity.accessKeyId == "{access_key}" and '
                '(.eventName | startswith("Describe") | not) and '
                '.eventSource == "ec2.amazonaws.com") | '
                "{" + ", ".join(PROJECTED) + "}"
            ),
        },
    }


def digest(lines: list[bytes]) -> tuple[str, int]:
    """A fingerprint of a set of JSON lines that ignores their order and key order."""
    canonical = sorted(
        orjson.dumps(orjson.loads(line), option=orjson.OPT_SORT_KEYS) for line in lines
    )
    return hashlib.sha256(b"\n".join(canonical)).hexdigest()[:16], len(canonical)


def cpu_seconds() -> float:
    """CPU time used by this process and its finished children (user + system)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure_floor(root: Path) -> dict[str, Any]:
    """The parse floor in this process: wall and CPU seconds."""
    files = log_files(root)
    cpu = cpu_seconds()
    seconds, records = parse_floor(files)
    return {
        "seconds": seconds,
        "cpu": cpu_seconds() - cpu,
        "records": records,
        "rss": peak_rss_mb(),
    }


def measure_search(root: Path, shape: dict[str, Any], jobs: int) -> dict[str, Any]:
    """One search in this process: the library call plus JSON Lines output to a file."""
    from trailguard.investigate import Query, parse_fields, project, search_files  # noqa: PLC0415

    query = Query(**{key: tuple(value) for key, value in shape["query"].items()})
    fields = parse_fields(shape["fields"]) if shape["fields"] else None
    files = [str(path) for path in log_files(root)]
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "out.jsonl"
        cpu = cpu_seconds()
        start = time.perf_counter()
        result = search_files(files, query, jobs=jobs)
        with output.open("wb") as stream:
            for record in result:
                row = project(record, fields) if fields else record
                stream.write(orjson.dumps(row) + b"\n")
        seconds = time.perf_counter() - start
        cpu = cpu_seconds() - cpu
        result.close()
        fingerprint, count = digest(output.read_bytes().splitlines())
    return {
        "seconds": seconds,
        "cpu": cpu,
        "matches": count,
        "digest": fingerprint,
        "files": result.files,
        "skipped": result.skipped_files,
        "rss": peak_rss_mb(),
        "child_rss": peak_rss_mb(children=True),
    }


def measure_jq(root: Path, shape: dict[str, Any]) -> dict[str, Any]:
    """The same query as `zcat FILES | jq -c FILTER`, timed from the shell."""
    files = [str(path) for path in log_files(root)]
    with tempfile.TemporaryDirectory() as folder:
        listing = Path(folder) / "files"
        listing.write_text("\n".join(files))
        output = Path(folder) / "out.jsonl"
        command = f"xargs -a {listing} zcat | jq -c '{shape['jq']}' > {output}"
        start = time.perf_counter()
        subprocess.run(command, shell=True, check=True)
        seconds = time.perf_counter() - start
        fingerprint, count = digest(output.read_bytes().splitlines())
    return {"seconds": seconds, "matches": count, "digest": fingerprint}


def child(root: Path, kind: str, shape: str = "", jobs: int = 1) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter."""
    command = [sys.executable, __file__, "--archive", str(root), "--child", kind]
    command += ["--shape", shape, "--jobs", str(jobs)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--archive", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--access-key", default=DEFAULT_ACCESS_KEY)
    parser.add_argument("--no-jq", action="store_true", help="Skip the zcat | jq reference.")
    parser.add_argument("--child", choices=["floor", "search", "jq"])
    parser.add_argument("--shape", default="")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    root = args.archive or archive(args.records, args.files)
    queries = shapes(args.access_key)
    if args.child == "floor":
        print(json.dumps(measure_floor(root)))
        return
    if args.child == "search":
        print(json.dumps(measure_search(root, queries[args.shape], args.jobs)))
        return

    load_before = os.getloadavg()
    runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
    floors: list[dict[str, Any]] = []
    for _ in range(args.repeat):
        floors.append(child(root, "floor"))
        for name in queries:
            for jobs in (1, 2):
                runs.setdefault((name, jobs), []).append(child(root, "search", name, jobs))
    jq = {}
    if not args.no_jq and shutil.which("jq"):
        jq = {name: measure_jq(root, shape) for name, shape in queries.items()}

    load_after = os.getloadavg()
    floor = min(run["seconds"] for run in floors)
    floor_cpu = min(run["cpu"] for run in floors)
    records = int(floors[0]["records"])
    floor_rss = max(run["rss"] for run in floors)
    print(f"archive: {root} ({len(log_files(root))} files, {records:,} records)")
    print(f"best of {args.repeat} interleaved runs, each in a fresh process")
    loads = f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after"
    print(f"{os.cpu_count()} CPUs; {loads}\n")
    print(
        f"parse floor (gunzip + orjson.loads): {floor:.2f} s wall, {floor_cpu:.2f} s CPU, "
        f"peak RSS {floor_rss:.0f} MB\n"
    )
    print(
        "| query | matches | run | seconds | speed vs floor | CPU s | vs zcat \\| jq "
        "| files parsed | peak RSS per process (MB) |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    problems: list[str] = []
    for name, shape in queries.items():
        one, two = runs[(name, 1)], runs[(name, 2)]
        digests = {run["digest"] for run in one + two}
        reference = jq.get(name)
        if reference is not None:
            digests.add(reference["digest"])
        if len(digests) != 1:
            problems.append(f"{name}: results differ between runs ({sorted(digests)})")
        for label, measured, jobs in (("1 job", one, 1), ("--jobs 2", two, 2)):
            best = min(run["seconds"] for run in measured)
            cpu = min(run["cpu"] for run in measured)
            rss = max(max(run["rss"], run["child_rss"] if jobs > 1 else 0) for run in measured)
            versus_jq = f"{reference['seconds'] / best:.1f}x faster" if reference else "-"
            parsed = measured[0]["files"] - measured[0]["skipped"]
            print(
                f"| {shape['label']} | {measured[0]['matches']:,} | {label} | {best:.2f} | "
                f"{floor / best:.2f}x | {cpu:.2f} | {versus_jq} | {parsed}/{measured[0]['files']} "
                f"| {rss:.0f} |"
            )
        if reference is not None:
            print(
                f"| {shape['label']} | {reference['matches']:,} | zcat \\| jq | "
                f"{reference['seconds']:.2f} | {floor / reference['seconds']:.2f}x | - | 1.0x "
                "| - | - |"
            )
    print()
    print("identical results (1 job, 2 jobs, jq):", "yes" if not problems else "NO")
    for problem in problems:
        print("  " + problem)


if __name__ == "__main__":
    main()
