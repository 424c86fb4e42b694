"""The incident report as a browser shows it: rendered by headless Chromium, offline.

Needs Chromium (Debian: ``apt-get install -y chromium``); skipped, saying so, without it.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from trailguard.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample-trail"
BROWSER = next(
    (
        found
        for name in ("chromium", "chromium-browser", "google-chrome")
        if (found := shutil.which(name))
    ),
    None,
)
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="Chromium is not installed (Debian/Ubuntu: apt-get install -y chromium)"
)


def chromium(profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    assert BROWSER is not None
    command = [
        BROWSER,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        *arguments,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


VOID = frozenset({"meta", "link", "br", "hr", "img", "input", "col", "wbr"})


class Page(HTMLParser):
    """The parts of the rendered DOM a reader looks at."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.command = ""
        self.cards: dict[str, str] = {}
        self.event_rows = 0
        self.error_rows = 0
        self.principals: list[str] = []
        self.interactive = False
        self._stack: list[tuple[str, dict[str, str]]] = []
        self._card = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "html" and attributes.get("data-interactive") == "ready":
            self.interactive = True
        if tag == "tr" and "event" in attributes.get("class", "").split():
            self.event_rows += 1
            self.error_rows += "error" in attributes.get("class", "").split()
        if tag == "div" and attributes.get("id", "").startswith("card-"):
            self._card = attributes["id"].removeprefix("card-")
        if tag not in VOID:
            self._stack.append((tag, attributes))

    def handle_endtag(self, tag: str) -> None:
        while self._stack and self._stack.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if not self._stack:
            return
        tag, attributes = self._stack[-1]
        classes = attributes.get("class", "").split()
        if tag == "title" and len(self._stack) > 1 and self._stack[-2][0] == "head":
            self.title += data
        elif tag == "pre" and "command" in classes:
            self.command += data
        elif tag == "div" and "value" in classes and self._card:
            self.cards[self._card] = self.cards.get(self._card, "") + data
        elif tag == "span" and "name" in classes:
            self.principals.append(data)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    path = folder / "incident.html"
    result = CliRunner().invoke(
        main,
        ["search", str(SAMPLE), "--account", "123837392027", "--errors", "--report", str(path)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return path


def test_browser_shows_the_query_the_numbers_and_the_events(report: Path, tmp_path: Path) -> None:
    """Chromium renders the title, the command, the summary numbers and one row per event."""
    dom = chromium(tmp_path / "profile", "--dump-dom", report.as_uri()).stdout
    page = Page()
    page.feed(dom)
    assert page.title == "CloudTrail investigation"
    assert page.command.startswith("trailguard search ")
    assert "--account 123837392027 --errors" in page.command
    assert page.cards["events"] == "23"
    assert page.cards["errors"] == "23"
    assert page.cards["principals"] == "2"
    assert page.cards["first-seen"] == "2023-07-10 11:58:13"
    assert page.event_rows == page.error_rows == 23
    assert page.principals[0] == "arn:aws:iam::123837392027:user/bert-jan"
    assert page.interactive, "the inline script did not run (blocked by the CSP?)"


def test_screenshot_is_a_full_page(report: Path, tmp_path: Path) -> None:
    """A screenshot can be taken (for a human to look at) and is not blank."""
    picture = tmp_path / "report.png"
    chromium(
        tmp_path / "profile", "--window-size=1280,2000", f"--screenshot={picture}", report.as_uri()
    )
    data = picture.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2000)
    assert len(data) > 50_000  # a blank page compresses to a few kilobytes
