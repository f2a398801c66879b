"""The change feed from the SDK: `client.feed.page(...)` for one page, `client.feed.iter(...)` to follow
it (a long poll per page, so following costs no busy loop). Keep `.cursor` to resume after a restart."""

from collections.abc import AsyncIterator, Iterator
from typing import Any, Protocol

FEED_PATH = "/v1/feed"


class _Requests(Protocol):
    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None) -> Any: ...


def _params(after: str | None, types: list[str] | None, limit: int, wait: float) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit, "wait": wait}
    if after:
        params["after"] = after
    if types:
        params["types"] = ",".join(types)
    return params


class Feed:
    def __init__(self, client: _Requests) -> None:
        self._client = client
        self.cursor: str | None = None

    def page(
        self, after: str | None = None, *, types: list[str] | None = None, limit: int = 100, wait: float = 0
    ) -> Any:
        page = self._client.request("GET", FEED_PATH, params=_params(after, types, limit, wait))
        self.cursor = page["cursor"]
        return page

    def iter(
        self,
        after: str | None = None,
        *,
        types: list[str] | None = None,
        wait: float = 30,
        follow: bool = True,
    ) -> Iterator[dict[str, Any]]:
        """Every event after `after`, in order; with `follow`, keep waiting for new ones (forever)."""
        cursor = after
        while True:
            page = self.page(cursor, types=types, wait=wait if follow else 0)
            cursor = page["cursor"]
            yield from page["items"]
            if not page["items"] and not follow:
                return


class AsyncFeed:
    def __init__(self, client: _Requests) -> None:
        self._client = client
        self.cursor: str | None = None

    async def page(
        self, after: str | None = None, *, types: list[str] | None = None, limit: int = 100, wait: float = 0
    ) -> Any:
        page = await self._client.request("GET", FEED_PATH, params=_params(after, types, limit, wait))
        self.cursor = page["cursor"]
        return page

    async def iter(
        self,
        after: str | None = None,
        *,
        types: list[str] | None = None,
        wait: float = 30,
        follow: bool = True,
    ) -> AsyncIterator[dict[str, Any]]:
        cursor = after
        while True:
            page = await self.page(cursor, types=types, wait=wait if follow else 0)
            cursor = page["cursor"]
            for item in page["items"]:
                yield item
            if not page["items"] and not follow:
                return
