"""Batch create: many records of one kind in one signed, encrypted call (a national system backfilling
its cases), each with its own result."""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, create_model

from app.schemas.common import InputModel, Problem

MAX_BATCH = 500


class ItemStatus(StrEnum):
    CREATED = "created"
    INVALID = "invalid"  # refused with its problem; with atomic, nothing of the batch was created


class BatchItemRead(BaseModel):
    index: int = Field(description="Position of the item in `items`, from 0")
    status: ItemStatus
    id: str | None = Field(default=None, description="The new record's id, when created")
    etag: str | None = Field(default=None, description="The new record's ETag, when created")
    problem: Problem | None = Field(default=None, description="Why the item was refused, when invalid")


class BatchRead(BaseModel):
    created: int
    invalid: int
    results: list[BatchItemRead]


def batch_create_model(create: type[InputModel]) -> type[InputModel]:
    """The body of POST /v1/<kind>/batch: items are checked one by one against `create` (so one bad item
    does not refuse the rest), and documented as `create`."""
    name = create.__name__.removesuffix("Create")
    items_schema: dict[str, Any] = {"items": {"$ref": f"#/components/schemas/{create.__name__}"}}
    model: type[InputModel] = create_model(
        f"{name}BatchCreate",
        __base__=InputModel,
        items=(
            list[dict[str, Any]],
            Field(min_length=1, max_length=MAX_BATCH, json_schema_extra=items_schema),
        ),
        atomic=(
            bool,
            Field(default=False, description="All or nothing: if any item is invalid, none is created (422)"),
        ),
    )
    return model
