"""OpenAPI additions: the RFC 9421 security scheme, the scopes each route needs, every problem type."""

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from app.api.deps import SCOPES_ATTRIBUTE
from app.errors import PROBLEM_TYPES

SCHEME = "kixSignature"


def iter_api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every APIRoute of an app, descending into included routers.

    Recent FastAPI keeps an included router as one wrapper route (holding `original_router`) instead
    of copying its routes into the app. KIX routers carry their full prefix themselves, so the paths
    found inside are the served paths.
    """
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from iter_api_routes(nested.routes)


def route_scopes(route: APIRoute) -> tuple[str, ...] | None:
    """The scopes a route's caller dependency demands, or None when it has no caller dependency."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        if dependant.call is not None and hasattr(dependant.call, SCOPES_ATTRIBUTE):
            scopes: tuple[str, ...] = getattr(dependant.call, SCOPES_ATTRIBUTE)
            return scopes
        pending.extend(dependant.dependencies)
    return None


def customise_openapi(
    schema: dict[str, Any], routes: list[BaseRoute], public_paths: frozenset[str]
) -> dict[str, Any]:
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})[SCHEME] = {
        "type": "apiKey",
        "in": "header",
        "name": "Signature",
        "description": "RFC 9421 HTTP Message Signature with Signature-Input (see the API description).",
    }
    schemas = components.setdefault("schemas", {})
    schemas["ProblemType"] = {
        "type": "string",
        "enum": [problem.uri() for problem in PROBLEM_TYPES.values()],
        "description": "\n".join(f"- `{p.uri()}` ({p.status}): {p.title}" for p in PROBLEM_TYPES.values()),
    }
    schemas["Problem"] = {
        "type": "object",
        "description": "RFC 9457 problem details (application/problem+json)",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {"$ref": "#/components/schemas/ProblemType"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object"}},
        },
    }
    problem_content = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for route in iter_api_routes(routes):
        if route.path in public_paths:
            continue
        scopes = route_scopes(route) or ()
        for method in route.methods or ():
            operation = schema["paths"][route.path_format][method.lower()]
            operation["security"] = [{SCHEME: list(scopes)}]
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", {"description": "Not authenticated: the problem type names why"})
            responses.setdefault("403", {"description": "The key lacks a required scope"})
            responses.setdefault("404", {"description": "Not found, or not visible to the caller"})
            responses.setdefault("413", {"description": "Body over the size limit"})
            responses.setdefault("422", {"description": "Validation failed"})
            for code, response in responses.items():
                if code[0] in "45":
                    response["content"] = problem_content
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    return schema
