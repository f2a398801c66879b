"""A synchronous httpx transport that calls an ASGI app in process, so the sync SDK can be tested
against the real app without a server. (httpx's own ASGITransport is async only.)"""

from collections.abc import Iterator
from contextlib import contextmanager

import anyio.from_thread
import httpx
from fastapi import FastAPI


class SyncASGITransport(httpx.BaseTransport):
    def __init__(self, app: FastAPI, portal: anyio.from_thread.BlockingPortal) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()

        async def call() -> httpx.Response:
            async_request = httpx.Request(request.method, request.url, headers=request.headers, content=body)
            response = await self._inner.handle_async_request(async_request)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=content)

        return self._portal.call(call)


@contextmanager
def in_process_client(app: FastAPI, base_url: str) -> Iterator[httpx.Client]:
    with anyio.from_thread.start_blocking_portal() as portal:
        with httpx.Client(transport=SyncASGITransport(app, portal), base_url=base_url) as client:
            yield client
