"""Property tests: digests, signatures and the parsers hold for arbitrary input."""

import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.crypto.digest import DigestError, content_digest, verify_content_digest
from app.crypto.httpsig import HttpMessage, SignatureError, find_signature, sign, verify
from app.crypto.keys import KeyFormatError, KeyPair, thumbprint
from app.crypto.profile import request_components

KEY = KeyPair.generate()
field_values = (
    st.text(alphabet=string.printable.strip() + " ", min_size=1, max_size=80).map(str.strip).filter(bool)
)
paths = st.text(alphabet=string.ascii_letters + string.digits + "-_/.~%", max_size=40)


@given(st.binary(max_size=4096))
def test_digest_round_trip(body: bytes) -> None:
    for algorithm in ("sha-256", "sha-512"):
        verify_content_digest(content_digest(body, algorithm), body)


@given(st.binary(max_size=512), st.binary(min_size=1, max_size=16))
def test_digest_rejects_any_other_body(body: bytes, extra: bytes) -> None:
    with pytest.raises(DigestError):
        verify_content_digest(content_digest(body), body + extra)


@settings(max_examples=60)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    path=paths,
    actor=field_values,
    content_type=field_values,
    body=st.binary(min_size=1, max_size=256),
    nonce=st.text(string.ascii_letters, min_size=1, max_size=40),
)
def test_sign_then_verify_and_any_change_fails(
    method: str, path: str, actor: str, content_type: str, body: bytes, nonce: str
) -> None:
    headers = {"kix-actor": actor, "content-type": content_type, "content-digest": content_digest(body)}
    message = HttpMessage(headers=headers, method=method, target_uri=f"https://kix.example/{path}")
    params: dict[str, Any] = {
        "created": 1,
        "expires": 2,
        "nonce": nonce,
        "keyid": KEY.kid,
        "alg": "ed25519",
        "tag": "t",
    }
    signature_input, signature = sign(
        message, label="kix", components=request_components(True), params=params, private_key=KEY.signing
    )
    received = find_signature(signature_input, signature, tag="t")
    assert received.params == params
    verify(message, received, KEY.signing.public_key())
    changed = HttpMessage(
        headers=headers | {"kix-actor": actor + "x"}, method=method, target_uri=message.target_uri
    )
    with pytest.raises(SignatureError):
        verify(changed, received, KEY.signing.public_key())


@given(st.text(max_size=200), st.text(max_size=200))
def test_signature_parser_only_raises_signature_errors(signature_input: str, signature: str) -> None:
    try:
        find_signature(signature_input, signature, tag="kix-request")
    except SignatureError:
        pass


@given(st.text(max_size=200))
def test_digest_parser_only_raises_digest_errors(field: str) -> None:
    try:
        verify_content_digest(field, b"")
    except DigestError:
        pass


def test_rfc8037_thumbprint_vector() -> None:
    # RFC 8037 Appendix A.3: the JWK thumbprint of the A.2 Ed25519 public key.
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_key_file_round_trip_and_mismatch() -> None:
    data = KEY.to_json()
    assert KeyPair.from_json(data).sign_jwk == KEY.sign_jwk
    other = KeyPair.generate().to_json()
    with pytest.raises(KeyFormatError):
        KeyPair.from_json(data | {"sign": data["sign"] | {"x": other["sign"]["x"]}})
    with pytest.raises(KeyFormatError):
        KeyPair.from_json(data | {"encrypt": data["sign"]})


sf_keys = st.from_regex(r"[a-z*][a-z0-9_\-.*]{0,12}", fullmatch=True)
sf_values = st.one_of(
    st.booleans(),
    st.integers(min_value=-999_999_999_999_999, max_value=999_999_999_999_999),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30),
    st.binary(max_size=40),
)


@given(
    st.lists(
        st.tuples(
            st.text(string.ascii_lowercase + "@-", max_size=12),
            st.dictionaries(sf_keys, sf_values, max_size=3),
        ),
        max_size=6,
    ),
    st.dictionaries(sf_keys, sf_values, max_size=6),
)
def test_structured_serialiser_agrees_with_http_sf(
    members: list[tuple[str, dict[str, Any]]], params: dict[str, Any]
) -> None:
    from http_sf.innerlist import ser_innerlist

    from app.crypto import structured

    expected = ser_innerlist((members, params))  # type: ignore[arg-type]  # http_sf types are narrower
    assert structured.inner_list(members, params) == expected


def test_one_codec_encrypts_to_each_recipient_and_opens_with_each_key() -> None:
    # The codec keeps keys it has imported (JweCodec._okp): each message must still go to its own
    # recipient, and be opened with the key given, whichever keys the codec met before.
    from app.crypto.jwe import JweCodec, JweError

    codec = JweCodec()
    first, second = KeyPair.generate(), KeyPair.generate()
    public = {first.kid: first.encryption.public_key(), second.kid: second.encryption.public_key()}
    for _ in range(2):
        for recipient, other in ((first, second), (second, first)):
            token = codec.encrypt(b"{}", public[recipient.kid], recipient_kid=recipient.kid, sender_kid="s")
            assert codec.decrypt(token, recipient.encryption).plaintext == b"{}"
            with pytest.raises(JweError):
                codec.decrypt(token, other.encryption)


def test_the_target_uri_covers_no_fragment() -> None:
    # What a client holds (with a fragment) and what the server receives (without) sign alike.
    params: dict[str, Any] = {"created": 1, "keyid": KEY.kid, "alg": "ed25519", "tag": "t"}
    held = HttpMessage(headers={}, method="GET", target_uri="https://kix.example/v1/alerts?limit=5#top")
    sent = HttpMessage(headers={}, method="GET", target_uri="https://kix.example/v1/alerts?limit=5")
    signature_input, signature = sign(
        held, label="kix", components=[("@target-uri", {})], params=params, private_key=KEY.signing
    )
    verify(sent, find_signature(signature_input, signature, tag="t"), KEY.signing.public_key())
