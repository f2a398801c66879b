"""KIX's message signing against an independent implementation.

KIX hand-writes its RFC 9421 code (app/crypto/httpsig.py, app/crypto/profile.py). These tests check it
against the PyPI package `http-message-signatures`, which shares no code with it, and build or open the
JWE bodies with joserfc directly, not through app.crypto.jwe or the SDK. They prove that:

* a request signed by the library with the KIX profile, with a joserfc JWE body, is accepted by the
  server, and the server's response verifies under the library (including the `;req` components that
  bind it to our request, and its Content-Digest) and decrypts with joserfc;
* a body-less GET signed by the library is accepted too;
* conversely, a request signed by the KIX SDK verifies under the library's verifier, and stops
  verifying once a covered header is changed;
* the server refuses a library-signed request changed after signing, while the same request intact is
  accepted, so the acceptance above is not vacuous.
"""

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    VerifyResult,
    algorithms,
)
from joserfc import jwe
from joserfc.jwk import OKPKey
from joserfc.registry import HeaderParameter, is_str

from app.client.codec import Codec
from app.crypto.keys import KeyPair
from tests.conftest import BASE_URL, Member

AGENCY_ID = "interop-lab"
ACTOR = "interop-analyst"
JOSE = "application/jose"
# Accept changes what the server answers, so it is covered whenever sent (httpx always sends one).
REQUEST_COMPONENTS = ("@method", "@target-uri", "content-type", "content-digest", "accept", "kix-actor")
BODYLESS_REQUEST_COMPONENTS = ("@method", "@target-uri", "accept", "kix-actor")
RESPONSE_COMPONENTS = (
    "@status",
    "content-type",
    "content-digest",
    '"@method";req',
    '"@target-uri";req',
    '"signature";req',
    '"signature-input";req',
)
# joserfc refuses header parameters it does not know unless they are registered; KIX adds `skid`.
JWE_REGISTRY = jwe.JWERegistry(
    header_registry={"skid": HeaderParameter("Sender key id", is_str)},
    algorithms=["ECDH-ES+A256KW", "A256GCM"],
)


@dataclass
class Request:
    """A request as http-message-signatures sees it (method, absolute URL, headers), plus its body."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Response:
    """A response as http-message-signatures sees it, with the request it answers (for `;req`)."""

    status_code: int
    headers: dict[str, str]
    request: Request


def _jwk(jwks: dict[str, Any], crv: str) -> dict[str, Any]:
    found: dict[str, Any] = next(key for key in jwks["keys"] if key["crv"] == crv)
    return found


def _ed25519_public(jwk: dict[str, Any]) -> Ed25519PublicKey:
    """The public key of an OKP Ed25519 JWK, decoded by hand rather than by app.crypto."""
    x: str = jwk["x"]
    return Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))


def _verifier(kid: str, public_key: Ed25519PublicKey) -> HTTPMessageVerifier:
    resolver = MappingKeyResolver(public_keys={kid: public_key}, private_keys={})
    return HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=resolver)


def seal(payload: dict[str, Any], server_jwks: dict[str, Any], sender_kid: str) -> bytes:
    """A JWE to the server's X25519 key, made with joserfc alone."""
    recipient = _jwk(server_jwks, "X25519")
    header = {"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "kid": recipient["kid"], "skid": sender_kid}
    token = jwe.encrypt_compact(
        header, json.dumps(payload).encode(), OKPKey.import_key(recipient), registry=JWE_REGISTRY
    )
    return token.encode("ascii")


def library_signed(
    key: KeyPair,
    method: str,
    path: str,
    body: bytes | None = None,
    extra: dict[str, str] | None = None,
) -> Request:
    """A request signed by http-message-signatures with the KIX profile (label, tag, components, params).
    `extra` headers are sent and covered (If-Match, Idempotency-Key...)."""
    request = Request(
        method, BASE_URL + path, {"kix-actor": ACTOR, "accept": JOSE} | (extra or {}), body or b""
    )
    if body is not None:
        request.headers["content-type"] = JOSE
    created = datetime.now(UTC)
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={key.kid: key.signing}),
    )
    # With `body`, the library computes Content-Digest itself and adds it to the headers.
    signer.sign(
        request,
        key_id=key.kid,
        created=created,
        expires=created + timedelta(seconds=60),
        nonce=secrets.token_urlsafe(16),
        label="kix",
        tag="kix-request",
        covered_component_ids=(REQUEST_COMPONENTS if body is not None else BODYLESS_REQUEST_COMPONENTS)
        + tuple(name.lower() for name in extra or {}),
        body=body,
    )
    return request


def send(http: httpx.Client, request: Request) -> tuple[httpx.Response, Response]:
    """Send `request` through the in-process client; return the response and its library view."""
    response = http.request(request.method, request.url, headers=request.headers, content=request.body)
    return response, Response(response.status_code, dict(response.headers), request)


def verify_response(view: Response, body: bytes, server_jwks: dict[str, Any]) -> VerifyResult:
    """Check the server's response signature and Content-Digest with http-message-signatures."""
    server_sign = _jwk(server_jwks, "Ed25519")
    results = _verifier(server_sign["kid"], _ed25519_public(server_sign)).verify(
        view,
        expect_tag="kix-response",
        require_components=RESPONSE_COMPONENTS,
        body=body,
        max_age=timedelta(minutes=5),
    )
    assert len(results) == 1
    assert results[0].body == body  # the library checked the signed Content-Digest against the body
    result: VerifyResult = results[0]
    return result


def open_response(body: bytes, key: KeyPair, server_jwks: dict[str, Any]) -> Any:
    """Decrypt a response body with joserfc and the agency's X25519 private key."""
    opened = jwe.decrypt_compact(body, OKPKey.import_key(key.encryption), registry=JWE_REGISTRY)
    assert opened.protected["alg"] == "ECDH-ES+A256KW"
    assert opened.protected["enc"] == "A256GCM"
    assert opened.protected["kid"] == key.kid
    assert opened.protected["skid"] == _jwk(server_jwks, "Ed25519")["kid"]
    assert opened.plaintext is not None
    return json.loads(opened.plaintext)


@pytest.fixture
def member(enrol: Any) -> Member:
    agency: Member = enrol(AGENCY_ID)
    return agency


def test_library_signed_post_is_accepted_and_response_verifies(
    http: httpx.Client, member: Member, server_jwks: dict[str, Any]
) -> None:
    payload = {"hello": "from an independent implementation", "n": 42}
    request = library_signed(member.key, "POST", "/v1/echo", seal(payload, server_jwks, member.key.kid))
    assert request.headers["Signature-Input"].startswith(
        'kix=("@method" "@target-uri" "content-type" "content-digest" "accept" "kix-actor");'
    )

    response, view = send(http, request)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JOSE
    result = verify_response(view, response.content, server_jwks)
    assert result.covered_components['"@status"'] == "200"
    assert result.covered_components['"signature";req'] == request.headers["Signature"]
    assert open_response(response.content, member.key, server_jwks) == {
        "agency_id": AGENCY_ID,
        "payload": payload,
    }


def test_library_signed_get_is_accepted(
    http: httpx.Client, member: Member, server_jwks: dict[str, Any]
) -> None:
    request = library_signed(member.key, "GET", "/v1/whoami")
    assert "Content-Digest" not in request.headers

    response, view = send(http, request)

    assert response.status_code == 200, response.text
    verify_response(view, response.content, server_jwks)
    me = open_response(response.content, member.key, server_jwks)
    assert (me["agency_id"], me["kid"], me["actor"]) == (AGENCY_ID, member.key.kid, ACTOR)


@pytest.mark.parametrize(
    ("method", "path", "payload", "required"),
    [
        ("POST", "/v1/echo", {"hello": "library"}, REQUEST_COMPONENTS),
        ("GET", "/v1/whoami", None, BODYLESS_REQUEST_COMPONENTS),
    ],
)
def test_sdk_signed_request_verifies_under_the_library(
    http: httpx.Client,
    server_jwks: dict[str, Any],
    method: str,
    path: str,
    payload: dict[str, Any] | None,
    required: tuple[str, ...],
) -> None:
    key = KeyPair.generate()
    codec = Codec(key, server_jwks, actor="analyst-1")
    body, headers = codec.seal_body(payload)
    request = http.build_request(method, BASE_URL + path, headers=headers, content=body)
    codec.sign(request, body, None)
    verifier = _verifier(key.kid, _ed25519_public(key.sign_jwk))

    # The httpx.Request itself satisfies the library's message interface: this is what goes on the wire.
    [result] = verifier.verify(request, expect_tag="kix-request", require_components=required, body=body)
    assert result.label == "kix"
    assert {"created", "expires", "nonce", "keyid", "alg", "tag"} <= set(result.parameters)
    assert result.parameters["keyid"] == key.kid

    request.headers["kix-actor"] = "someone-else"
    with pytest.raises(InvalidSignature):
        verifier.verify(request, expect_tag="kix-request", require_components=required, body=body)


def _swap_body(request: Request, other: bytes) -> Request:
    return replace(request, body=other)


def _swap_body_and_digest(request: Request, other: bytes) -> Request:
    digest = "sha-256=:" + base64.b64encode(hashlib.sha256(other).digest()).decode() + ":"
    return replace(request, headers=request.headers | {"Content-Digest": digest}, body=other)


def _change_actor(request: Request, _other: bytes) -> Request:
    return replace(request, headers=request.headers | {"kix-actor": "someone-else"})


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (_swap_body, "digest-mismatch"),
        (_swap_body_and_digest, "signature-invalid"),
        (_change_actor, "signature-invalid"),
    ],
    ids=["body", "body-and-digest", "actor"],
)
def test_server_refuses_library_signed_request_changed_after_signing(
    http: httpx.Client, member: Member, server_jwks: dict[str, Any], tamper: Any, problem: str
) -> None:
    request = library_signed(member.key, "POST", "/v1/echo", seal({"n": 1}, server_jwks, member.key.kid))
    tampered: Request = tamper(request, seal({"n": 2}, server_jwks, member.key.kid))

    response, view = send(http, tampered)

    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == f"urn:kix:problem:{problem}"
    verify_response(view, response.content, server_jwks)  # refusals are signed too, bound to what was sent

    # The refusal used up nothing: the very same signed request, intact, is accepted.
    response, _ = send(http, request)
    assert response.status_code == 200, response.text
    assert open_response(response.content, member.key, server_jwks)["payload"] == {"n": 1}


def test_library_signed_conditional_and_idempotent_requests(
    http: httpx.Client, member: Member, server_jwks: dict[str, Any]
) -> None:
    """If-Match and Idempotency-Key, covered by an independent signer, are accepted and acted on; the
    same headers left uncovered are refused (finding 7)."""
    from tests.records_data import alert

    body = seal(alert(), server_jwks, member.key.kid)
    created_request = library_signed(member.key, "POST", "/v1/alerts", body, {"Idempotency-Key": "lib-1"})
    response, _ = send(http, created_request)
    assert response.status_code == 201, response.text
    created = open_response(response.content, member.key, server_jwks)
    retry = library_signed(member.key, "POST", "/v1/alerts", body, {"Idempotency-Key": "lib-1"})
    response, _ = send(http, retry)
    assert open_response(response.content, member.key, server_jwks)["id"] == created["id"]

    change = seal({"urgency": "low"}, server_jwks, member.key.kid)
    path = f"/v1/alerts/{created['id']}"
    response, _ = send(http, library_signed(member.key, "PATCH", path, change, {"If-Match": '"v1"'}))
    assert response.status_code == 200, response.text
    assert open_response(response.content, member.key, server_jwks)["version"] == 2
    stale = library_signed(member.key, "PATCH", path, change, {"If-Match": '"v1"'})
    response, _ = send(http, stale)
    assert response.status_code == 412

    uncovered = library_signed(member.key, "PATCH", path, change)
    uncovered.headers["If-Match"] = '"v2"'
    response, _ = send(http, uncovered)
    assert (response.status_code, response.json()["type"]) == (401, "urn:kix:problem:component-missing")
