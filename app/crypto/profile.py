"""The KIX signing profile: which components a request and a response must cover, and with which parameters.

Shared by the server and the SDK so both sides agree on one definition. It follows FAPI 2.0 message
signing: a request covers its method, target, body digest and acting user; a response covers its
status and body digest and, with `;req`, the request's method, target and signature, so a response can
not be replayed as the answer to another request.
"""

import secrets
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.crypto.digest import content_digest
from app.crypto.httpsig import Component, HttpMessage, ReceivedSignature, SignatureError, sign
from app.crypto.keys import SIGNATURE_ALG

LABEL = "kix"
REQUEST_TAG = "kix-request"
RESPONSE_TAG = "kix-response"
ACTOR_HEADER = "kix-actor"
REQUEST_LIFETIME_SECONDS = 60
REQUIRED_REQUEST_PARAMS = ("created", "expires", "nonce", "keyid", "alg", "tag")
REQUIRED_RESPONSE_PARAMS = ("created", "keyid", "alg", "tag")
# Headers that change what the server does: covered whenever a request carries them, so nobody on the
# path can add, drop or alter one (turn a conditional update into a lost update, graft an
# Idempotency-Key onto a request, or ask for a plaintext answer).
COVERED_WHEN_PRESENT = ("accept", "if-match", "if-none-match", "idempotency-key")


def request_components(has_body: bool, headers: Mapping[str, str] | None = None) -> list[Component]:
    """What a request signature covers. `headers` (lower-case names) are the request's, so that those of
    COVERED_WHEN_PRESENT it carries are covered too."""
    components: list[Component] = [("@method", {}), ("@target-uri", {})]
    if has_body:
        components += [("content-type", {}), ("content-digest", {})]
    components += [(name, {}) for name in COVERED_WHEN_PRESENT if name in (headers or {})]
    components.append((ACTOR_HEADER, {}))
    return components


def response_components(request_signed: bool) -> list[Component]:
    components: list[Component] = [
        ("@status", {}),
        ("content-type", {}),
        ("content-digest", {}),
        ("@method", {"req": True}),
        ("@target-uri", {"req": True}),
    ]
    if request_signed:
        components += [("signature", {"req": True}), ("signature-input", {"req": True})]
    return components


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def sign_request(
    *,
    method: str,
    target_uri: str,
    headers: Mapping[str, str],
    body: bytes,
    keyid: str,
    private_key: Ed25519PrivateKey,
    now: int,
    nonce: str | None = None,
) -> dict[str, str]:
    """Return the headers to add to a request: Content-Digest (with a body), Signature-Input, Signature.

    `headers` must hold lower-case names and include content-type (with a body) and kix-actor; those of
    COVERED_WHEN_PRESENT it holds are covered.
    """
    headers = dict(headers)
    added: dict[str, str] = {}
    if body:
        added["content-digest"] = headers["content-digest"] = content_digest(body)
    params: dict[str, Any] = {
        "created": now,
        "expires": now + REQUEST_LIFETIME_SECONDS,
        "nonce": nonce or new_nonce(),
        "keyid": keyid,
        "alg": SIGNATURE_ALG,
        "tag": REQUEST_TAG,
    }
    message = HttpMessage(headers=headers, method=method, target_uri=target_uri)
    added["signature-input"], added["signature"] = sign(
        message,
        label=LABEL,
        components=request_components(bool(body), headers),
        params=params,
        private_key=private_key,
    )
    return added


def sign_response(
    *,
    status: int,
    headers: Mapping[str, str],
    request: HttpMessage,
    keyid: str,
    private_key: Ed25519PrivateKey,
    now: int,
) -> dict[str, str]:
    """Return the Signature-Input and Signature headers for a response (headers must hold its digest)."""
    request_signed = "signature" in request.headers and "signature-input" in request.headers
    params = {"created": now, "keyid": keyid, "alg": SIGNATURE_ALG, "tag": RESPONSE_TAG}
    message = HttpMessage(headers=headers, status=status, request=request)
    signature_input, signature = sign(
        message,
        label=LABEL,
        components=response_components(request_signed),
        params=params,
        private_key=private_key,
    )
    return {"signature-input": signature_input, "signature": signature}


def _require_covered(received: ReceivedSignature, required: list[Component]) -> None:
    covered = {(name, tuple(sorted(params.items()))) for name, params in received.components}
    for name, params in required:
        if (name, tuple(sorted(params.items()))) not in covered:
            suffix = ";req" if params.get("req") else ""
            raise SignatureError("component-missing", f'the signature must cover "{name}"{suffix}')


def _require_params(received: ReceivedSignature, required: tuple[str, ...]) -> None:
    missing = [name for name in required if name not in received.params]
    if missing:
        raise SignatureError("signature-malformed", f"signature parameter(s) missing: {', '.join(missing)}")
    if received.params["alg"] != SIGNATURE_ALG:
        raise SignatureError("signature-malformed", f'only alg="{SIGNATURE_ALG}" is accepted')


def check_request_profile(received: ReceivedSignature, *, has_body: bool, headers: Mapping[str, str]) -> None:
    """Raise SignatureError unless a request signature covers everything the KIX profile asks for of a
    request with these `headers` (lower-case names)."""
    _require_params(received, REQUIRED_REQUEST_PARAMS)
    _require_covered(received, request_components(has_body, headers))


def check_response_profile(received: ReceivedSignature, *, request_signed: bool) -> None:
    _require_params(received, REQUIRED_RESPONSE_PARAMS)
    _require_covered(received, response_components(request_signed))


# Webhooks: KIX posts events to an agency's endpoint, signed by the server like a request of its own.
WEBHOOK_TAG = "kix-webhook"
EVENT_ID_HEADER = "kix-event-id"
WEBHOOK_COMPONENTS: list[Component] = [
    ("@method", {}),
    ("@target-uri", {}),
    ("content-type", {}),
    ("content-digest", {}),
    (EVENT_ID_HEADER, {}),
]
REQUIRED_WEBHOOK_PARAMS = ("created", "nonce", "keyid", "alg", "tag")


def sign_webhook(
    *,
    target_uri: str,
    headers: Mapping[str, str],
    body: bytes,
    keyid: str,
    private_key: Ed25519PrivateKey,
    now: int,
) -> dict[str, str]:
    """The headers to add to a webhook POST: Content-Digest, Signature-Input, Signature. `headers` hold
    content-type and kix-event-id (lower-case names)."""
    headers = dict(headers) | {"content-digest": content_digest(body)}
    params = {"created": now, "nonce": new_nonce(), "keyid": keyid, "alg": SIGNATURE_ALG, "tag": WEBHOOK_TAG}
    message = HttpMessage(headers=headers, method="POST", target_uri=target_uri)
    signature_input, signature = sign(
        message, label=LABEL, components=WEBHOOK_COMPONENTS, params=params, private_key=private_key
    )
    return {
        "content-digest": headers["content-digest"],
        "signature-input": signature_input,
        "signature": signature,
    }


def check_webhook_profile(received: ReceivedSignature) -> None:
    _require_params(received, REQUIRED_WEBHOOK_PARAMS)
    _require_covered(received, WEBHOOK_COMPONENTS)
