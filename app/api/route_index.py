"""Dispatch a request among the routes that could take it, found by its path's first two segments.

A router tries its routes in turn, one regular expression each: about 0.85 us a route here, so a request
for the 84th route, /v1/whoami, spent 70 us finding it, and one for a record about 35 us. Every API path
starts with two literal segments (/v1/alerts, /v1/whoami...), and a route whose template starts with two
literal segments can only take a path that starts with the same two. So each pair of leading segments
gets a router of its own holding those routes, and the routes without two literal leading segments
(/healthz, /openapi.json), all in the app's order. A request goes to its pair's router; when no route
there takes it, to the app's own router, which answers exactly as before (404, 405, a slash redirect).
The route chosen is the one the app's router would choose: the routes left out could not have matched.
"""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import APIRouter
from starlette.routing import BaseRoute, Route

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]
Key = tuple[str, str]


def path_key(path: str) -> Key | None:
    """A path's first two segments, if it has two."""
    parts = path.split("/", 3)
    if len(parts) < 3 or parts[0]:
        return None
    return parts[1], parts[2]


def route_key(route: BaseRoute) -> Key | None:
    """The two literal segments a route's template starts with; None if it does not (it may then take
    a path starting with anything)."""
    if not isinstance(route, Route):
        return None
    key = path_key(route.path)
    if key is None or not all(key) or any("{" in segment for segment in key):
        return None
    return key


class RouteIndex:
    """Installed as the app router's middleware stack once every route is added (app.main)."""

    def __init__(self, router: APIRouter) -> None:
        self._router = router
        self._everything: ASGIApp = router.middleware_stack
        keys = {route_key(route) for route in router.routes} - {None}
        self.groups: dict[Key, APIRouter] = {
            key: self._group([route for route in router.routes if route_key(route) in (key, None)])
            for key in keys
            if key is not None
        }

    def _group(self, routes: list[BaseRoute]) -> APIRouter:
        # No slash redirects here: a path no route of the group takes goes to the app's router (default).
        return APIRouter(routes=routes, redirect_slashes=False, default=self._everything)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        group = None
        # Behind a root path (uvicorn --root-path) the path routes match is not scope["path"]: the app's
        # router, which knows how to strip it, decides alone.
        if scope["type"] == "http" and not scope.get("root_path"):
            key = path_key(scope["path"])
            group = self.groups.get(key) if key is not None else None
        if group is None:
            await self._everything(scope, receive, send)
            return
        scope.setdefault("router", self._router)  # what url_for and the like read: the app's router
        await group.app(scope, receive, send)
