"""Build signed (and deliberately broken) requests by hand, to test what the server refuses and why."""

import json
import time
from collections.abc import Iterable
from typing import Any

import httpx
from sqlalchemy import func, select

from app.client.codec import Codec, KixProblem
from app.crypto.digest import content_digest
from app.crypto.httpsig import Component, HttpMessage, sign
from app.crypto.keys import KeyPair
from app.crypto.profile import LABEL, new_nonce, request_components
from app.db import Database
from app.models import ClaimedNonce

BASE_URL = "http://kix.test"


def build_request(
    key: KeyPair,
    server_jwks: dict[str, Any],
    method: str,
    path: str,
    payload: Any = None,
    *,
    actor: str = "tester",
    created: int | None = None,
    expires: int | None = None,
    nonce: str | None = None,
    keyid: str | None = None,
    tag: str | None = "kix-request",
    components: list[Component] | None = None,
    drop_params: Iterable[str] = (),
    body: bytes | None = None,
    content_type: str = "application/jose",
    accept: str = "application/jose",
    extra_headers: dict[str, str] | None = None,
) -> httpx.Request:
    """A request signed like the SDK signs, with any part overridable to make it wrong on purpose."""
    codec = Codec(key, server_jwks, actor)
    if body is None:
        body = codec.seal_body(payload)[0] if payload is not None else b""
    headers = {"kix-actor": actor, "accept": accept} | (extra_headers or {})
    if body:
        headers |= {"content-type": content_type, "content-digest": content_digest(body)}
    request = httpx.Request(method, BASE_URL + path, headers=headers, content=body)
    now = int(time.time()) if created is None else created
    params: dict[str, Any] = {
        "created": now,
        "expires": now + 60 if expires is None else expires,
        "nonce": nonce or new_nonce(),
        "keyid": keyid or key.kid,
        "alg": "ed25519",
        "tag": tag,
    }
    params = {name: value for name, value in params.items() if value is not None and name not in drop_params}
    message = HttpMessage(
        headers={name.lower(): value for name, value in request.headers.items()},
        method=method,
        target_uri=str(request.url),
    )
    lowered = {name.lower(): value for name, value in request.headers.items()}
    covered = components if components is not None else request_components(bool(body), lowered)
    signature_input, signature = sign(
        message, label=LABEL, components=covered, params=params, private_key=key.signing
    )
    request.headers["signature-input"] = signature_input
    request.headers["signature"] = signature
    return request


def send(
    http: httpx.Client, request: httpx.Request, key: KeyPair, server_jwks: dict[str, Any]
) -> tuple[int, str | None, Any]:
    """Send and return (status, problem type or None, body). The response signature is always checked."""
    response = http.send(request)
    try:
        data = Codec(key, server_jwks, "tester").open_response(request, response)
    except KixProblem as problem:
        return problem.status, problem.type, problem.problem
    return response.status_code, None, data


def problem_type(slug: str) -> str:
    return f"urn:kix:problem:{slug}"


def claimed_nonces(db: Database) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(ClaimedNonce)) or 0


def plain_json(payload: Any) -> bytes:
    return json.dumps(payload).encode()
