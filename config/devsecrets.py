"""Local secrets for development mode only.

In development (``SPEAKUP_DEV=true``) the first run writes a git-ignored file with a fresh
secret key, master encryption key and token pepper, and later runs read it back, so a newcomer
needs no configuration and no secret is ever committed. Production never calls this.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

DEV_VARIABLES = ("DJANGO_SECRET_KEY", "SPEAKUP_MASTER_KEYS", "SPEAKUP_TOKEN_PEPPER")


def _fresh_values() -> dict[str, str]:
    master = base64.b64encode(secrets.token_bytes(32)).decode()
    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "SPEAKUP_MASTER_KEYS": f"dev1:{master}",
        "SPEAKUP_TOKEN_PEPPER": secrets.token_urlsafe(32),
    }


def load_or_create(path: Path) -> None:
    """Put the development secrets into ``os.environ`` unless already set there."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"{name}={value}" for name, value in _fresh_values().items()]
        # Created with owner-only permissions: it holds the master key.
        # Written to a private temporary name, then renamed: a second process starting at
        # the same moment never reads half a file.
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("# Development secrets, made on first run. Never commit.\n")
            handle.write("\n".join(lines) + "\n")
        try:
            os.link(tmp, path)  # fails if another process won the race; keep theirs
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    for line in path.read_text().splitlines():
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, value = line.split("=", 1)
        os.environ.setdefault(name, value)
