"""RFC 9421 Appendix B.2.6 (ed25519) and RFC 9530 digests, reproduced byte for byte."""

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from app.crypto.digest import DigestError, content_digest, verify_content_digest
from app.crypto.httpsig import HttpMessage, SignatureError, find_signature, sign, signature_base, verify
from app.crypto.keys import ed25519_public_from_jwk

# A copy of ../shared/vectors/rfc9421-b26.json (RFC text), kept in the repo so a clone is self-contained.
VECTORS_FILE = Path(__file__).parent / "vectors" / "rfc9421-b26.json"


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
    return data


def _request(vectors: dict[str, Any]) -> HttpMessage:
    request = vectors["request"]
    headers = {name.lower(): value for name, value in request["headers"].items()}
    return HttpMessage(headers=headers, method=request["method"], target_uri=request["target_uri"])


def test_b26_signature_base_and_signature_byte_for_byte(vectors: dict[str, Any]) -> None:
    received = find_signature(
        vectors["signature_input"], vectors["signature"], label="sig-b26"
    )  # B.2.6 has no tag
    base, params = signature_base(_request(vectors), received.components, received.params)
    assert base.decode() == vectors["signature_base"]
    assert f"sig-b26={params}" == vectors["signature_input"]

    private_key = load_pem_private_key(vectors["key"]["private_pem"].encode(), password=None)
    signature_input, signature = sign(
        _request(vectors),
        label="sig-b26",
        components=received.components,
        params=received.params,
        private_key=private_key,  # type: ignore[arg-type]
    )
    assert signature_input == vectors["signature_input"]
    assert signature == vectors["signature"]  # Ed25519 is deterministic: same bytes as the RFC


def test_b26_signature_verifies_and_tampering_fails(vectors: dict[str, Any]) -> None:
    received = find_signature(vectors["signature_input"], vectors["signature"], label="sig-b26")
    public_key = ed25519_public_from_jwk(vectors["key"]["jwk_private"])
    verify(_request(vectors), received, public_key)

    tampered = dict(_request(vectors).headers, date="Tue, 20 Apr 2021 02:07:56 GMT")
    message = HttpMessage(headers=tampered, method="POST", target_uri=vectors["request"]["target_uri"])
    with pytest.raises(SignatureError) as caught:
        verify(message, received, public_key)
    assert caught.value.reason == "signature-invalid"


@pytest.mark.parametrize(
    ("body_key", "body"),
    [
        ("body_18_bytes_no_newline", b'{"hello": "world"}'),
        ("body_19_bytes_with_newline_rfc9530", b'{"hello": "world"}\n'),
    ],
)
@pytest.mark.parametrize("algorithm", ["sha-256", "sha-512"])
def test_rfc9530_digests(vectors: dict[str, Any], body_key: str, body: bytes, algorithm: str) -> None:
    expected = vectors["content_digest"][body_key][algorithm]
    assert content_digest(body, algorithm) == expected
    verify_content_digest(expected, body)
    with pytest.raises(DigestError):
        verify_content_digest(expected, body + b" ")


def test_the_request_vector_digest_matches_its_body(vectors: dict[str, Any]) -> None:
    request = vectors["request"]
    verify_content_digest(request["headers"]["Content-Digest"], request["body"].encode())
