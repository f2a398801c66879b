"""POST /v1/{kind}/batch: up to MAX_BATCH records of a kind in one signed call and one transaction."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from app.api.deps import DbSession, Now, SettingsDep, VaultDep, require
from app.schemas.batches import MAX_BATCH, BatchItemRead, BatchRead, batch_create_model
from app.services import idempotency
from app.services.identity.authentication import Caller
from app.services.records import batch
from app.services.records import store as service
from app.services.records.disclosure import etag
from app.services.records.kinds import KindSpec

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key", max_length=255, description="Retries with the same key get the first answer"
    ),
]


def add_batch_route(router: APIRouter, kind: KindSpec) -> None:
    """Add the batch create to `kind`'s router (app.api.records.build_router), where its place among the
    routes is."""
    Writer = Annotated[Caller, Depends(require(kind.write_scope))]
    Batch: Any = batch_create_model(kind.create)

    @router.post(
        "/batch", response_model=BatchRead, summary=f"Create up to {MAX_BATCH} {kind.path} in one call"
    )
    def create_batch(
        body: Batch,
        request: Request,
        caller: Writer,
        session: DbSession,
        vault: VaultDep,
        settings: SettingsDep,
        now: Now,
        key: IdempotencyKeyHeader = None,
    ) -> Any:
        """One transaction; a result per item, in order: created (id, ETag) or invalid (its problem, as a
        single create would answer it). With `atomic`, one invalid item refuses the batch (422, the invalid
        items listed) and nothing is created."""
        if key is not None:
            digest = idempotency.request_digest("POST", request.url.path, body.model_dump(mode="json"))
            ttl = settings.idempotency_ttl
            stored = idempotency.claim(session, caller.agency_id, key, digest, vault, now=now, ttl=ttl)
            if stored is not None:
                headers = {"Idempotent-Replayed": "true"}
                return JSONResponse(stored.response, status_code=stored.status_code, headers=headers)
        actor = service.Actor.of(caller)
        outcomes = batch.create_batch(session, kind, actor, body.items, vault, now=now, atomic=body.atomic)
        results = [
            BatchItemRead(
                index=outcome.index,
                status=outcome.status,
                id=outcome.record.id if outcome.record else None,
                etag=etag(outcome.record) if outcome.record else None,
                problem=outcome.problem,
            )
            for outcome in outcomes
        ]
        created = sum(1 for outcome in outcomes if outcome.record is not None)
        answer = BatchRead(created=created, invalid=len(outcomes) - created, results=results).model_dump(
            mode="json", exclude_none=True
        )
        if key is not None:
            idempotency.complete(session, caller.agency_id, key, 200, answer, vault, resource_id=None)
        return JSONResponse(answer)
