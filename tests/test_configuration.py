"""Start-up refuses an insecure or malformed configuration and names the variable."""

from __future__ import annotations

import base64
import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from cll.lib.env import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def production_env(tmp_path: Path) -> dict[str, str]:
    return {
        "CLL_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "CLL_KEYRING": f"k2:{base64.b64encode(os.urandom(32)).decode()},"
        f"k1:{base64.b64encode(os.urandom(32)).decode()}",
        "CLL_BLIND_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
        "CLL_AUDIT_KEY": f"a1:{base64.b64encode(os.urandom(32)).decode()}",
        "CLL_AUDIT_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
        "ALLOWED_HOSTS": "www.cll.be",
        "CLL_SITE_URL": "https://www.cll.be",
        "EMAIL_HOST": "smtp.cll.be",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "CLL_VAR_DIR": str(tmp_path),
        # Production takes payments through a real provider (the sandbox is refused).
        "CLL_PAYMENT_PROVIDER": "mollie",
        "CLL_MOLLIE_API_KEY": "live_" + secrets.token_hex(15),
    }


_DKIM = ["CLL_DKIM_DOMAIN", "CLL_DKIM_SELECTOR", "CLL_DKIM_PRIVATE_KEY_FILE"]


def load_settings(monkeypatch, env: dict[str, str]) -> dict:
    proxy = ["CLL_BEHIND_PROXY", "CLL_TRUSTED_PROXIES"]
    for name in [*production_env(Path("/tmp")), "DEBUG", "EMAIL_PORT", "REDIS_URL", *_DKIM, *proxy]:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_module("cll.settings")


def test_it_loads_a_correct_production_environment(monkeypatch, tmp_path):
    settings = load_settings(monkeypatch, production_env(tmp_path))
    assert settings["DEBUG"] is False
    assert settings["ENCRYPTION_KEYRING"].active_id == "k2"
    assert settings["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert settings["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert settings["SESSION_COOKIE_SECURE"] and settings["CSRF_COOKIE_SECURE"]
    assert settings["SECURE_HSTS_SECONDS"] >= 31536000
    assert settings["SECURE_SSL_REDIRECT"] is True


def test_it_signs_mail_with_dkim_when_the_three_variables_are_set(monkeypatch, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path / "dkim.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    dkim = dict(zip(_DKIM, ["cll.be", "mail2026", str(key_file)], strict=True))
    settings = load_settings(monkeypatch, {**production_env(tmp_path), **dkim})
    mailer = settings["MAILERS"]["default"]
    assert mailer["BACKEND"] == "cll.core.mail.DkimEmailBackend"
    assert mailer["OPTIONS"]["dkim_selector"] == "mail2026"
    # A short key is refused: 1024-bit RSA is no longer accepted by large receivers.
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505
    key_file.write_bytes(
        weak.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ConfigError, match="CLL_DKIM_PRIVATE_KEY_FILE"):
        load_settings(monkeypatch, {**production_env(tmp_path), **dkim})


def test_it_reads_the_audit_signing_key_from_a_pem_file(monkeypatch, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    def pem(key) -> str:
        path = tmp_path / f"{type(key).__name__}.pem"
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return str(path)

    key = ed25519.Ed25519PrivateKey.generate()
    env = {**production_env(tmp_path), "CLL_AUDIT_SIGNING_KEY": pem(key)}
    settings = load_settings(monkeypatch, env)
    assert settings["AUDIT_SIGNING_KEY"].public_key() == key.public_key()
    # Any other kind of key is refused.
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    env["CLL_AUDIT_SIGNING_KEY"] = pem(other)
    with pytest.raises(ConfigError, match=r"CLL_AUDIT_SIGNING_KEY .* not Ed25519"):
        load_settings(monkeypatch, env)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"CLL_KEYRING": ""}, "CLL_KEYRING"),
        ({"CLL_KEYRING": "k1:bm90LWEta2V5"}, "CLL_KEYRING"),
        ({"CLL_KEYRING": "no-colon"}, "CLL_KEYRING"),
        ({"CLL_BLIND_INDEX_KEY": ""}, "CLL_BLIND_INDEX_KEY"),
        ({"CLL_AUDIT_KEY": ""}, "CLL_AUDIT_KEY"),
        ({"CLL_AUDIT_KEY": "a1:bm90LWEta2V5"}, "CLL_AUDIT_KEY"),
        ({"CLL_AUDIT_SIGNING_KEY": ""}, "CLL_AUDIT_SIGNING_KEY"),
        ({"CLL_AUDIT_SIGNING_KEY": "bm90LWEta2V5"}, "CLL_AUDIT_SIGNING_KEY"),
        ({"CLL_AUDIT_SIGNING_KEY": "/nonexistent/audit-signing.pem"}, "CLL_AUDIT_SIGNING_KEY"),
        ({"DEBUG": "1"}, "DEBUG"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"CLL_SITE_URL": "http://www.cll.be"}, "CLL_SITE_URL"),
        ({"EMAIL_HOST": ""}, "EMAIL_HOST"),
        ({"EMAIL_PORT": "twenty-five"}, "EMAIL_PORT"),
        ({"DATABASE_URL": "mysql://db/cll"}, "DATABASE_URL"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"CLL_ENV": "staging"}, "CLL_ENV"),
        ({"CLL_LOG_FLUSH_EVENTS": "10001"}, "CLL_LOG_FLUSH_EVENTS"),
        ({"CLL_LOG_FLUSH_EVENTS": "0"}, "CLL_LOG_FLUSH_EVENTS"),
        ({"CLL_TRUSTED_PROXIES": "10.0.0.0/33"}, "CLL_TRUSTED_PROXIES"),
        # Behind a proxy, every visitor would share its address (one rate-limit bucket).
        ({"CLL_BEHIND_PROXY": "1"}, "CLL_TRUSTED_PROXIES"),
        ({"CLL_DKIM_DOMAIN": "cll.be"}, "CLL_DKIM_SELECTOR"),
        (
            {"CLL_DKIM_DOMAIN": "cll.be", "CLL_DKIM_SELECTOR": "s1"},
            "CLL_DKIM_PRIVATE_KEY_FILE",
        ),
        (
            {
                "CLL_DKIM_DOMAIN": "cll.be",
                "CLL_DKIM_SELECTOR": "s1",
                "CLL_DKIM_PRIVATE_KEY_FILE": "/nonexistent/dkim.pem",
            },
            "CLL_DKIM_PRIVATE_KEY_FILE",
        ),
    ],
)
def test_it_refuses_a_bad_environment_naming_the_variable(monkeypatch, tmp_path, change, named):
    env = {**production_env(tmp_path), **change}
    with pytest.raises(ConfigError, match=named):
        load_settings(monkeypatch, {k: v for k, v in env.items() if v != ""})


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in production_env(Path("/tmp"))}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_it_exits_with_a_clear_message_when_the_secret_is_missing(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    result = _manage("check", env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Configuration error: SECRET_KEY is required but not set (a string)."
    )
    assert "Traceback" not in result.stderr


def test_it_passes_the_deployment_checklist_in_production(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path))
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout
