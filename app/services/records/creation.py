"""Creating records: checked against the database, built (sealed body, rules, grants, first revision,
blind indexes) and written, one at a time or many in a few statements (batch.py). `build_record` needs
no session, so a bulk loader writes exactly what `create_record` writes."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.errors import KixError
from app.ids import uuid7
from app.models import BlindIndex, LeadIntake, Record, RecordGrant, RecordRevision
from app.schemas.common import InputModel
from app.schemas.records import Distribution, SharingRules
from app.services.audit.context import note_records
from app.services.bulk_rows import write_objects
from app.services.events.outbox import emit_records_created
from app.services.matching.indexing import index_rows
from app.services.records import rules
from app.services.records.kinds import KindSpec
from app.services.records.links import check_link_targets, first_links
from app.services.records.store import Actor, body_of, check_restricted_recipients, revision_of
from app.services.vault import Vault, new_secrets


@dataclass
class NewRecord:
    """The rows one new record is written as. `build_record` makes them without a session, so a bulk
    loader writes exactly what `create_record` writes."""

    record: Record
    grants: list[RecordGrant]
    revision: RecordRevision
    index: list[BlindIndex]
    body: dict[str, Any] = field(repr=False)


def build_record(
    kind: KindSpec,
    actor: Actor,
    data: InputModel,
    vault: Vault,
    *,
    now: datetime,
    record_id: str | None = None,
) -> NewRecord:
    """The rows of a new record from validated input: sealed body, rules, grants, first revision and
    blind-index rows. Checks against the database (do named agencies exist...) are create_record's."""
    sharing: SharingRules = data.rules  # type: ignore[attr-defined]
    body = body_of(data)
    record_id = record_id or uuid7()
    secrets, wrapped_key = new_secrets(vault, record_id)
    record = Record(
        id=record_id,
        kind=kind.kind.value,
        owner_id=actor.agency_id,
        status=str(getattr(data, "status", None) or kind.initial_status),
        distribution=sharing.distribution.mode.value,
        body=secrets.seal_body(kind.sensitive_fields, body),
        data_key=wrapped_key,
        version=1,
        created_at=now,
        updated_at=now,
        **kind.columns(body),
    )
    review_by = sharing.review_by or (now + kind.default_review).date()
    rules.check_review_by(kind, now, review_by)
    rules.apply_rules(record, sharing, review_by)
    return NewRecord(
        record=record,
        grants=rules.distribution_grants(record_id, sharing.distribution, now),
        revision=revision_of(record, actor, secrets, kind, body),
        index=index_rows(vault.keys.index, record_id, kind.index_terms(body)),
        body=body,
    )


@dataclass(frozen=True)
class PreparedRecord:
    """A new record checked against the database and built, not yet written."""

    new: NewRecord
    links: list[str]
    fiu: str | None  # a private partner's submission: the FIU that takes it in


class DistributionChecks:
    """A distribution's checks against the database (the agencies and groups it names exist; where a
    private partner's submission goes), each distinct distribution checked once: a batch's records
    mostly share one."""

    def __init__(self) -> None:
        self._outcomes: dict[str, str | None | KixError] = {}

    def fiu_for(self, session: Session, actor: Actor, distribution: Distribution) -> str | None:
        """The FIU that takes in a private partner's submission (None for an agency), or the refusal."""
        key = distribution.model_dump_json()
        if key not in self._outcomes:
            try:
                rules.check_distribution(session, distribution)
                self._outcomes[key] = rules.check_partner_distribution(
                    session, actor.agency_id, distribution, actor.agency_kind
                )
            except KixError as exc:
                self._outcomes[key] = exc
        outcome = self._outcomes[key]
        if isinstance(outcome, KixError):
            raise outcome
        return outcome


def prepare_record(
    session: Session,
    kind: KindSpec,
    actor: Actor,
    data: InputModel,
    vault: Vault,
    *,
    now: datetime,
    checks: DistributionChecks | None = None,
) -> PreparedRecord:
    """Every check against the database (named agencies exist, linked records are visible...), then the
    rows: nothing is written, so a refusal (KixError) leaves nothing to undo."""
    sharing: SharingRules = data.rules  # type: ignore[attr-defined]
    fiu = (checks or DistributionChecks()).fiu_for(session, actor, sharing.distribution)
    new = build_record(kind, actor, data, vault, now=now)
    check_restricted_recipients(session, kind, new.body)
    links: list[str] = list(data.links or [])  # type: ignore[attr-defined]
    check_link_targets(session, actor.agency_id, new.record.id, links)
    return PreparedRecord(new, links, fiu)


def write_records(session: Session, actor: Actor, prepared: list[PreparedRecord], *, now: datetime) -> None:
    """Write prepared records, each with its grants, first revision, blind indexes, links and event,
    in a few statements however many they are (bulk_rows: COPY on PostgreSQL). The records' objects are
    not added to the session: nothing of them is read back, and the rows are final."""
    connection = session.connection()
    write_objects(connection, [item.new.record for item in prepared])
    write_objects(connection, [grant for item in prepared for grant in item.new.grants])
    write_objects(connection, [item.new.revision for item in prepared])
    write_objects(connection, [entry for item in prepared for entry in item.new.index])
    # Their targets were checked by prepare_record.
    links = [first_links(actor.link_author, item.new.record.id, item.links, now) for item in prepared]
    write_objects(connection, [link for record_links in links for link in record_links])
    note_records(item.new.record.id for item in prepared)
    for item in prepared:
        if item.fiu is not None:
            intake = LeadIntake(
                record_id=item.new.record.id, fiu_id=item.fiu, status="received", updated_at=now
            )
            session.add(intake)
    emit_records_created(session, [item.new.record for item in prepared], now=now)


def create_record(
    session: Session, kind: KindSpec, actor: Actor, data: InputModel, vault: Vault, *, now: datetime
) -> Record:
    return create_written(session, kind, actor, data, vault, now=now).new.record


def create_written(
    session: Session, kind: KindSpec, actor: Actor, data: InputModel, vault: Vault, *, now: datetime
) -> PreparedRecord:
    """create_record, giving the rows written (for an answer built from them: disclosure.disclose_new)."""
    prepared = prepare_record(session, kind, actor, data, vault, now=now)
    write_records(session, actor, [prepared], now=now)
    return prepared
