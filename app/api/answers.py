"""Answers a route validates and serialises itself, in the worker thread that runs it.

A plain `def` route that returns data has FastAPI validate the data against the route's response model
in a worker thread of its own (a hop there and back, about 80 us here, on every request) and then
serialise it. The most called routes (a record, a page of records) return the Response `respond` makes
instead: the same validation against the same model and the same serialisation (pydantic's, by alias),
done where the route already runs. The model still documents the route (its response_model), and no
field outside it can leave, as before.
"""

from collections.abc import Mapping
from typing import Any

from fastapi import Response
from pydantic import BaseModel

JSON = "application/json"


def respond(
    model: type[BaseModel], content: Any, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """`content` validated as `model` and serialised, as FastAPI answers for a response_model."""
    body = model.model_validate(content, from_attributes=True).model_dump_json(by_alias=True)
    return Response(body, status_code=status_code, headers=headers, media_type=JSON)
