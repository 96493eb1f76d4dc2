"""Reading configuration from the environment.

Every malformed value stops start-up with a message that names the variable, so an operator
never has to read a traceback to learn which line of their environment file is wrong.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import environ
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_MISSING = object()


class ConfigError(ImproperlyConfigured):
    """A configuration variable is missing or malformed; the message names it."""


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def _parse(name: str, default: Any, parser: Callable[[str], Any], expected: str) -> Any:
    raw = _raw(name)
    if raw is None:
        if default is _MISSING:
            raise ConfigError(f"{name} is required but not set ({expected}).")
        return default
    try:
        return parser(raw)
    except (ValueError, KeyError, TypeError, OSError, ImproperlyConfigured) as exc:
        raise ConfigError(
            f"{name} is malformed: expected {expected}, got {raw!r} ({exc})."
        ) from exc


def string(name: str, default: Any = _MISSING) -> Any:
    return _parse(name, default, str, "a string")


def boolean(name: str, default: Any = _MISSING) -> Any:
    def parse(raw: str) -> bool:
        lowered = raw.lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ValueError("not a boolean")

    return _parse(name, default, parse, "one of 1/0, true/false, yes/no, on/off")


def integer(
    name: str, default: Any = _MISSING, *, minimum: int | None = None, maximum: int | None = None
) -> Any:
    def parse(raw: str) -> int:
        value = int(raw)
        if minimum is not None and value < minimum:
            raise ValueError(f"must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise ValueError(f"must be at most {maximum}")
        return value

    return _parse(name, default, parse, "an integer")


def strings(name: str, default: Any = _MISSING) -> Any:
    def parse(raw: str) -> list[str]:
        items = [item.strip() for item in raw.split(",") if item.strip()]
        if not items:
            raise ValueError("empty list")
        return items

    return _parse(name, default, parse, "a comma-separated list")


def database(name: str, default: str) -> dict[str, Any]:
    def parse(raw: str) -> dict[str, Any]:
        if not raw.startswith(("sqlite:", "postgres:", "postgresql:", "pgsql:")):
            raise ValueError("only sqlite:// and postgres:// URLs are supported")
        return environ.Env.db_url_config(raw)

    return _parse(name, None, parse, "a sqlite:///path or postgres://user@host/db URL") or (
        environ.Env.db_url_config(default)
    )


def redis_url(name: str) -> str | None:
    def parse(raw: str) -> str:
        if not raw.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return raw

    return _parse(name, None, parse, "a redis://host:port/db URL")


def rsa_private_key_file(name: str, default: Any = _MISSING) -> Any:
    """A path to a readable PEM file holding an RSA private key (e.g. a DKIM signing key)."""

    def parse(raw: str) -> str:
        with open(raw, "rb") as handle:
            key = load_pem_private_key(handle.read(), password=None)
        if not isinstance(key, RSAPrivateKey) or key.key_size < 2048:
            raise ValueError("not an RSA private key of at least 2048 bits")
        return raw

    return _parse(name, default, parse, "the path of a PEM RSA private key file")


def all_or_none(*names: str) -> bool:
    """True when every variable is set, False when none is; a ConfigError names the first
    missing one when only some are (settings that only work together)."""
    missing = [name for name in names if _raw(name) is None]
    if missing and len(missing) < len(names):
        raise ConfigError(f"{missing[0]} is required when {', '.join(names)} are used together.")
    return not missing


def load_settings_or_exit() -> None:
    """Load the settings now; on a configuration error print one clear line and exit(2).

    Called by manage.py and the WSGI/ASGI entry points, so an operator sees
    "Configuration error: SECRET_KEY is required..." instead of a traceback.
    """
    try:
        settings.INSTALLED_APPS  # noqa: B018 - touching a setting imports the settings module
    except ImproperlyConfigured as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
