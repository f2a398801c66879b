"""Agency and server key pairs: Ed25519 for signatures, X25519 for encryption, as RFC 8037 JWKs.

A key file is JSON, readable from any language:
    {"kid": "...", "sign": {private OKP Ed25519 JWK}, "encrypt": {private OKP X25519 JWK}}
"""

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from app.crypto.encoding import b64url_decode, b64url_encode

SIGNATURE_ALG = "ed25519"  # RFC 9421 algorithm name
JWE_ALG = "ECDH-ES+A256KW"
JWE_ENC = "A256GCM"

Jwk = dict[str, Any]


class KeyFormatError(ValueError):
    """A JWK or key file is not what RFC 8037 and the KIX key-file format describe."""


def _raw_public(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _raw_private(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def _okp_field(jwk: Any, crv: str, name: str) -> bytes:
    if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != crv:
        raise KeyFormatError(f"expected an OKP JWK with crv {crv}")
    value = jwk.get(name)
    if not isinstance(value, str):
        raise KeyFormatError(f"{crv} JWK lacks {name!r}")
    try:
        raw = b64url_decode(value)
    except ValueError as exc:
        raise KeyFormatError(f"{crv} JWK {name!r} is not base64url") from exc
    if len(raw) != 32:
        raise KeyFormatError(f"{crv} JWK {name!r} must be 32 bytes")
    return raw


def ed25519_public_from_jwk(jwk: Any) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_okp_field(jwk, "Ed25519", "x"))


def x25519_public_from_jwk(jwk: Any) -> X25519PublicKey:
    return X25519PublicKey.from_public_bytes(_okp_field(jwk, "X25519", "x"))


def public_jwk(key: Ed25519PublicKey | X25519PublicKey, *, kid: str) -> Jwk:
    crv, use, alg = (
        ("Ed25519", "sig", "EdDSA") if isinstance(key, Ed25519PublicKey) else ("X25519", "enc", JWE_ALG)
    )
    return {
        "kty": "OKP",
        "crv": crv,
        "x": b64url_encode(_raw_public(key)),
        "kid": kid,
        "use": use,
        "alg": alg,
    }


def thumbprint(jwk: Jwk) -> str:
    """RFC 7638 JWK thumbprint (SHA-256) of an OKP key."""
    canonical = json.dumps(
        {"crv": jwk["crv"], "kty": "OKP", "x": jwk["x"]}, separators=(",", ":"), sort_keys=True
    )
    return b64url_encode(hashlib.sha256(canonical.encode()).digest())


@dataclass(frozen=True)
class KeyPair:
    """A signing key and an encryption key under one key id (an agency credential or the server)."""

    kid: str
    signing: Ed25519PrivateKey
    encryption: X25519PrivateKey

    @classmethod
    def generate(cls, kid: str | None = None) -> "KeyPair":
        signing = Ed25519PrivateKey.generate()
        encryption = X25519PrivateKey.generate()
        if kid is None:
            # From the thumbprint, behind a letter: a key id starting with "-" reads as an option in a shell.
            kid = "k" + thumbprint(public_jwk(signing.public_key(), kid=""))[:21]
        return cls(kid=kid, signing=signing, encryption=encryption)

    @property
    def sign_jwk(self) -> Jwk:
        return public_jwk(self.signing.public_key(), kid=self.kid)

    @property
    def encrypt_jwk(self) -> Jwk:
        return public_jwk(self.encryption.public_key(), kid=self.kid)

    def derive_secret(self, purpose: bytes) -> bytes:
        """A 32-byte secret for `purpose`, derived from the signing key (HKDF), so the server needs no
        further key to keep: every node holding the server key derives the same one."""
        return HKDF(algorithm=SHA256(), length=32, salt=None, info=purpose).derive(_raw_private(self.signing))

    def public_jwks(self) -> dict[str, list[Jwk]]:
        return {"keys": [self.sign_jwk, self.encrypt_jwk]}

    def to_json(self) -> dict[str, Any]:
        sign = dict(self.sign_jwk, d=b64url_encode(_raw_private(self.signing)))
        encrypt = dict(self.encrypt_jwk, d=b64url_encode(_raw_private(self.encryption)))
        return {"kid": self.kid, "sign": sign, "encrypt": encrypt}

    @classmethod
    def from_json(cls, data: Any) -> "KeyPair":
        if not isinstance(data, dict) or not isinstance(data.get("kid"), str) or not data["kid"]:
            raise KeyFormatError("a key file is a JSON object with a non-empty 'kid'")
        signing = Ed25519PrivateKey.from_private_bytes(_okp_field(data.get("sign"), "Ed25519", "d"))
        encryption = X25519PrivateKey.from_private_bytes(_okp_field(data.get("encrypt"), "X25519", "d"))
        if _okp_field(data["sign"], "Ed25519", "x") != _raw_public(signing.public_key()):
            raise KeyFormatError("the signing JWK's public part does not match its private part")
        if _okp_field(data["encrypt"], "X25519", "x") != _raw_public(encryption.public_key()):
            raise KeyFormatError("the encryption JWK's public part does not match its private part")
        return cls(kid=data["kid"], signing=signing, encryption=encryption)


def write_private_file(path: Path, content: str) -> None:
    """Write a secret file readable by its owner only (0600), refusing to overwrite one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)


def write_key_file(path: Path, key: KeyPair) -> None:
    write_private_file(path, json.dumps(key.to_json(), indent=2) + "\n")


def load_key_file(path: Path) -> KeyPair:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise KeyFormatError(f"{path} is not JSON") from exc
    return KeyPair.from_json(data)
