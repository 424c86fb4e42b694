"""Cost of the 14 CIS CloudTrail metric filters over an S3 CloudTrail archive, against parsing.

The floor is what any reader of the archive pays: gunzip each file (isal.igzip when installed),
orjson.loads it and touch every record. The second pass does the same and then evaluates every
CIS filter (Security Hub CloudWatch.1-14, verbatim) with ``matches_parsed`` on every record.
Both passes run in this one process, interleaved, and the best of ``--repeat`` runs counts.

    python benchmarks/bench_logs_filter.py --archive DIR
    python benchmarks/bench_logs_filter.py --records 200000 --files 200   # generates if absent

Without ``--archive``, the archive is benchmarks/data/ct-RECORDS (git-ignored), made with
../shared/bench/gen_cloudtrail.py --seed 42 when it is not there yet. Prints Markdown.
"""

from __future__ import annotations

import argparse
import gzip
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from _common import GENERATOR
from trailguard.patterns.logs_filter import compile_filter
from trailguard.patterns.logs_filter.cis import CIS_CLOUDTRAIL_FILTERS

if TYPE_CHECKING:
    from collections.abc import Callable

try:
    from isal import igzip

    decompress: Callable[[bytes], bytes] = igzip.decompress
    GUNZIP = "isal.igzip"
except ImportError:  # pragma: no cover - isal is a dependency, but optional here
    decompress = gzip.decompress
    GUNZIP = "gzip"

HERE = Path(__file__).resolve().parent
TARGET_OVERHEAD = 0.25


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, help="S3-layout CloudTrail archive (*.json.gz)")
    parser.add_argument("--records", type=int, default=200_000, help="records to generate")
    parser.add_argument("--files", type=int, default=200, help="files to generate")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each pass; best counts")
    parser.add_argument("--generator", type=Path, default=GENERATOR)
    args = parser.parse_args()

    archive = args.archive or HERE / "data" / f"ct-{args.records}"
    if not any(archive.rglob("*.json.gz")):
        generate(args.generator, archive, args.records, args.files)
    blobs = [path.read_bytes() for path in sorted(archive.rglob("*.json.gz"))]
    filters = {name: compile_filter(text) for name, text in CIS_CLOUDTRAIL_FILTERS.items()}
    tests = [pattern.matches_parsed for pattern in filters.values()]

    floor_times: list[float] = []
    full_times: list[float] = []
    records = 0
    counts: list[int] = []
    for _ in range(args.repeat):
        seconds, records, _ = run(blobs, [])
        floor_times.append(seconds)
        seconds, _, counts = run(blobs, tests)
        full_times.append(seconds)

    floor, full = min(floor_times), min(full_times)
    overhead = full / floor - 1
    print(f"Archive: `{archive}`: {len(blobs)} files, {records:,} records")
    print(f"Python {platform.python_version()}, orjson {orjson.__version__}, gunzip: {GUNZIP}")
    print(f"Best of {args.repeat} interleaved runs of each pass.\n")
    print("| pass | seconds | records/s | ratio | overhead |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| parse floor (gunzip + orjson.loads + touch) | {floor:.3f} | {records / floor:,.0f}"
        " | 1.000 | - |"
    )
    print(
        f"| floor + 14 CIS filters (matches_parsed) | {full:.3f} | {records / full:,.0f}"
        f" | {full / floor:.3f} | {overhead:+.1%} |"
    )
    print()
    print("| filter | matches |")
    print("|---|---:|")
    for name, count in zip(filters, counts, strict=True):
        print(f"| {name} | {count:,} |")
    verdict = "within" if overhead <= TARGET_OVERHEAD else "OVER"
    print(f"\nOverhead {overhead:+.1%}: {verdict} the {TARGET_OVERHEAD:.0%} target.")
    return 0 if overhead <= TARGET_OVERHEAD else 1


def run(blobs: list[bytes], tests: list[Callable[..., bool]]) -> tuple[float, int, list[int]]:
    """One pass over the archive: (seconds, records, matches per test)."""
    counts = [0] * len(tests)
    touched = 0
    start = time.perf_counter()
    for blob in blobs:
        records = orjson.loads(decompress(blob))["Records"]
        for record in records:
            touched += record.__class__ is dict
        for position, test in enumerate(tests):
            # One filter over a file's records at a time: a plain loop calls the test from
            # Python, which CPython 3.11 does more cheaply than map() calling it from C.
            matched = 0
            for record in records:
                if test(record):
                    matched += 1
            counts[position] += matched
    return time.perf_counter() - start, touched, counts


def generate(generator: Path, archive: Path, records: int, files: int) -> None:
    """Write a synthetic archive with the shared generator (deterministic, seed 42)."""
    archive.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(generator), "--out", str(archive), "--records", str(records),
               "--files", str(files), "--seed", "42", "--jobs", "2"]  # fmt: skip
    print("Generating:", " ".join(command), file=sys.stderr)
    subprocess.run(command, check=True)


if __name__ == "__main__":
    sys.exit(main())
