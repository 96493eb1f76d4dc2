"""Secrets for development and tests, generated once per checkout into ``var/dev-keys.env``.

Production never reads this file (settings refuse to start without real variables); it only
spares a developer from inventing keys before the first ``run``. A key the platform gained
since the file was written (e.g. the audit ledger's) is added to it the first time it is missing.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import tempfile
from pathlib import Path

from cll.lib.keyring import new_key
from cll.lib.signing import new_signing_key


def _generate() -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "CLL_KEYRING": f"dev1:{new_key()}",
        "CLL_BLIND_INDEX_KEY": new_key(),
        "CLL_AUDIT_KEY": f"dev1:{new_key()}",
        "CLL_AUDIT_SIGNING_KEY": new_signing_key(),
    }


def _read(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not name.startswith("#"):
            values[name.strip()] = value.strip()
    return values


def _add_missing(path: Path) -> None:
    with open(path, "a") as handle:
        # Two processes starting at once must not both append: the second sees the first's keys.
        fcntl.flock(handle, fcntl.LOCK_EX)
        present = _read(path)
        handle.write(
            "".join(
                f"{name}={value}\n" for name, value in _generate().items() if name not in present
            )
        )


def development_secrets(var_dir: Path) -> dict[str, str]:
    path = var_dir / "dev-keys.env"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        body = "# Development keys, generated once. Never use them in production.\n" + "".join(
            f"{name}={value}\n" for name, value in _generate().items()
        )
        fd, tmp = tempfile.mkstemp(dir=var_dir, prefix=".dev-keys")
        with os.fdopen(fd, "w") as handle:
            handle.write(body)
        os.chmod(tmp, 0o600)
        try:
            # link() fails if another process won the race; theirs is kept and read below.
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    values = _read(path)
    if not values.keys() >= _generate().keys():
        _add_missing(path)
        values = _read(path)
    return values
