"""The Lambda package: built from the installed trailguard, deterministic, with no bytecode."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from trailguard.errors import ConfigError
from trailguard.infra.package import (
    build_package,
    dependencies_command,
    lambda_dependencies,
    package_for,
)


def names(data: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(data)).namelist()


class TestPackage:
    def test_installed_trailguard_only(self) -> None:
        """The handler, the engines and the built-in pack; no caches, nothing else."""
        found = names(build_package().zip_bytes)
        assert "trailguard/lambda_handler.py" in found
        assert "trailguard/patterns/eventbridge.py" in found
        assert "trailguard/rules/pack/console-login-root.yaml" in found
        assert all(name.startswith("trailguard/") for name in found)
        assert not [name for name in found if "__pycache__" in name or name.endswith(".pyc")]

    def test_same_files_same_sha(self) -> None:
        """Two builds are byte-identical, so apply sees no code change."""
        first, second = build_package(), build_package()
        assert first.zip_bytes == second.zip_bytes
        assert first.sha256 == second.sha256

    def test_a_dependency_folder_is_added_at_the_root(self, tmp_path: Path) -> None:
        """Files from a `pip install --target` folder sit next to trailguard/."""
        (tmp_path / "orjson").mkdir()
        (tmp_path / "orjson" / "__init__.py").write_text("")
        assert "orjson/__init__.py" in names(build_package(folder=tmp_path).zip_bytes)

    def test_missing_dependency_folder(self, tmp_path: Path) -> None:
        """A folder that is not there is a configuration error."""
        with pytest.raises(ConfigError, match="no such folder"):
            package_for("python3.11", "x86_64", str(tmp_path / "nope"))

    def test_what_the_runtime_lacks(self) -> None:
        """boto3 is in the runtime and click/rich are CLI-only; the compiled ones must be added."""
        wanted = {name.lower() for name in lambda_dependencies()}
        assert {"orjson", "isal", "pyyaml"} <= wanted
        assert not wanted & {"boto3", "click", "rich"}

    def test_the_pip_command_asks_for_manylinux_wheels(self) -> None:
        """The command names the platform, the Python version and binary-only."""
        command = dependencies_command("build/deps", "python3.12", "arm64")
        assert command[:4] == ["pip", "install", "--target", "build/deps"]
        assert "manylinux2014_aarch64" in command
        assert "3.12" in command
        assert "--only-binary=:all:" in command
