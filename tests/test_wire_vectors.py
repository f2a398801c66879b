"""The worked example of docs/integration.md (docs/vectors/wire-example.json): one signed, encrypted
`POST /v1/echo` and its signed, encrypted answer, with the keys that made them (test keys, published on
purpose), the signature bases and the plaintexts. An implementation in any language checks itself against
it; these tests check the file against KIX, so it can not drift from what the server does:

- the committed exchange verifies and decrypts with KIX's own code, byte for byte (Ed25519 signatures are
  deterministic, so signing each base again must give the very signature in the file);
- the same keys, through the real app now, make an exchange of the same shape that the app accepts.

`KIX_WRITE_VECTORS=1 pytest tests/test_wire_vectors.py` writes a fresh exchange into the file (the keys
are kept; new ones are made only when the file is missing)."""

import functools
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.client import KixClient
from app.client.codec import Codec
from app.clock import ShiftedClock
from app.config import Settings
from app.crypto.digest import content_digest
from app.crypto.httpsig import HttpMessage, ReceivedSignature, find_signature, signature_base, verify
from app.crypto.jwe import JweCodec
from app.crypto.keys import KeyPair, write_key_file
from app.crypto.keystore import SERVER_KEY_FILE
from app.crypto.profile import REQUEST_TAG, RESPONSE_TAG, check_request_profile, check_response_profile
from app.db import Database
from app.main import create_app
from tests.conftest import BASE_URL, agency_body

VECTORS = Path(__file__).resolve().parents[1] / "docs" / "vectors" / "wire-example.json"
AGENCY, ACTOR = "xx-example", "analyst-7"
PAYLOAD = {"reference": "KIX-EXAMPLE-0001", "note": "an integration check: the server echoes this back"}


@functools.cache
def _keys() -> tuple[KeyPair, KeyPair]:
    """The example's agency and server keys: the file's, or new ones when there is no file yet."""
    if VECTORS.exists():
        keys = json.loads(VECTORS.read_text(encoding="utf-8"))["keys"]
        return KeyPair.from_json(keys["agency"]), KeyPair.from_json(keys["server"])
    return KeyPair.generate(), KeyPair.generate()


@pytest.fixture
def app(settings: Settings, db: Database, clock: ShiftedClock) -> FastAPI:
    """The app, serving with the example's server key."""
    settings.keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_key_file(settings.keys_dir / SERVER_KEY_FILE, _keys()[1])
    return create_app(settings, database=db, clock=clock)


def _lower(headers: httpx.Headers) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _request_message(request: dict[str, Any]) -> HttpMessage:
    return HttpMessage(headers=request["headers"], method=request["method"], target_uri=request["url"])


def _response_message(response: dict[str, Any], request: HttpMessage) -> HttpMessage:
    return HttpMessage(headers=response["headers"], status=response["status"], request=request)


def _base(message: HttpMessage, received: ReceivedSignature) -> str:
    return signature_base(message, received.components, received.params)[0].decode("ascii")


def _exchange(http: httpx.Client, agency: KeyPair, server_jwks: dict[str, Any]) -> dict[str, Any]:
    """A fresh example exchange through the app, as the file holds it."""
    codec = Codec(agency, server_jwks, ACTOR)
    sent = codec.build(http, "POST", BASE_URL + "/v1/echo", PAYLOAD, None, None, None)
    answer = http.send(sent)
    assert answer.status_code == 200, answer.text
    assert codec.open_response(sent, answer) == {"agency_id": AGENCY, "payload": PAYLOAD}
    request: dict[str, Any] = {
        "method": "POST",
        "url": str(sent.url),
        "headers": _lower(sent.headers),
        "body": sent.content.decode(),
    }
    request_signature = find_signature(
        request["headers"]["signature-input"], request["headers"]["signature"], tag=REQUEST_TAG
    )
    request["signature_base"] = _base(_request_message(request), request_signature)
    request["plaintext"] = PAYLOAD
    response: dict[str, Any] = {
        "status": answer.status_code,
        "headers": _lower(answer.headers),
        "body": answer.content.decode(),
    }
    response_signature = find_signature(
        response["headers"]["signature-input"], response["headers"]["signature"], tag=RESPONSE_TAG
    )
    response["signature_base"] = _base(
        _response_message(response, _request_message(request)), response_signature
    )
    response["plaintext"] = {"agency_id": AGENCY, "payload": PAYLOAD}
    return {"request": request, "response": response}


def test_the_documented_keys_make_an_exchange_the_app_accepts(
    admin: KixClient, http: httpx.Client, server_jwks: dict[str, Any]
) -> None:
    agency, server = _keys()
    assert server_jwks == server.public_jwks()
    admin.create_agency(agency_body(AGENCY, country="DE"))
    admin.register_key(
        AGENCY, {"kid": agency.kid, "sign": agency.sign_jwk, "encrypt": agency.encrypt_jwk}, ["alerts:read"]
    )
    exchange = _exchange(http, agency, server_jwks)
    if os.environ.get("KIX_WRITE_VECTORS"):
        document = {
            "about": "Test keys and one exchange for checking a KIX client (docs/integration.md). "
            "These private keys are published: never use them for anything else.",
            "keys": {"agency": agency.to_json(), "server": server.to_json()},
            "server_jwks": server_jwks,
        } | exchange
        VECTORS.parent.mkdir(parents=True, exist_ok=True)
        VECTORS.write_text(json.dumps(document, indent=2, ensure_ascii=True) + "\n", encoding="utf-8")


def test_the_committed_exchange_verifies_and_decrypts_byte_for_byte() -> None:
    document = json.loads(VECTORS.read_text(encoding="utf-8"))
    agency = KeyPair.from_json(document["keys"]["agency"])
    server = KeyPair.from_json(document["keys"]["server"])
    assert document["server_jwks"] == server.public_jwks()
    request, response = document["request"], document["response"]

    signed = find_signature(
        request["headers"]["signature-input"], request["headers"]["signature"], tag=REQUEST_TAG
    )
    check_request_profile(signed, has_body=True, headers=request["headers"])
    message = _request_message(request)
    _signed_and_sealed(request, message, signed, sender=agency, recipient=server)

    answer = find_signature(
        response["headers"]["signature-input"], response["headers"]["signature"], tag=RESPONSE_TAG
    )
    check_response_profile(answer, request_signed=True)
    _signed_and_sealed(
        response, _response_message(response, message), answer, sender=server, recipient=agency
    )


def _signed_and_sealed(
    side: dict[str, Any],
    message: HttpMessage,
    signature: ReceivedSignature,
    *,
    sender: KeyPair,
    recipient: KeyPair,
) -> None:
    """One side of the exchange, byte for byte: signed by `sender` over the file's base (Ed25519 is
    deterministic, so signing it again gives the very signature), digested, and sealed to `recipient`."""
    assert signature.params["keyid"] == sender.kid
    assert _base(message, signature) == side["signature_base"]
    assert sender.signing.sign(side["signature_base"].encode("ascii")) == signature.signature
    verify(message, signature, sender.signing.public_key())
    assert side["headers"]["content-digest"] == content_digest(side["body"].encode("ascii"))
    opened = JweCodec().decrypt(side["body"], recipient.encryption)
    assert (opened.header["kid"], opened.header["skid"]) == (recipient.kid, sender.kid)
    assert json.loads(opened.plaintext) == side["plaintext"]
