"""``python -m trailguard`` runs the CLI."""

from trailguard.cli import main

main()
