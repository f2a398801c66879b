"""Envelope encryption at rest: each record has its own data key (DEK), wrapped by a versioned master
key; each sensitive field is AES-256-GCM ciphertext under the DEK, with associated data naming the
table, record and field, so a value copied to another row or field no longer decrypts.

Formats (stable, versioned):
    wrapped DEK  "k<version>." + base64url(nonce[12] || ciphertext+tag), AAD "kix-dek|<owner>"
    field value  "f1." + base64url(nonce[12] || ciphertext+tag), AAD "kix-field|<table>|<row>|<field>"
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.crypto.encoding import b64url_decode, b64url_encode

_NONCE = 12
_FIELD_PREFIX = "f1."


class IntegrityError(Exception):
    """A stored ciphertext or wrapped key fails authentication: edited, swapped, or under another key."""


@dataclass(frozen=True)
class MasterKeys:
    """Master key versions (32 bytes each); new data keys are wrapped under `current`."""

    versions: Mapping[int, bytes]
    current: int

    def __post_init__(self) -> None:
        if self.current not in self.versions:
            raise ValueError("the current master key version is missing")
        if any(len(key) != 32 for key in self.versions.values()):
            raise ValueError("master keys are 32 bytes (AES-256)")


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def wrap(master: MasterKeys, data_key: bytes, owner: str) -> str:
    """Wrap `data_key` under the current master key, bound to `owner` (e.g. "records|<id>")."""
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(master.versions[master.current]).encrypt(nonce, data_key, f"kix-dek|{owner}".encode())
    return f"k{master.current}." + b64url_encode(nonce + sealed)


def wrapped_version(wrapped: str) -> int:
    head, _, _ = wrapped.partition(".")
    if not head.startswith("k") or not head[1:].isdigit():
        raise IntegrityError("malformed wrapped data key")
    return int(head[1:])


def unwrap(master: MasterKeys, wrapped: str, owner: str) -> bytes:
    version = wrapped_version(wrapped)
    key = master.versions.get(version)
    if key is None:
        raise IntegrityError(
            f"the data key is wrapped under master key version {version}, which is not loaded"
        )
    try:
        raw = b64url_decode(wrapped.partition(".")[2])
        return AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], f"kix-dek|{owner}".encode())
    except (InvalidTag, ValueError) as exc:
        raise IntegrityError("the wrapped data key fails authentication") from exc


def _field_aad(table: str, row: str, field: str) -> bytes:
    return f"kix-field|{table}|{row}|{field}".encode()


def encrypt_field(data_key: bytes, plaintext: bytes, *, table: str, row: str, field: str) -> str:
    nonce = os.urandom(_NONCE)
    return _FIELD_PREFIX + b64url_encode(
        nonce + AESGCM(data_key).encrypt(nonce, plaintext, _field_aad(table, row, field))
    )


def decrypt_field(data_key: bytes, token: str, *, table: str, row: str, field: str) -> bytes:
    if not isinstance(token, str) or not token.startswith(_FIELD_PREFIX):
        raise IntegrityError(f"{table}.{field} of {row} is not a ciphertext")
    try:
        raw = b64url_decode(token[len(_FIELD_PREFIX) :])
        return AESGCM(data_key).decrypt(raw[:_NONCE], raw[_NONCE:], _field_aad(table, row, field))
    except (InvalidTag, ValueError) as exc:
        raise IntegrityError(f"{table}.{field} of {row} fails authentication (edited or moved)") from exc
