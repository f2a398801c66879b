"""Custody of the keys that protect data at rest: versioned master keys (wrapping per-record data keys)
and the blind-index key (separate, so a leak of one does not expose the other).

Sources implement `StorageKeySource`; the embedded default is a 0600 file in the key directory
(`storage.keys.json`) or the KIX_STORAGE_KEYS environment variable holding the same JSON. A KMS or Vault
adapter implements the same two methods. The JSON:
    {"master": {"1": "<base64url 32 bytes>", ...}, "current": 1, "index": "<base64url 32 bytes>"}
"""

import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from app.crypto.encoding import b64url_decode, b64url_encode
from app.crypto.envelope import MasterKeys

STORAGE_KEY_FILE = "storage.keys.json"
ENV_VARIABLE = "KIX_STORAGE_KEYS"


class StorageKeyError(RuntimeError):
    """Storage keys are missing, malformed or readable by others."""


@dataclass(frozen=True)
class StorageKeys:
    master: MasterKeys
    index: bytes

    def to_json(self) -> str:
        data = {
            "master": {str(v): b64url_encode(k) for v, k in sorted(self.master.versions.items())},
            "current": self.master.current,
            "index": b64url_encode(self.index),
        }
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "StorageKeys":
        try:
            data: Any = json.loads(text)
            versions = {int(version): b64url_decode(key) for version, key in data["master"].items()}
            index = b64url_decode(data["index"])
            master = MasterKeys(versions=versions, current=int(data["current"]))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StorageKeyError(f"malformed storage keys: {exc}") from exc
        if len(index) != 32:
            raise StorageKeyError("the index key must be 32 bytes")
        return cls(master=master, index=index)

    @classmethod
    def generate(cls) -> "StorageKeys":
        return cls(master=MasterKeys(versions={1: os.urandom(32)}, current=1), index=os.urandom(32))

    def rotated(self) -> "StorageKeys":
        """The same keys plus a new current master key version."""
        version = max(self.master.versions) + 1
        versions = dict(self.master.versions) | {version: os.urandom(32)}
        return StorageKeys(master=MasterKeys(versions=versions, current=version), index=self.index)

    def without(self, version: int) -> "StorageKeys":
        if version == self.master.current:
            raise StorageKeyError("the current master key can not be destroyed")
        versions = {v: k for v, k in self.master.versions.items() if v != version}
        return StorageKeys(
            master=MasterKeys(versions=versions, current=self.master.current), index=self.index
        )


class StorageKeySource(Protocol):
    def load(self) -> StorageKeys: ...

    def save(self, keys: StorageKeys) -> None: ...


class FileKeySource:
    def __init__(self, keys_dir: Path) -> None:
        self.path = keys_dir / STORAGE_KEY_FILE

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> StorageKeys:
        if not self.path.exists():
            raise StorageKeyError(f"no storage keys at {self.path}: create them with `kix keys init-server`")
        mode = self.path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise StorageKeyError(
                f"{self.path} is readable by others (mode {oct(mode & 0o777)}); chmod 600 it"
            )
        return StorageKeys.from_json(self.path.read_text(encoding="utf-8"))

    def save(self, keys: StorageKeys) -> None:
        """Replace the file atomically, never leaving it readable by others."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(keys.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)


class EnvKeySource:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def load(self) -> StorageKeys:
        return StorageKeys.from_json(self.environ[ENV_VARIABLE])

    def save(self, keys: StorageKeys) -> None:
        raise StorageKeyError(
            f"keys from {ENV_VARIABLE} can not be rewritten here; set the new value yourself"
        )


def storage_key_source(keys_dir: Path, environ: Mapping[str, str] | None = None) -> StorageKeySource:
    environ = os.environ if environ is None else environ
    return EnvKeySource(environ) if ENV_VARIABLE in environ else FileKeySource(keys_dir)


def load_storage_keys(keys_dir: Path, *, create: bool) -> tuple[StorageKeys, bool]:
    """The storage keys, and whether they were just created (development only)."""
    source = storage_key_source(keys_dir)
    if isinstance(source, FileKeySource) and not source.exists():
        if not create:
            raise StorageKeyError(
                f"no storage keys at {source.path}: create them with `kix keys init-server`"
            )
        keys = StorageKeys.generate()
        source.save(keys)
        return keys, True
    return source.load(), False
