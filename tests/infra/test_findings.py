"""The finding catalogue: documented, and serialised the same way for every output."""

from __future__ import annotations

from pathlib import Path

from trailguard.infra.findings import FINDING_KINDS, NO_TRAIL
from trailguard.rules import Severity

NOTES = Path(__file__).resolve().parents[2] / "docs" / "deploy-notes.md"


def test_every_finding_is_documented_with_its_severity() -> None:
    """Each finding id appears in the doctor's table of the notes, with its severity."""
    notes = NOTES.read_text()
    for kind in FINDING_KINDS.values():
        assert f"| `{kind.id}` | {kind.severity} |" in notes, kind.id


def test_a_finding_as_json() -> None:
    """Severity as its name; what was seen comes before why it matters."""
    finding = NO_TRAIL.at("account 1", None, "do this", detail="Seen.")
    assert finding.to_dict() == {
        "id": "no-trail",
        "severity": "critical",
        "resource": "account 1",
        "region": None,
        "title": "No CloudTrail trail",
        "why": f"Seen. {NO_TRAIL.why}",
        "fix": "do this",
    }
    assert finding.severity is Severity.CRITICAL
