"""Typed readers for environment variables that refuse bad values.

Every setting that comes from the environment goes through one of these, so a typo in a
deployment fails at start-up with the variable's name instead of running with a default.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if required:
            raise ImproperlyConfigured(
                f"The environment variable {name} is required in production. "
                "See .env.example for what it holds."
            )
        return default if default is not None else ""
    return value


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}.")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_master_keys(name: str, file_name: str) -> dict[str, bytes]:
    """Read the master keys as ``id:base64`` pairs from a variable or from a key file.

    Several keys may be listed (comma-separated, or one a line in the file) so that a key can
    be rotated: new data keys are wrapped by the active one, older ones still unwrap until the
    rotation command has re-wrapped them. Each key must be exactly 32 bytes (AES-256).
    """
    import base64
    import binascii
    from pathlib import Path

    path = os.environ.get(file_name, "").strip()
    if path:
        try:
            raw = Path(path).read_text()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{file_name}: cannot read {path!r} ({exc.strerror})."
            ) from None
        source, entries = file_name, raw.replace("\n", ",").split(",")
    else:
        source, entries = name, env_list(name)
    keys: dict[str, bytes] = {}
    for entry in (e.strip() for e in entries):
        if not entry or entry.startswith("#"):
            continue
        key_id, sep, encoded = entry.partition(":")
        if not sep or not key_id.isidentifier() or len(key_id) > 16:
            raise ImproperlyConfigured(
                f"{source}: each key must be written 'id:base64' with a short id "
                "(letters, digits and _), e.g. 'k2026:...'."
            )
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise ImproperlyConfigured(f"{source}: key {key_id!r} is not valid base64.") from None
        if len(key) != 32:
            raise ImproperlyConfigured(
                f"{source}: key {key_id!r} is {len(key)} bytes; a master key is 32 bytes."
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"{source}: key id {key_id!r} is listed twice.")
        keys[key_id] = key
    return keys
