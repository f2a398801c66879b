"""The server's own key pair (response signatures, request decryption), kept in a key directory.

The private key file is `server.key.json` in the KIX key-file format, mode 0600. Development creates
it when missing; production refuses to start without it, so no node ever runs on a key nobody issued.
"""

import json
import stat
from pathlib import Path

from app.crypto.keys import KeyPair, load_key_file, thumbprint, write_key_file

SERVER_KEY_FILE = "server.key.json"


class KeyStoreError(RuntimeError):
    """The key directory lacks a key, or holds one that is unreadable or too widely readable."""


def _check_permissions(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyStoreError(f"{path} is readable by others (mode {oct(mode & 0o777)}); chmod 600 it")


def load_server_keys(keys_dir: Path, *, create: bool) -> tuple[KeyPair, bool]:
    """Return the server key pair, and whether it was just created (only when `create` is true)."""
    path = keys_dir / SERVER_KEY_FILE
    if not path.exists():
        if not create:
            raise KeyStoreError(f"no server key at {path}: create one with `kix keys init-server`")
        signing_only = KeyPair.generate(kid="pending")
        kid = "kix-server-" + thumbprint(signing_only.sign_jwk)[:16]
        key = KeyPair(kid=kid, signing=signing_only.signing, encryption=signing_only.encryption)
        keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_key_file(path, key)
        return key, True
    _check_permissions(path)
    try:
        return load_key_file(path), False
    except (ValueError, OSError) as exc:
        raise KeyStoreError(f"{path} is not a valid KIX key file: {exc}") from exc


def jwks_json(key: KeyPair) -> str:
    return json.dumps(key.public_jwks(), indent=2) + "\n"
