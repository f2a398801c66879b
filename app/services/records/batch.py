"""Batch create: up to MAX_BATCH records of one kind in one transaction. Each item is validated and
checked on its own (an invalid one gets its problem and is left out); the valid ones are written together
in a few statements. With `atomic`, one invalid item refuses the whole batch and nothing is written."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.errors import KixError, ValidationFailed
from app.models import Record
from app.schemas.batches import ItemStatus
from app.services.records.creation import DistributionChecks, PreparedRecord, prepare_record, write_records
from app.services.records.kinds import KindSpec
from app.services.records.store import Actor
from app.services.vault import Vault


@dataclass(frozen=True)
class ItemOutcome:
    index: int
    record: Record | None = None
    problem: dict[str, Any] | None = None

    @property
    def status(self) -> ItemStatus:
        return ItemStatus.CREATED if self.record is not None else ItemStatus.INVALID


def _problem(error: KixError) -> dict[str, Any]:
    """The item's RFC 9457 problem, as a single create would answer it."""
    problem = {"type": error.uri(), "title": error.title, "status": error.status, "detail": error.detail}
    return problem | error.extra


def _field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    # Location, message and type only: the rejected input is not echoed back (as for a single create).
    return [{"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]} for error in exc.errors()]


def create_batch(
    session: Session,
    kind: KindSpec,
    actor: Actor,
    items: list[dict[str, Any]],
    vault: Vault,
    *,
    now: datetime,
    atomic: bool,
) -> list[ItemOutcome]:
    outcomes: list[ItemOutcome] = []
    prepared: list[tuple[int, PreparedRecord]] = []
    checks = DistributionChecks()
    for index, item in enumerate(items):
        try:
            data = kind.create.model_validate(item)
            prepared.append(
                (index, prepare_record(session, kind, actor, data, vault, now=now, checks=checks))
            )
        except ValidationError as exc:
            failed = ValidationFailed("the item fails validation", extra={"errors": _field_errors(exc)})
            outcomes.append(ItemOutcome(index, problem=_problem(failed)))
        except KixError as exc:
            outcomes.append(ItemOutcome(index, problem=_problem(exc)))
    if atomic and outcomes:
        refused = [{"index": outcome.index, "problem": outcome.problem} for outcome in outcomes]
        raise ValidationFailed(
            f"{len(outcomes)} of {len(items)} items are invalid: with atomic, nothing was created",
            extra={"items": refused},
        )
    write_records(session, actor, [item for _index, item in prepared], now=now)
    outcomes += [ItemOutcome(index, record=item.new.record) for index, item in prepared]
    return sorted(outcomes, key=lambda outcome: outcome.index)
