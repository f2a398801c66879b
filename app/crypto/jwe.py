"""JWE compact serialisation (RFC 7516) with ECDH-ES+A256KW / A256GCM to X25519 keys, via joserfc.

Only these two algorithms are accepted on decryption, so a token can not pick a weaker one.
The protected header carries `skid`, the sender's key id, so a body can not be lifted from one
signed request and replayed under another key's signature, and `cty`, the media type of the content.
"""

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from joserfc.registry import HeaderParameter, is_str

from app.crypto.keys import JWE_ALG, JWE_ENC

MEDIA_TYPE = "application/jose"
_IMPORTED_KEYS = 4096  # as many as the callers' keys a node keeps known (authentication.KnownKeys)


class JweError(ValueError):
    """The token is malformed, not for this key, tampered with, or uses another algorithm."""


@dataclass(frozen=True)
class Decrypted:
    plaintext: bytes
    header: dict[str, Any]


class JweCodec:
    """Encrypts to and decrypts with X25519 keys; one instance per size limit, reused across requests."""

    def __init__(self, max_bytes: int = 1_048_576) -> None:
        self._registry = jwe.JWERegistry(
            header_registry={"skid": HeaderParameter("Sender key id", is_str)},
            algorithms=[JWE_ALG, JWE_ENC],
        )
        self._registry.max_ciphertext_length = max_bytes
        # joserfc works a key into forms of its own on first use and keeps them on its key object, so a
        # key imported once costs 30-50 us less per message (the server's key, a caller's key) than a
        # key imported anew. Held by the key object's identity, with the object itself, so an identity is
        # never reused while its entry lives.
        self._imported: dict[int, tuple[X25519PublicKey | X25519PrivateKey, OKPKey]] = {}

    def _okp(self, key: X25519PublicKey | X25519PrivateKey) -> OKPKey:
        held = self._imported.get(id(key))
        if held is not None and held[0] is key:
            return held[1]
        imported = OKPKey.import_key(key)
        if len(self._imported) >= _IMPORTED_KEYS:
            self._imported.clear()
        self._imported[id(key)] = (key, imported)
        return imported

    def encrypt(
        self,
        plaintext: bytes,
        recipient: X25519PublicKey,
        *,
        recipient_kid: str,
        sender_kid: str,
        content_type: str = "json",
    ) -> str:
        header = {
            "alg": JWE_ALG,
            "enc": JWE_ENC,
            "kid": recipient_kid,
            "skid": sender_kid,
            "cty": content_type,
        }
        return jwe.encrypt_compact(header, plaintext, self._okp(recipient), registry=self._registry)

    def decrypt(self, token: bytes | str, private_key: X25519PrivateKey) -> Decrypted:
        try:
            result = jwe.decrypt_compact(token, self._okp(private_key), registry=self._registry)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise JweError("the JWE can not be decrypted with this key") from exc
        if result.plaintext is None:
            raise JweError("the JWE has no content")
        return Decrypted(plaintext=result.plaintext, header=dict(result.protected))
