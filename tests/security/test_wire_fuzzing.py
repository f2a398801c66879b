"""Hostile bytes at every decoder on the wire, through the real app: signature headers, bodies under a
valid signature, tampered JWEs, pagination cursors and query values. Whatever arrives, the answer is a 4xx
problem (or, for a harmless change, the request served as sent): never a 5xx, never a hang, and an
unauthenticated request claims no nonce."""

import base64
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.db import Database
from tests.conftest import Member
from tests.signing import build_request, claimed_nonces, send

EXAMPLES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
PROBLEM = "application/problem+json"
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=300)


@pytest.fixture
def member(enrol: Any) -> Member:
    enrolled: Member = enrol("it-dcsa")
    return enrolled


def _refused(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:200])
    assert response.headers["content-type"] == PROBLEM


def _a_problem(status: int, problem: str | None) -> None:
    assert 400 <= status < 500, (status, problem)
    assert problem is not None


@EXAMPLES
@given(signature_input=header_text, signature=header_text, actor=st.none() | header_text)
def test_any_signature_headers_are_refused_with_a_problem_and_claim_nothing(
    http: httpx.Client, db: Database, signature_input: str, signature: str, actor: str | None
) -> None:
    before = claimed_nonces(db)
    headers = {"signature-input": signature_input, "signature": signature}
    if actor is not None:
        headers["kix-actor"] = actor
    _refused(http.get("/v1/whoami", headers=headers))
    assert claimed_nonces(db) == before


@EXAMPLES
@given(
    body=st.binary(min_size=1, max_size=2048),
    content_type=st.sampled_from(
        ["application/jose", "application/json", "text/plain", "application/jose; x=1"]
    ),
)
def test_any_body_under_a_valid_signature_gets_a_4xx_problem(
    http: httpx.Client, member: Member, server_jwks: dict[str, Any], body: bytes, content_type: str
) -> None:
    request = build_request(
        member.key, server_jwks, "POST", "/v1/alerts", body=body, content_type=content_type
    )
    status, problem, _ = send(http, request, member.key, server_jwks)
    _a_problem(status, problem)


@EXAMPLES
@given(data=st.data())
def test_a_tampered_jwe_is_refused_or_opens_to_what_was_sent(
    http: httpx.Client, member: Member, server_jwks: dict[str, Any], data: st.DataObject
) -> None:
    payload = {"note": "tamper with me", "n": data.draw(st.integers(0, 10**6))}
    token = build_request(member.key, server_jwks, "POST", "/v1/echo", payload).content
    position = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.binary(min_size=0, max_size=3))
    tampered = token[:position] + replacement + token[position + 1 :]
    request = build_request(member.key, server_jwks, "POST", "/v1/echo", body=tampered)
    status, problem, answer = send(http, request, member.key, server_jwks)
    if status == 200:  # a change base64url ignores (trailing bits), or the same byte put back
        assert answer["payload"] == payload
    else:
        _a_problem(status, problem)


@EXAMPLES
@given(
    cursor=st.text(min_size=1, max_size=200)
    | st.binary(min_size=1, max_size=120).map(lambda raw: base64.urlsafe_b64encode(raw).decode().rstrip("=")),
    limit=st.none() | st.text(max_size=12),
)
def test_any_cursor_or_limit_gets_a_4xx_problem_or_a_page(
    http: httpx.Client, member: Member, server_jwks: dict[str, Any], cursor: str, limit: str | None
) -> None:
    query = f"?cursor={quote(cursor, safe='')}" + ("" if limit is None else f"&limit={quote(limit, safe='')}")
    request = build_request(member.key, server_jwks, "GET", "/v1/alerts" + query)
    status, problem, page = send(http, request, member.key, server_jwks)
    if status == 200:  # only an empty cursor parameter could be taken as no cursor
        assert page["items"] == []
    else:
        _a_problem(status, problem)
