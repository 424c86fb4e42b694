"""Benchmark `trailguard scan --engine spark` against the single-machine engine and the floor.

    python benchmarks/bench_spark.py [--records 200000] [--files 200] [--repeat 2]

Every measurement runs in a fresh process:

* floor: gunzip (isal) + orjson.loads of every file, one process;
* local: the library's single-machine scan, 1 process, every built-in rule;
* Spark local[1] and local[2]: ``scan_on_spark`` with every built-in rule, alerts collected to
  the driver in order (as the console output does). JVM and session start-up is timed apart;
  the scan time includes the Python workers' start and the rule compilation per partition.
  The first scan in a session also starts the Python workers (imports, rule compilation); a
  second scan in the same session shows the rate without that, and a scan of one file the
  fixed cost of the chain of Spark jobs a scan runs.

Then the split: Spark's work unit is a file, so the records per file decide how evenly N
executors share an archive. The balance column is the largest executor's share against the mean
when the files are cut into 2N partitions (trailguard's default) and each partition goes to
whichever executor is free first. Prints Markdown for the README.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson
from isal import igzip

from _common import archive, log_files, parse_floor

EXECUTORS = (2, 4, 8, 16)


def measure(kind: str, root: Path) -> dict[str, float]:
    """One measurement in this process; printed as JSON by the child."""
    files = log_files(root)
    if kind == "floor":
        seconds, records = parse_floor(files)
        return {
            "seconds": seconds,
            "records": records,
            "alerts": 0,
            "startup": 0,
            "warm": 0,
            "fixed": 0,
        }
    from trailguard.rules import load_pack  # noqa: PLC0415 - timed separately from the floor

    rules = load_pack()
    sources = [str(f) for f in files]
    if kind == "local":
        from trailguard.detect import RuleSet  # noqa: PLC0415
        from trailguard.scan import scan  # noqa: PLC0415

        start = time.perf_counter()
        result = scan(sources, RuleSet(rules), on_alert=lambda _: None)
        seconds = time.perf_counter() - start
        return {
            "seconds": seconds,
            "records": result.records,
            "alerts": sum(result.by_rule().values()),
            "startup": 0,
            "warm": 0,
            "fixed": 0,
        }
    from trailguard.spark import scan_on_spark, spark_session  # noqa: PLC0415

    start = time.perf_counter()
    spark = spark_session(kind)
    startup = time.perf_counter() - start
    start = time.perf_counter()
    spark_result = scan_on_spark(spark, sources, rules, on_alert=lambda _: None)
    seconds = time.perf_counter() - start
    # Again in the same session: the Python workers are started and their imports done.
    start = time.perf_counter()
    scan_on_spark(spark, sources, rules, on_alert=lambda _: None)
    warm = time.perf_counter() - start
    # The same chain of Spark jobs on one file, workers warm: the fixed cost of a scan.
    start = time.perf_counter()
    scan_on_spark(spark, sources[:1], rules, on_alert=lambda _: None)
    fixed = time.perf_counter() - start
    spark.stop()
    return {
        "seconds": seconds,
        "records": spark_result.records,
        "alerts": sum(spark_result.by_rule().values()),
        "startup": startup,
        "warm": warm,
        "fixed": fixed,
    }


def child(kind: str, root: Path) -> dict[str, float]:
    """Run one measurement in a fresh interpreter."""
    command = [sys.executable, __file__, "--child", kind, "--archive", str(root)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.splitlines()[-1])


def records_per_file(root: Path) -> list[int]:
    """How many records each file holds, in key order."""
    return [
        len(orjson.loads(igzip.decompress(path.read_bytes()))["Records"])
        for path in log_files(root)
    ]


def balance(counts: list[int], executors: int) -> float:
    """The largest executor's records against the mean, with 2N contiguous partitions."""
    slices = min(len(counts), 2 * executors)
    # Spark's parallelize cuts a list into contiguous slices of (almost) equal length.
    bounds = [len(counts) * i // slices for i in range(slices + 1)]
    loads = [0] * executors
    for low, high in itertools.pairwise(bounds):
        loads[loads.index(min(loads))] += sum(counts[low:high])
    return max(loads) / (sum(loads) / executors)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--archive", type=Path)
    parser.add_argument("--child", choices=["floor", "local", "local[1]", "local[2]"])
    parser.add_argument("--repeat", type=int, default=2, help="interleaved rounds; best counts")
    args = parser.parse_args()
    root = args.archive or archive(args.records, args.files)
    if args.child:
        print(json.dumps(measure(args.child, root)))
        return

    kinds = ("floor", "local", "local[1]", "local[2]")
    # Interleaved rounds, best time of each: the machine is shared, and a slow round is noise.
    rounds = [[child(kind, root) for kind in kinds] for _ in range(args.repeat)]
    best = [min(runs, key=lambda run: run["seconds"]) for runs in zip(*rounds, strict=True)]
    floor = best[0]
    records = int(floor["records"])
    load = os.getloadavg()[0]
    print(f"archive: {root} ({len(log_files(root))} files, {records} records)")
    print(f"best of {args.repeat} interleaved rounds, fresh processes; load average {load:.1f}\n")
    print(
        "| run | seconds | records/s | vs floor | JVM + session start (s) "
        "| second scan, same session (s) | its records/s | one-file scan (s) | alerts |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    names = (
        "parse floor (gunzip + orjson.loads)",
        "single-machine scan, full pack, 1 process",
        "Spark local[1], full pack",
        "Spark local[2], full pack",
    )
    for name, run in zip(names, best, strict=True):
        startup = f"{run['startup']:.1f}" if run["startup"] else "-"
        warm = f"{run['warm']:.2f} | {records / run['warm']:,.0f}" if run["warm"] else "- | -"
        fixed = f"{run['fixed']:.2f}" if run["fixed"] else "-"
        print(
            f"| {name} | {run['seconds']:.2f} | {records / run['seconds']:,.0f} | "
            f"{run['seconds'] / floor['seconds']:.2f}x | {startup} | {warm} | {fixed} | "
            f"{int(run['alerts'])} |"
        )
    counts = records_per_file(root)
    print(
        f"\nsplit by file: {len(counts)} files, records per file min {min(counts)}, "
        f"median {statistics.median(counts):.0f}, max {max(counts)}\n"
    )
    print("| executors | partitions | largest share vs mean |")
    print("|---:|---:|---:|")
    for executors in EXECUTORS:
        partitions = min(len(counts), 2 * executors)
        print(f"| {executors} | {partitions} | {balance(counts, executors):.2f} |")


if __name__ == "__main__":
    main()
