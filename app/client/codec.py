"""What the SDK does to every call, independent of the HTTP transport (sync or async httpx)."""

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from app.crypto.digest import DigestError, verify_content_digest
from app.crypto.httpsig import HttpMessage, SignatureError, find_signature, verify
from app.crypto.jwe import MEDIA_TYPE as JOSE
from app.crypto.jwe import JweCodec, JweError
from app.crypto.keys import KeyFormatError, KeyPair, ed25519_public_from_jwk, x25519_public_from_jwk
from app.crypto.profile import ACTOR_HEADER, RESPONSE_TAG, check_response_profile, sign_request

# A response signed more than this far from the client's clock is refused (clock skew allowance).
RESPONSE_MAX_SKEW_SECONDS = 300


class ResponseVerificationError(Exception):
    """The response is not signed by a pinned server key, not bound to our request, or can not be opened."""


class ServerKeysError(ValueError):
    """The pinned server keys (a JWKS file) are missing, not JSON, or lack the keys KIX needs."""


class KixProblem(Exception):
    """The server answered with an RFC 9457 problem (after its signature was verified)."""

    def __init__(
        self, status: int, problem: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        self.status = status
        self.problem = problem
        self.headers: Mapping[str, str] = headers or {}
        self.type: str = problem.get("type", "")
        self.detail: str = problem.get("detail", "")
        super().__init__(f"{status} {self.type}: {self.detail}")

    @property
    def retry_after(self) -> int | None:
        """Seconds to wait before sending the request again (429, 503), if the server said."""
        value = self.headers.get("retry-after", "")
        return int(value) if value.isdigit() else None


@dataclass(frozen=True)
class ServerKeys:
    """The server's pinned public keys: signature keys by kid, and the encryption key to send to."""

    signing: dict[str, Ed25519PublicKey]
    encryption_kid: str
    encryption: X25519PublicKey

    @classmethod
    def from_jwks(cls, jwks: dict[str, Any]) -> "ServerKeys":
        signing: dict[str, Ed25519PublicKey] = {}
        encryption: tuple[str, X25519PublicKey] | None = None
        keys = jwks.get("keys", [])
        if not isinstance(keys, list):
            raise ServerKeysError("the server JWKS has no list of keys")
        for jwk in keys:
            try:
                if jwk.get("crv") == "Ed25519":
                    signing[jwk["kid"]] = ed25519_public_from_jwk(jwk)
                elif jwk.get("crv") == "X25519" and encryption is None:
                    encryption = (jwk["kid"], x25519_public_from_jwk(jwk))
            except (KeyFormatError, KeyError, AttributeError) as exc:
                raise ServerKeysError(f"bad key in the server JWKS: {exc}") from exc
        if not signing or encryption is None:
            raise ServerKeysError("the server JWKS needs an Ed25519 (sig) and an X25519 (enc) key")
        return cls(signing=signing, encryption_kid=encryption[0], encryption=encryption[1])


def load_server_keys_file(path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ServerKeysError(f"server keys {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ServerKeysError(f"server keys {path} is not a JWKS (JSON): {exc.msg}") from exc
    if not isinstance(data, dict):
        raise ServerKeysError(f"server keys {path} is not a JWKS object")
    return data


class Codec:
    """`clock` gives the seconds since the epoch that signatures are dated with and response signatures
    are checked against (the system clock unless a test moves time)."""

    def __init__(
        self, key: KeyPair, server_keys: dict[str, Any], actor: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.key = key
        self.server = ServerKeys.from_jwks(server_keys)
        self.actor = actor
        self.clock = clock
        self.jwe = JweCodec(max_bytes=64 * 1024 * 1024)

    def build(
        self,
        http: httpx.Client | httpx.AsyncClient,
        method: str,
        url: str,
        payload: Any,
        params: dict[str, Any] | None,
        headers: dict[str, str] | None,
        actor: str | None,
    ) -> httpx.Request:
        """A request ready to send: body encrypted, everything signed."""
        body, body_headers = self.seal_body(payload)
        request = http.build_request(
            method, url, params=params, headers=(headers or {}) | body_headers, content=body
        )
        self.sign(request, body, actor)
        return request

    def seal_body(self, payload: Any) -> tuple[bytes, dict[str, str]]:
        """The JWE body for `payload` (nothing for None) and the headers that go with it."""
        headers = {"accept": JOSE}
        if payload is None:
            return b"", headers
        plaintext = json.dumps(payload, separators=(",", ":"), default=str).encode()
        token = self.jwe.encrypt(
            plaintext,
            self.server.encryption,
            recipient_kid=self.server.encryption_kid,
            sender_kid=self.key.kid,
        )
        return token.encode("ascii"), headers | {"content-type": JOSE}

    def sign(self, request: httpx.Request, body: bytes, actor: str | None) -> None:
        """Add kix-actor, Content-Digest, Signature-Input and Signature to `request`, in place."""
        request.headers[ACTOR_HEADER] = actor or self.actor
        added = sign_request(
            method=request.method,
            target_uri=str(request.url),
            headers={name.lower(): value for name, value in request.headers.items()},
            body=body,
            keyid=self.key.kid,
            private_key=self.key.signing,
            now=int(self.clock()),
        )
        request.headers.update(added)

    def open_response(self, request: httpx.Request, response: httpx.Response) -> Any:
        """Verify the response's signature and digest, decrypt it, and return its JSON (raise on problems)."""
        headers = {name.lower(): value for name, value in response.headers.items()}
        request_message = HttpMessage(
            headers={name.lower(): value for name, value in request.headers.items()},
            method=request.method,
            target_uri=str(request.url),
        )
        try:
            received = find_signature(
                headers.get("signature-input"), headers.get("signature"), tag=RESPONSE_TAG
            )
            check_response_profile(received, request_signed="signature" in request_message.headers)
            public_key = self.server.signing.get(received.params["keyid"])
            if public_key is None:
                raise ResponseVerificationError("the response is signed by a key that is not pinned")
            if abs(received.params["created"] - self.clock()) > RESPONSE_MAX_SKEW_SECONDS:
                raise ResponseVerificationError("the response signature is too old or from the future")
            verify(
                HttpMessage(headers=headers, status=response.status_code, request=request_message),
                received,
                public_key,
            )
            verify_content_digest(headers.get("content-digest", ""), response.content)
        except (SignatureError, DigestError) as exc:
            raise ResponseVerificationError(f"response signature check failed: {exc}") from exc
        body = response.content
        content_type = headers.get("content-type", "").split(";")[0].strip()
        if content_type == JOSE:
            try:
                opened = self.jwe.decrypt(body, self.key.encryption)
            except JweError as exc:
                raise ResponseVerificationError(str(exc)) from exc
            if opened.header.get("kid") != self.key.kid:
                raise ResponseVerificationError("the response is encrypted to another key")
            body = opened.plaintext
        data = json.loads(body) if body else None
        if response.status_code >= 400:
            raise KixProblem(response.status_code, data if isinstance(data, dict) else {}, response.headers)
        return data
