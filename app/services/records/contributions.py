"""Contributions: what recipients add to a record they see (a note, a sighting, a hit report) for its
owner. The owner sees every contribution, any other agency only its own."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.ids import uuid7
from app.models import Contribution
from app.schemas.events import EventType
from app.services.events.outbox import emit
from app.services.records.kinds import KindSpec
from app.services.records.store import Actor, get_visible
from app.services.vault import Vault, secrets_for


@dataclass(frozen=True)
class ContributionView:
    contribution: Contribution
    text: str


def add_contribution(
    session: Session,
    kind: KindSpec,
    actor: Actor,
    record_id: str,
    note_kind: str,
    text: str,
    vault: Vault,
    *,
    now: datetime,
) -> ContributionView:
    record = get_visible(session, kind, actor.agency_id, record_id)
    if record.withdrawn_at is not None:
        raise Conflict("the record has been withdrawn")
    secrets = secrets_for(vault, record.id, record.data_key)
    contribution_id = uuid7()
    contribution = Contribution(
        id=contribution_id,
        record_id=record.id,
        author_id=actor.agency_id,
        actor=actor.name,
        kind=note_kind,
        text=secrets.seal_text(text, table="contributions", row=contribution_id, field="text"),
        created_at=now,
    )
    session.add(contribution)
    session.flush()
    data = {"contribution_id": contribution_id, "kind": note_kind, "author": actor.agency_id}
    emit(
        session,
        {record.owner_id, actor.agency_id},
        EventType.CONTRIBUTION_ADDED,
        now=now,
        data=data,
        record_id=record.id,
        scope=kind.read_scope.value,
    )
    return ContributionView(contribution, text)


def contributions(
    session: Session, kind: KindSpec, agency_id: str, record_id: str, vault: Vault
) -> list[ContributionView]:
    record = get_visible(session, kind, agency_id, record_id)
    query = select(Contribution).where(Contribution.record_id == record.id).order_by(Contribution.created_at)
    if record.owner_id != agency_id:
        query = query.where(Contribution.author_id == agency_id)
    secrets = secrets_for(vault, record.id, record.data_key)
    return [
        ContributionView(c, secrets.open_text(c.text, table="contributions", row=c.id, field="text"))
        for c in session.scalars(query)
    ]
