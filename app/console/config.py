"""What a console needs to run at an agency: where KIX is, the agency's key (which never leaves the agency),
KIX's pinned public keys, and where the console keeps its analysts and its cookie-signing secret."""

import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from app.client.codec import load_server_keys_file
from app.console.oidc import OidcSettings
from app.crypto.keys import KeyPair, load_key_file

SECRET_FILE = "console.secret"  # noqa: S105 - a file name, not a secret
ACCOUNTS_FILE = "console.db"


@dataclass(frozen=True)
class ConsoleConfig:
    kix_url: str
    key: KeyPair
    server_jwks: dict[str, Any]
    data_dir: Path
    secret: bytes  # signs the session cookie
    # Cookies marked Secure (sent over HTTPS only). Off only for a console on http://127.0.0.1 in
    # development, where a browser would otherwise drop them.
    secure_cookies: bool = True
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    lockout: timedelta = timedelta(minutes=15)
    default_locale: str = "en"
    timeout_seconds: float = field(default=30.0)
    oidc: OidcSettings | None = None  # log in through the agency's identity provider as well

    @property
    def accounts_path(self) -> Path:
        return self.data_dir / ACCOUNTS_FILE


def console_secret(data_dir: Path) -> bytes:
    """The cookie-signing secret: made once (32 random bytes, mode 0600) and kept in the data dir, so that
    sessions survive a restart and every console process of the agency signs alike."""
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    secret = path.read_bytes()
    if len(secret) < 32:
        raise ValueError(f"{path} holds fewer than 32 bytes: remove it to make a new one")
    return secret


def load_config(
    kix_url: str, key_file: Path, server_keys_file: Path, data_dir: Path, *, secure_cookies: bool = True
) -> ConsoleConfig:
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return ConsoleConfig(
        kix_url=kix_url.rstrip("/"),
        key=load_key_file(key_file),
        server_jwks=load_server_keys_file(server_keys_file),
        data_dir=data_dir,
        secret=console_secret(data_dir),
        secure_cookies=secure_cookies,
    )
