"""The Lambda deployment package: the installed trailguard, plus what the runtime lacks.

The Lambda Python runtime ships boto3 but not orjson, isal or PyYAML, and orjson and isal are
compiled. They come from one of two places:

- a folder of Lambda-ready packages (``deploy.realtime.dependencies``), made with the command
  ``dependencies_command()`` prints, for example
  ``pip install --target build/lambda-deps --platform manylinux2014_x86_64 --implementation cp
  --python-version 3.11 --only-binary=:all: orjson isal PyYAML``;
- the installed copies, when this machine is Linux on the function's architecture with the
  runtime's Python version, so the installed wheels are the ones Lambda needs.

The archive is deterministic (sorted names, fixed timestamps), so an unchanged package has the
same CodeSha256 and ``deploy apply`` leaves the function alone.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import platform
import re
import sys
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from trailguard.errors import ConfigError

HANDLER = "trailguard.lambda_handler.handler"
# Provided by the Lambda Python runtime:
# https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html
RUNTIME_PROVIDED = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"}
)
CLI_ONLY = frozenset({"click", "rich"})
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_MACHINES = {"x86_64": ("x86_64", "amd64"), "arm64": ("aarch64", "arm64")}
_PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}


@dataclass(frozen=True)
class LambdaPackage:
    """A deployment package: the zip bytes and Lambda's CodeSha256 of them."""

    zip_bytes: bytes

    @property
    def sha256(self) -> str:
        """Base64 SHA-256 of the zip, as GetFunction reports CodeSha256."""
        return base64.b64encode(hashlib.sha256(self.zip_bytes).digest()).decode()


def lambda_dependencies() -> list[str]:
    """The runtime requirements of trailguard the Lambda runtime lacks (CLI-only ones left out)."""
    found: list[str] = []
    for requirement in importlib.metadata.requires("trailguard") or []:
        if ";" in requirement and "extra ==" in requirement:
            continue
        name = re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip()
        if name.lower() not in RUNTIME_PROVIDED | CLI_ONLY:
            found.append(name)
    return sorted(found, key=str.lower)


def dependencies_command(target: str, runtime: str, architecture: str) -> list[str]:
    """The pip command that fills ``target`` with Lambda-ready copies of the dependencies."""
    version = runtime.removeprefix("python")
    return [
        "pip",
        "install",
        "--target",
        target,
        "--platform",
        _PLATFORMS[architecture],
        "--implementation",
        "cp",
        "--python-version",
        version,
        "--only-binary=:all:",
        *lambda_dependencies(),
    ]


def installed_copies_fit(runtime: str, architecture: str) -> bool:
    """Whether the installed dependencies are built for the function's platform and Python."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    machine = platform.machine().lower()
    return sys.platform == "linux" and version == runtime and machine in _MACHINES[architecture]


def build_package(
    *,
    dependencies: Sequence[str] = (),
    folder: Path | None = None,
) -> LambdaPackage:
    """Zip the installed trailguard with the installed ``dependencies`` and a ``folder``'s files.

    ``folder`` holds packages installed with ``pip install --target`` for Lambda's platform.
    """
    files: dict[str, bytes] = {}
    import trailguard  # noqa: PLC0415 - the installed package is the payload

    package_root = Path(trailguard.__file__).resolve().parent
    files.update(_tree(package_root, package_root.parent))
    for name in dependencies:
        files.update(_distribution_files(name))
    if folder is not None:
        if not folder.is_dir():
            raise ConfigError(f"no such folder of Lambda dependencies: {folder}")
        files.update(_tree(folder, folder))
    return LambdaPackage(_zip(files))


def package_for(runtime: str, architecture: str, dependencies_folder: str | None) -> LambdaPackage:
    """The package a deploy uses: with the given folder, or the installed copies when they fit."""
    if dependencies_folder is not None:
        return build_package(folder=Path(dependencies_folder))
    if installed_copies_fit(runtime, architecture):
        return build_package(dependencies=lambda_dependencies())
    command = " ".join(dependencies_command("build/lambda-deps", runtime, architecture))
    raise ConfigError(
        f"this machine's packages are not built for Lambda {runtime} on {architecture}; run "
        f"`{command}` and set deploy.realtime.dependencies: build/lambda-deps"
    )


def _distribution_files(name: str) -> Iterator[tuple[str, bytes]]:
    try:
        distribution = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        raise ConfigError(f"{name} is not installed, so it cannot go into the package") from None
    for item in distribution.files or []:
        path = Path(str(distribution.locate_file(item)))
        if _wanted(item.parts) and path.is_file() and not str(item).startswith(".."):
            yield item.as_posix(), path.read_bytes()


def _tree(root: Path, base: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(base)
        if path.is_file() and _wanted(relative.parts):
            yield relative.as_posix(), path.read_bytes()


def _wanted(parts: Iterable[str]) -> bool:
    parts = tuple(parts)
    return "__pycache__" not in parts and not parts[-1].endswith((".pyc", ".pyo"))


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return buffer.getvalue()
