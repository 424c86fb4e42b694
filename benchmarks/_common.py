"""What every benchmark shares: the generated archive and the parse floor it is measured against."""

from __future__ import annotations

import multiprocessing
import resource
import subprocess
import sys
import time
from pathlib import Path

import orjson
from isal import igzip

HERE = Path(__file__).resolve().parent
# ../shared beside the repository, as laid out for developers and CI.
GENERATOR = HERE.parents[1] / "shared" / "bench" / "gen_cloudtrail.py"


def archive(records: int, files: int, *, seed: int = 42) -> Path:
    """An S3-layout archive of ``records`` records in ``files`` files under benchmarks/data/."""
    target = HERE / "data" / f"cloudtrail-{records}"
    if not any(target.rglob("*.json.gz")):
        command = [sys.executable, str(GENERATOR), "--out", str(target), "--records", str(records)]
        command += ["--files", str(files), "--seed", str(seed), "--jobs", "2"]
        subprocess.run(command, check=True)
    return target


def log_files(root: Path) -> list[Path]:
    """The archive's trail log files, in key order."""
    return sorted(root.rglob("*.json.gz"))


def parse_floor(files: list[Path]) -> tuple[float, int]:
    """Seconds to gunzip and orjson.loads every file, touching every record; and the count."""
    start = time.perf_counter()
    count = 0
    for path in files:
        for record in orjson.loads(igzip.decompress(path.read_bytes()))["Records"]:
            count += record is not None
    return time.perf_counter() - start, count


def _parse_one(path: Path) -> int:
    return sum(
        record is not None
        for record in orjson.loads(igzip.decompress(path.read_bytes()))["Records"]
    )


def parallel_parse_floor(files: list[Path], jobs: int) -> tuple[float, int]:
    """``parse_floor`` shared by ``jobs`` forked processes, files handed out as ``scan`` does.

    Its speed-up over ``parse_floor`` is what the machine allows a parallel scan at best.
    """
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        count = sum(pool.imap(_parse_one, files, chunksize=4))
    return time.perf_counter() - start, count


def peak_rss_mb(*, children: bool = False) -> float:
    """Peak resident memory of this process (or of its largest finished child) in MB."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024
