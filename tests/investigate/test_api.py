"""The public names of trailguard.investigate are deliberate and light to import."""

from __future__ import annotations

import subprocess
import sys

from trailguard import investigate


def test_all_names_exist_once() -> None:
    """__all__ names each public name once, and each exists."""
    names = list(investigate.__all__)
    assert len(names) == len(set(names))
    assert all(hasattr(investigate, name) for name in names)


def test_importing_does_not_load_the_cli_or_boto3() -> None:
    """The library pulls in neither click, rich nor boto3 (the Lambda handler relies on it)."""
    code = (
        "import sys, trailguard.investigate, trailguard.sources.lookup_api; "
        "print(sorted(m for m in ('click', 'rich', 'boto3', 'botocore') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
