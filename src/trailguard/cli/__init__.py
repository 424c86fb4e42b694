"""The ``trailguard`` command line: parses options, calls the library, prints."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="trailguard")
def main() -> None:
    """Turn AWS CloudTrail into security alerts and answers."""
