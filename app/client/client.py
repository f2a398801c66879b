"""KixClient (sync) and AsyncKixClient: the one way national systems, analysts and the CLI call KIX."""

import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx

from app.client.analysis import AnalysisApi
from app.client.audit import AuditLog
from app.client.codec import Codec, load_server_keys_file
from app.client.feed import AsyncFeed, Feed
from app.crypto.keys import KeyPair, load_key_file

Http = TypeVar("Http", httpx.Client, httpx.AsyncClient)


class _Client(AnalysisApi, Generic[Http]):
    """What both clients share: the codec that signs, encrypts, verifies and decrypts, and the named
    calls (AnalysisApi and its bases). Each client sends in its own way (`_send`).

    `key` is a KeyPair or a key-file path; `server_keys` the pinned JWKS (or its path). Pass
    `http_client` to reuse a configured httpx client (TLS client certificates, proxies, or a test client
    bound to an app in process). `clock` dates signatures (seconds since the epoch).
    """

    def __init__(
        self,
        base_url: str,
        key: KeyPair | str | Path,
        server_keys: dict[str, Any] | str | Path,
        *,
        actor: str = "system",
        http_client: Http | None = None,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        loaded_key = key if isinstance(key, KeyPair) else load_key_file(Path(key))
        jwks = server_keys if isinstance(server_keys, dict) else load_server_keys_file(server_keys)
        self.codec = Codec(loaded_key, jwks, actor, clock)
        self.http: Http = http_client or self._new_http(timeout)

    def _new_http(self, timeout: float) -> Http:
        raise NotImplementedError


class KixClient(_Client[httpx.Client]):
    """Synchronous client: each call returns the decoded JSON, or raises KixProblem."""

    @cached_property
    def feed(self) -> Feed:
        return Feed(self)

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(self, self.codec.server.signing)

    def _new_http(self, timeout: float) -> httpx.Client:
        return httpx.Client(timeout=timeout)

    def _send(self, request: httpx.Request) -> Any:
        return self.codec.open_response(request, self.http.send(request))

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "KixClient":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class AsyncKixClient(_Client[httpx.AsyncClient]):
    """Asynchronous client with the same methods as KixClient; each returns an awaitable."""

    @cached_property
    def feed(self) -> AsyncFeed:
        return AsyncFeed(self)

    def _new_http(self, timeout: float) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=timeout)

    async def _send(self, request: httpx.Request) -> Any:
        return self.codec.open_response(request, await self.http.send(request))

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> "AsyncKixClient":
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()
