"""The SDK refuses anything it can not verify, and the async client works like the sync one."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.client import AsyncKixClient, KixClient, KixProblem, ResponseVerificationError
from app.crypto.keys import KeyPair
from tests.conftest import BASE_URL


class _Rewriting(httpx.BaseTransport):
    """Passes requests to the app, then alters the response the way an attacker on the path could."""

    def __init__(self, inner: httpx.Client, alter: Callable[[httpx.Response], httpx.Response]) -> None:
        self.inner = inner
        self.alter = alter

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.send(request)
        return self.alter(
            httpx.Response(response.status_code, headers=response.headers, content=response.content)
        )


def _flip(data: bytes) -> bytes:
    """The same bytes with one base64url character changed (always a real change)."""
    index = len(data) - 5
    replacement = b"B" if data[index : index + 1] == b"A" else b"A"
    return data[:index] + replacement + data[index + 1 :]


def _client(admin_key: KeyPair, jwks: dict[str, Any], http: httpx.Client, alter: Any = None) -> KixClient:
    transport_client = httpx.Client(transport=_Rewriting(http, alter)) if alter else http
    return KixClient(BASE_URL, admin_key, jwks, http_client=transport_client)


def test_a_response_signed_by_an_unpinned_key_is_refused(
    admin_key: KeyPair, server_jwks: dict[str, Any], http: httpx.Client
) -> None:
    impostor = KeyPair.generate()
    pinned = {
        "keys": [
            impostor.sign_jwk | {"kid": k["kid"]} if k["use"] == "sig" else k for k in server_jwks["keys"]
        ]
    }
    with pytest.raises(ResponseVerificationError):
        _client(admin_key, pinned, http).whoami()


@pytest.mark.parametrize(
    "alter",
    [
        pytest.param(
            lambda r: httpx.Response(r.status_code, headers=r.headers, content=_flip(r.content)),
            id="body",
        ),
        pytest.param(lambda r: httpx.Response(299, headers=r.headers, content=r.content), id="status"),
        pytest.param(
            lambda r: httpx.Response(
                r.status_code, headers=dict(r.headers) | {"signature": "kix=:AAAA:"}, content=r.content
            ),
            id="signature",
        ),
        pytest.param(
            lambda r: httpx.Response(
                r.status_code,
                headers={k: v for k, v in r.headers.items() if k not in ("signature", "signature-input")},
                content=r.content,
            ),
            id="unsigned",
        ),
    ],
)
def test_a_tampered_response_is_refused(
    admin_key: KeyPair, server_jwks: dict[str, Any], http: httpx.Client, alter: Any
) -> None:
    with pytest.raises(ResponseVerificationError):
        _client(admin_key, server_jwks, http, alter).whoami()


def test_a_response_to_another_request_is_refused(
    admin_key: KeyPair, server_jwks: dict[str, Any], http: httpx.Client
) -> None:
    # Capture a genuine signed response to one request and serve it as the answer to the next one.
    captured: list[httpx.Response] = []

    def replay_first(response: httpx.Response) -> httpx.Response:
        captured.append(response)
        return captured[0]

    client = _client(admin_key, server_jwks, http, replay_first)
    client.whoami()
    with pytest.raises(ResponseVerificationError):
        client.whoami()


def test_problems_are_raised_with_their_type(admin: KixClient) -> None:
    with pytest.raises(KixProblem) as caught:
        admin.get_agency("nobody")
    assert caught.value.status == 404
    assert caught.value.type == "urn:kix:problem:not-found"


@pytest.mark.anyio
async def test_async_client(
    app: FastAPI, admin_key: KeyPair, server_jwks: dict[str, Any], http: httpx.Client
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with AsyncKixClient(
        BASE_URL,
        admin_key,
        server_jwks,
        actor="async-tester",
        http_client=httpx.AsyncClient(transport=transport),
    ) as client:
        me = await client.whoami()
        assert (me["agency_id"], me["actor"]) == ("kix-operator", "async-tester")
        created = await client.create_group({"id": "async-group", "name": "Made async"})
        assert created["id"] == "async-group"
        with pytest.raises(KixProblem):
            await client.get_group("missing")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
