"""Benchmark `trailguard scan` (the full built-in pack) against the parse floor of the same archive.

    python benchmarks/bench_scan.py [--records 1000000] [--files 1000]

Every measurement runs in a fresh process so its peak memory is its own:

* floor: gunzip (isal) + orjson.loads of every file, one process;
* scan, 1 job and 2 jobs: the library's scan with every built-in rule, alerts streamed to a
  counting sink (as `trailguard scan --format jsonl` streams them);
* memory growth: the 1-job scan's peak RSS on the first quarter of the files and on all of them;
* reference: `zcat FILES | jq` for the single ConsoleLogin query, if jq is installed.

Prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import archive, log_files, parallel_parse_floor, parse_floor, peak_rss_mb


def measure(kind: str, root: Path, jobs: int, fraction: float) -> dict[str, float]:
    """One measurement in this process; printed as JSON by the child."""
    files = log_files(root)
    files = files[: max(1, int(len(files) * fraction))]
    if kind == "floor":
        cpu = time.process_time()
        seconds, records = parse_floor(files) if jobs == 1 else parallel_parse_floor(files, jobs)
        cpu = time.process_time() - cpu
        return {
            "seconds": seconds,
            "cpu": cpu,
            "records": records,
            "alerts": 0,
            "rss": peak_rss_mb(),
        }
    from trailguard.detect import RuleSet  # noqa: PLC0415 - timed separately from the floor
    from trailguard.rules import load_pack  # noqa: PLC0415
    from trailguard.scan import scan  # noqa: PLC0415

    rule_set = RuleSet(load_pack())
    start, cpu = time.perf_counter(), time.process_time()
    alerts: list[int] = []  # a count only: the alerts themselves go, as they would to a file
    result = scan([str(f) for f in files], rule_set, jobs=jobs, on_alert=lambda _: alerts.append(1))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "seconds": seconds,
        "cpu": cpu,
        "children_cpu": children.ru_utime + children.ru_stime,
        "records": result.records,
        "alerts": len(alerts),
        "rss": peak_rss_mb(),
        "child_rss": peak_rss_mb(children=True),
    }


def child(kind: str, root: Path, jobs: int = 1, fraction: float = 1.0) -> dict[str, float]:
    """Run one measurement in a fresh interpreter."""
    command = [
        sys.executable,
        __file__,
        "--child",
        kind,
        "--archive",
        str(root),
        "--jobs",
        str(jobs),
        "--fraction",
        str(fraction),
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.splitlines()[-1])


def jq_reference(root: Path) -> float | None:
    """Seconds for zcat | jq selecting ConsoleLogin records, or None without jq."""
    if not shutil.which("jq"):
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as listing:
        listing.write("\n".join(str(f) for f in log_files(root)))
        listing.flush()
        query = '.Records[] | select(.eventName == "ConsoleLogin")'
        command = f"xargs -a {listing.name} zcat | jq -c '{query}'"
        start = time.perf_counter()
        subprocess.run(command + " > /dev/null", shell=True, check=True)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--archive", type=Path)
    parser.add_argument("--child", choices=["floor", "scan"])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--fraction", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds; best counts")
    args = parser.parse_args()
    root = args.archive or archive(args.records, args.files)
    if args.child:
        print(json.dumps(measure(args.child, root, args.jobs, args.fraction)))
        return

    # Interleaved rounds, best time of each: the machine is shared, and a slow round is noise.
    rounds = [
        (
            child("floor", root),
            child("scan", root, jobs=1),
            child("scan", root, jobs=2),
            child("floor", root, jobs=2),
        )
        for _ in range(args.repeat)
    ]
    floor, one, two, floor2 = (
        min(runs, key=lambda run: run["seconds"]) for runs in zip(*rounds, strict=True)
    )
    quarter = child("scan", root, jobs=1, fraction=0.25)
    jq = jq_reference(root)
    records = int(floor["records"])
    print(f"archive: {root} ({len(log_files(root))} files, {records} records)")
    print(f"best of {args.repeat} interleaved rounds, each run in a fresh process\n")
    print("| run | seconds | records/s | vs floor | CPU seconds | peak RSS (MB) | alerts |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    rows = [
        ("parse floor (gunzip + orjson.loads)", floor, floor["rss"]),
        ("scan, full pack, 1 job", one, one["rss"]),
        ("scan, full pack, --jobs 2", two, max(two["rss"], two["child_rss"])),
    ]
    for name, run, rss in rows:
        cpu = run["cpu"] + run.get("children_cpu", 0.0)
        print(
            f"| {name} | {run['seconds']:.2f} | {records / run['seconds']:,.0f} | "
            f"{run['seconds'] / floor['seconds']:.2f}x | {cpu:.2f} | {rss:.0f} | "
            f"{int(run['alerts'])} |"
        )
    if jq is not None:
        ratio = jq / floor["seconds"]
        name = "zcat \\| jq, ConsoleLogin only"
        print(f"| {name} | {jq:.2f} | {records / jq:,.0f} | {ratio:.2f}x | - | - | - |")
    print()
    print(f"--jobs 2 speed-up over 1 job: {one['seconds'] / two['seconds']:.2f}x")
    # The machine's speed drifts with its neighbours' load, so each round's own ratios (runs
    # seconds apart) are steadier than ratios of bests taken from different rounds.
    ratios = sorted(scan["seconds"] / floor["seconds"] for floor, scan, _, _ in rounds)
    speedups = sorted(scan["seconds"] / jobs2["seconds"] for _, scan, jobs2, _ in rounds)
    headroom = sorted(floor["seconds"] / floor2["seconds"] for floor, _, _, floor2 in rounds)
    print(f"per round, 1 job vs floor: {', '.join(f'{r:.2f}x' for r in ratios)}", end="")
    print(f" (median {statistics.median(ratios):.2f}x)")
    print(f"per round, --jobs 2 speed-up: {', '.join(f'{r:.2f}x' for r in speedups)}", end="")
    print(f" (median {statistics.median(speedups):.2f}x)")
    # How much two processes can gain here at all: the parse floor itself shared by two.
    print(
        f"per round, parse floor in 2 processes: {', '.join(f'{r:.2f}x' for r in headroom)}", end=""
    )
    print(f" (median {statistics.median(headroom):.2f}x); best {floor2['seconds']:.2f} s")
    shares = sorted(
        (scan["seconds"] / jobs2["seconds"]) / (floor["seconds"] / floor2["seconds"])
        for floor, scan, jobs2, floor2 in rounds
    )
    print(f"per round, scan's speed-up as a share of the floor's: {statistics.median(shares):.0%}")
    # CPU time is what a noisy neighbour disturbs least: the 1-job ratio by CPU, and how much
    # of the 2-job run's CPU the parent (collecting results, counting thresholds) used.
    print(f"1 job vs floor by CPU time: {one['cpu'] / floor['cpu']:.2f}x")
    share = two["cpu"] / (two["cpu"] + two["children_cpu"])
    print(f"--jobs 2: parent CPU {two['cpu']:.2f} s ({share:.1%} of the run's CPU)")
    print(f"peak RSS, 1 job: {quarter['rss']:.0f} MB on 1/4 of the archive, ", end="")
    print(f"{one['rss']:.0f} MB on all of it")


if __name__ == "__main__":
    main()
