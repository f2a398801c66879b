"""Sensitive fields at rest: which they are, and sealing/opening them with a record's data key.

A record's body is stored with its sensitive fields replaced by ciphertext; its data key is stored
wrapped by the master key. Destroying the wrapped key (purge) leaves every ciphertext of the record, in
its body, revisions and contributions, unreadable for good (crypto-shredding).
"""

import json
import time
from functools import lru_cache
from typing import Any

from app.crypto.envelope import (
    IntegrityError,
    decrypt_field,
    encrypt_field,
    new_data_key,
    unwrap,
    wrap,
    wrapped_version,
)
from app.crypto.storage_keys import StorageKeys, StorageKeySource
from app.errors import DataIntegrity


class Vault:
    """Seals and opens with the storage keys. With a `source`, it re-reads the keys when it meets a
    master key version it does not know and every `refresh_seconds`, so a node picks up a rotation
    (`kix keys rotate-master`) without a restart."""

    def __init__(
        self, keys: StorageKeys, source: StorageKeySource | None = None, refresh_seconds: float = 10
    ) -> None:
        self.keys = keys
        self.source = source
        self.refresh_seconds = refresh_seconds
        self._loaded_at = time.monotonic()
        self._unwrap = lru_cache(maxsize=4096)(self._unwrap_uncached)

    def _refresh(self, *, force: bool = False) -> None:
        if self.source is None:
            return
        if force or time.monotonic() - self._loaded_at > self.refresh_seconds:
            self.keys = self.source.load()
            self._loaded_at = time.monotonic()

    def new_data_key(self, owner: str) -> tuple[bytes, str]:
        """A fresh data key and its wrapped form, bound to `owner` (e.g. "records|<id>")."""
        self._refresh()
        key = new_data_key()
        return key, wrap(self.keys.master, key, owner)

    def _unwrap_uncached(self, wrapped: str, owner: str) -> bytes:
        if wrapped_version(wrapped) not in self.keys.master.versions:
            self._refresh(force=True)
        return unwrap(self.keys.master, wrapped, owner)

    def data_key(self, wrapped: str, owner: str) -> bytes:
        try:
            return self._unwrap(wrapped, owner)
        except IntegrityError as exc:
            raise DataIntegrity(f"{owner}: {exc}") from exc

    def rewrap(self, wrapped: str, owner: str) -> str:
        """The same data key wrapped under the current master key (master key rotation)."""
        return wrap(self.keys.master, self.data_key(wrapped, owner), owner)

    def seal(
        self, key: bytes, fields: tuple[str, ...], body: dict[str, Any], *, table: str, row: str
    ) -> dict[str, Any]:
        """`body` with each of `fields` replaced by its ciphertext."""
        sealed = dict(body)
        for field in fields:
            if sealed.get(field) is not None:
                plaintext = json.dumps(sealed[field], separators=(",", ":")).encode()
                sealed[field] = encrypt_field(key, plaintext, table=table, row=row, field=field)
        return sealed

    def open(
        self,
        key: bytes,
        fields: tuple[str, ...],
        sealed: dict[str, Any],
        *,
        table: str,
        row: str,
    ) -> dict[str, Any]:
        """The body with `fields` decrypted (the other sealed fields stay sealed)."""
        body = dict(sealed)
        for field in fields:
            if body.get(field) is not None:
                try:
                    plaintext = decrypt_field(key, body[field], table=table, row=row, field=field)
                except IntegrityError as exc:
                    raise DataIntegrity(str(exc)) from exc
                body[field] = json.loads(plaintext)
        return body

    def seal_text(self, key: bytes, text: str, *, table: str, row: str, field: str) -> str:
        return encrypt_field(key, text.encode(), table=table, row=row, field=field)

    def open_text(self, key: bytes, token: str, *, table: str, row: str, field: str) -> str:
        try:
            return decrypt_field(key, token, table=table, row=row, field=field).decode()
        except IntegrityError as exc:
            raise DataIntegrity(str(exc)) from exc


class RecordSecrets:
    """A record's data key, ready to seal and open the record's body, revisions and texts."""

    def __init__(self, vault: Vault, key: bytes, record_id: str) -> None:
        self.vault = vault
        self.key = key
        self.record_id = record_id

    def seal_body(
        self, fields: tuple[str, ...], body: dict[str, Any], *, version: int | None = None
    ) -> dict[str, Any]:
        table, row = self._place(version)
        return self.vault.seal(self.key, fields, body, table=table, row=row)

    def open_body(
        self, fields: tuple[str, ...], sealed: dict[str, Any], *, version: int | None = None
    ) -> dict[str, Any]:
        table, row = self._place(version)
        return self.vault.open(self.key, fields, sealed, table=table, row=row)

    def _place(self, version: int | None) -> tuple[str, str]:
        # The live body and each revision are bound to their own place, so neither can stand in for the other.
        return (
            ("records", self.record_id)
            if version is None
            else ("record_revisions", f"{self.record_id}:{version}")
        )

    def seal_text(self, text: str, *, table: str, row: str, field: str) -> str:
        return self.vault.seal_text(self.key, text, table=table, row=f"{self.record_id}:{row}", field=field)

    def open_text(self, token: str, *, table: str, row: str, field: str) -> str:
        return self.vault.open_text(self.key, token, table=table, row=f"{self.record_id}:{row}", field=field)


def record_owner(record_id: str) -> str:
    return f"records|{record_id}"


def secrets_for(vault: Vault, record_id: str, wrapped: str | None) -> RecordSecrets:
    """A record's secrets. Every caller has set purged records aside first (a purged record is found
    only at its own address, which answers 410 before opening anything), so a destroyed key here is a
    bug: a 500, which tells the caller nothing about the record."""
    if wrapped is None:
        raise PurgedRecordOpened(f"record {record_id} is purged: its data key is destroyed")
    return RecordSecrets(vault, vault.data_key(wrapped, record_owner(record_id)), record_id)


class PurgedRecordOpened(RuntimeError):
    """Code tried to open a purged record instead of setting it aside."""


def new_secrets(vault: Vault, record_id: str) -> tuple[RecordSecrets, str]:
    key, wrapped = vault.new_data_key(record_owner(record_id))
    return RecordSecrets(vault, key, record_id), wrapped
