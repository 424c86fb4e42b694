"""``scan``, ``search`` and ``alerts load`` with --engine spark, in-process on the shared session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from trailguard.cli import main

from .conftest import SAMPLE, THRESHOLD_RULES


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.mark.usefixtures("spark")
def test_scan_prints_the_alerts_of_the_local_engine_and_stores_them(tmp_path: Path) -> None:
    code, out, err = run(
        "scan", str(SAMPLE), "--engine", "spark", "-f", "json", "--db", str(tmp_path / "s.db")
    )
    local_code, local_out, _ = run("scan", str(SAMPLE), "-f", "json", "--no-store")
    assert code == local_code == 0
    assert json.loads(out) == json.loads(local_out)
    assert {alert["rule"] for alert in json.loads(out)} >= THRESHOLD_RULES
    assert "58 files, 615 records" in err
    assert "64 alerts, 0 problems" in err
    assert "61 new alerts stored" in err  # 3 alerts repeat a (rule, eventID) pair


@pytest.mark.usefixtures("spark")
def test_scan_writes_folders_that_alerts_load_puts_in_the_store(tmp_path: Path) -> None:
    run("scan", str(SAMPLE), "-f", "jsonl", "--db", str(tmp_path / "local.db"))
    local = jsonl(run("alerts", "list", "--db", str(tmp_path / "local.db"), "-f", "jsonl")[1])
    assert len(local) == 61
    for kind in ("jsonl", "parquet"):
        folder, db = tmp_path / kind, tmp_path / f"{kind}.db"
        code, out, err = run(
            "scan", str(SAMPLE), "--engine", "spark", "-f", kind, "-o", str(folder)
        )
        assert code == 0
        assert out == ""
        assert f"alerts written to {folder} ({kind})" in err
        assert any(folder.glob("part-*"))
        code, out, _ = run("alerts", "load", str(folder), "--db", str(db))
        assert code == 0
        assert out.strip() == "64 alerts read, 61 new alerts stored"
        code, out, _ = run("alerts", "list", "--db", str(db), "-f", "jsonl")
        assert jsonl(out) == local
        code, out, _ = run("alerts", "load", str(folder), "--db", str(db))
        assert out.strip() == "64 alerts read, 0 new alerts stored"


@pytest.mark.usefixtures("spark")
def test_scan_fail_on_counts_alerts_written_by_spark(tmp_path: Path) -> None:
    codes = {}
    for level in ("high", "critical"):
        folder = tmp_path / level
        code, _, _ = run(
            "scan", str(SAMPLE), "--engine", "spark", "-f", "jsonl", "-o", str(folder),
            "--fail-on", level,
        )  # fmt: skip
        assert code == run("scan", str(SAMPLE), "--no-store", "--fail-on", level)[0]
        codes[level] = code
    assert codes == {"high": 3, "critical": 0}


@pytest.mark.usefixtures("spark")
def test_search_prints_what_the_local_engine_prints() -> None:
    query = ["--event-name", "Delete*", "--write-only", "-f", "jsonl"]
    code, out, err = run("search", str(SAMPLE), "--engine", "spark", *query)
    local_code, local_out, local_err = run("search", str(SAMPLE), *query)
    assert code == local_code == 0
    assert out == local_out
    assert jsonl(out)
    assert err == local_err


@pytest.mark.usefixtures("spark")
def test_search_summary_works_on_spark_results() -> None:
    query = ["--access-key", "AKIAW9X2Q2U25SK79UCX", "--summary"]
    code, out, _ = run("search", str(SAMPLE), "--engine", "spark", *query)
    assert code == 0
    assert out == run("search", str(SAMPLE), *query)[1]
    assert "56 events from" in out


@pytest.mark.usefixtures("spark")
def test_search_writes_the_records_it_would_print_to_a_folder(tmp_path: Path) -> None:
    query = ["--access-key", "AKIAW9X2Q2U25SK79UCX", "-f", "jsonl"]
    folder = tmp_path / "events"
    code, out, err = run("search", str(SAMPLE), "--engine", "spark", *query, "-o", str(folder))
    assert code == 0
    assert out == ""
    assert f"56 matching events written to {folder} (jsonl)" in err
    lines = [
        line for part in sorted(folder.glob("part-*")) for line in part.read_text().splitlines()
    ]
    assert lines == run("search", str(SAMPLE), *query)[1].splitlines()
    result = CliRunner().invoke(
        main, ["search", str(SAMPLE), "--engine", "spark", *query, "-o", "new", "--summary"]
    )
    assert result.exit_code == 2
    assert "--summary and --output DIR (a folder Spark writes) cannot be combined" in result.stderr


def test_alerts_load_names_the_line_that_is_not_an_alert(tmp_path: Path) -> None:
    bad = tmp_path / "alerts.jsonl"
    bad.write_text('{"rule": "x"}\n')
    result = CliRunner().invoke(main, ["alerts", "load", str(bad), "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2
    assert f"{bad}:1: not an alert" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--engine", "spark", "--jobs", "2"], "--jobs applies to --engine local"),
        (["-f", "parquet", "-o", "x"], "--format parquet is written by Spark"),
        (["--engine", "spark", "-f", "parquet"], "--format parquet needs --output DIR"),
        (["--engine", "spark", "-f", "csv", "-o", "x"], "--format jsonl or parquet"),
        (["--engine", "spark", "--spark-conf", "nonsense"], "expected KEY=VALUE"),
        (["--spark-master", "local[1]"], "apply to --engine spark"),
    ],
)
def test_options_the_engine_cannot_honour_are_usage_errors(args: list[str], message: str) -> None:
    for command in ("scan", "search"):
        result = CliRunner().invoke(main, [command, str(SAMPLE), *args])
        assert result.exit_code == 2, result.output
        assert message in result.stderr


def test_standard_input_and_the_api_are_not_spark_sources() -> None:
    result = CliRunner().invoke(main, ["scan", "-", "--engine", "spark"])
    assert "not standard input" in result.stderr
    result = CliRunner().invoke(main, ["search", "--api", "--engine", "spark", "--user", "x"])
    assert "not --api" in result.stderr
