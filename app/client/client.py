"""KixClient (sync) and AsyncKixClient: the one way national systems, analysts and the CLI call KIX."""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from app.client.codec import Codec, load_server_keys_file
from app.client.resources import MatchingApi
from app.crypto.keys import KeyPair, load_key_file


def _key(key: KeyPair | str | Path) -> KeyPair:
    return key if isinstance(key, KeyPair) else load_key_file(Path(key))


def _server_keys(server_keys: dict[str, Any] | str | Path) -> dict[str, Any]:
    return server_keys if isinstance(server_keys, dict) else load_server_keys_file(server_keys)


class KixClient(MatchingApi):
    """Synchronous client. `key` is a KeyPair or a key-file path; `server_keys` the pinned JWKS (or its path).

    Pass `http_client` to reuse a configured httpx.Client (TLS client certificates, proxies, or a
    test client bound to an app in process).
    """

    def __init__(
        self,
        base_url: str,
        key: KeyPair | str | Path,
        server_keys: dict[str, Any] | str | Path,
        *,
        actor: str = "system",
        http_client: httpx.Client | None = None,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.codec = Codec(_key(key), _server_keys(server_keys), actor, clock)
        self.http = http_client or httpx.Client(timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        actor: str | None = None,
    ) -> Any:
        request = self.codec.build(self.http, method, self.base_url + path, json, params, headers, actor)
        response = self.http.send(request)
        return self.codec.open_response(request, response)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "KixClient":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class AsyncKixClient(MatchingApi):
    """Asynchronous client with the same methods as KixClient; each returns an awaitable."""

    def __init__(
        self,
        base_url: str,
        key: KeyPair | str | Path,
        server_keys: dict[str, Any] | str | Path,
        *,
        actor: str = "system",
        http_client: httpx.AsyncClient | None = None,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.codec = Codec(_key(key), _server_keys(server_keys), actor, clock)
        self.http = http_client or httpx.AsyncClient(timeout=timeout)

    async def _send(self, request: httpx.Request) -> Any:
        response = await self.http.send(request)
        return self.codec.open_response(request, response)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        actor: str | None = None,
    ) -> Any:
        request = self.codec.build(self.http, method, self.base_url + path, json, params, headers, actor)
        return self._send(request)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> "AsyncKixClient":
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()
