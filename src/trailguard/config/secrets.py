"""Secret references resolved when first needed: environment, SSM Parameter Store, Secrets Manager.

Values are cached in memory for the life of the process and never logged; errors name the
reference, not the value.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping

import orjson

from trailguard.config.clients import ClientFactory
from trailguard.config.model import SecretRef
from trailguard.errors import ConfigError


class SecretResolver:
    """Reads secret references, once each."""

    def __init__(
        self, clients: ClientFactory | None = None, environ: Mapping[str, str] | None = None
    ) -> None:
        self._clients = clients
        self._environ = os.environ if environ is None else environ
        self._cache: dict[SecretRef, str] = {}
        self._lock = threading.Lock()

    def resolve(self, value: SecretRef | str) -> str:
        """The secret's value; a plain string is returned as it is. Raises ConfigError."""
        if isinstance(value, str):
            return value
        with self._lock:
            cached = self._cache.get(value)
        if cached is not None:
            return cached
        secret = self._read(value)
        with self._lock:
            self._cache[value] = secret
        return secret

    def _read(self, ref: SecretRef) -> str:
        if ref.scheme == "env":
            found = self._environ.get(ref.name)
            if not found:
                raise ConfigError(f"secret {ref}: the environment variable {ref.name} is not set")
            return found
        if self._clients is None:
            raise ConfigError(f"secret {ref}: reading it needs AWS clients")
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            if ref.scheme == "ssm":
                ssm = self._clients("ssm", _region_of(ref.name))
                response = ssm.get_parameter(Name=ref.name, WithDecryption=True)
                text = str(response["Parameter"]["Value"])
            else:
                manager = self._clients("secretsmanager", _region_of(ref.name))
                text = str(manager.get_secret_value(SecretId=ref.name).get("SecretString", ""))
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "Error")
            raise ConfigError(f"secret {ref}: {code}") from None
        except BotoCoreError as error:
            raise ConfigError(f"secret {ref}: {type(error).__name__}") from None
        if ref.key is None:
            return text
        return _json_key(ref, text)


def _json_key(ref: SecretRef, text: str) -> str:
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ConfigError(
            f"secret {ref}: the secret is not JSON, so #{ref.key} cannot be read"
        ) from None
    value = document.get(ref.key) if isinstance(document, dict) else None
    if not isinstance(value, str):
        raise ConfigError(f"secret {ref}: the secret has no string key {ref.key!r}")
    return value


def _region_of(name: str) -> str | None:
    """The region of an ARN (``arn:aws:ssm:eu-west-1:...``); None for plain names."""
    parts = name.split(":")
    return parts[3] or None if name.startswith("arn:") and len(parts) > 3 else None
