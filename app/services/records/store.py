"""Shared records: create, find, update (owner only, versioned) and withdraw. Every read goes through the
visibility predicate, and a record the caller may not see is reported exactly like one that does not
exist. What a kind is comes from its spec; nothing here asks which kind it holds."""

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from app.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidTransition,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from app.models import Record, RecordRevision
from app.schemas.common import InputModel
from app.schemas.events import EventType
from app.schemas.records import DistributionMode, SharingRulesUpdate
from app.services.events.outbox import emit_record_event
from app.services.matching.indexing import reindex
from app.services.records import consents, rules
from app.services.records.case_sight import withdraw_case_consents
from app.services.records.disclosure import current_body
from app.services.records.kinds import KindSpec, spec_of
from app.services.records.links import LinkAuthor, set_own_links
from app.services.records.notices import notify_recipients
from app.services.records.visibility import audience_of_agency, visible_to
from app.services.vault import RecordSecrets, Vault, secrets_for

_SERVER_FIELDS = {"rules", "links", "status"}
WITHDRAWN = "withdrawn"


class Acting(Protocol):
    """An authenticated caller: its agency, and who acts for it (kix-actor)."""

    @property
    def agency_id(self) -> str: ...

    @property
    def actor(self) -> str: ...

    @property
    def agency_kind(self) -> str: ...


@dataclass(frozen=True)
class Actor:
    """Who acts: the calling agency and the person or system named in kix-actor."""

    agency_id: str
    name: str
    # The agency's kind (police, fiu, ..., private_partner) as authentication read it with the key; ""
    # where the actor was not authenticated (the demo, retention): then it is read when a rule needs it.
    agency_kind: str = ""

    @classmethod
    def of(cls, caller: "Acting") -> "Actor":
        return cls(caller.agency_id, caller.actor, caller.agency_kind)

    @property
    def link_author(self) -> LinkAuthor:
        return LinkAuthor(self.agency_id, self.name)


def visible_records(kind: KindSpec, agency_id: str, *, whole_table: bool = False) -> Select[Record]:
    """The records of `kind` the agency may see (whole_table: see visibility.audience_of)."""
    return select(Record).where(
        Record.kind == kind.kind.value, visible_to(agency_id, whole_table=whole_table)
    )


# The statements reading one record, built once per kind and agency with the record's id bound: a
# statement built afresh costs its building and, above all, its cache key (about 0.35 ms for the
# audience rule, against a few microseconds once memoised), on every read and change of a record.
@lru_cache(maxsize=4096)
def _one_visible(kind: str, agency_id: str, lock: bool) -> Select[Record]:
    query = select(Record).where(Record.kind == kind, Record.id == _RECORD_ID, visible_to(agency_id))
    return query.with_for_update() if lock else query


@lru_cache(maxsize=4096)
def _one_at_address(kind: str, agency_id: str) -> Select[Record]:
    return select(Record).where(Record.kind == kind, Record.id == _RECORD_ID, audience_of_agency(agency_id))


_RECORD_ID = bindparam("record_id", type_=Record.id.type)


def get_visible(
    session: Session, kind: KindSpec, agency_id: str, record_id: str, *, lock: bool = False
) -> Record:
    """A record the agency may see; 404 otherwise, a purged record included (every path but the
    record's own address has no trace of it)."""
    query = _one_visible(kind.kind.value, agency_id, lock)
    record = session.scalars(query, {"record_id": record_id}).first()
    if record is None:
        raise NotFound(f"no {kind.kind.value} {record_id}")
    return record


def get_at_address(session: Session, kind: KindSpec, agency_id: str, record_id: str) -> Record:
    """A record read at its own address: as get_visible, but a purged record its former audience asks
    for answers 410, so that audience learns it is gone for good."""
    record = session.scalars(_one_at_address(kind.kind.value, agency_id), {"record_id": record_id}).first()
    if record is None:
        raise NotFound(f"no {kind.kind.value} {record_id}")
    if record.purged_at is not None:
        raise Gone(f"{kind.kind.value} {record_id} was purged: its content is destroyed")
    return record


def get_owned(
    session: Session, kind: KindSpec, agency_id: str, record_id: str, *, lock: bool = False
) -> Record:
    """The caller's own record: 404 when it may not see it, 403 when it sees it but does not own it."""
    record = get_visible(session, kind, agency_id, record_id, lock=lock)
    if record.owner_id != agency_id:
        raise Forbidden(f"only the owner, {record.owner_id}, may change this {kind.kind.value}")
    return record


def body_of(data: InputModel) -> dict[str, Any]:
    return data.model_dump(mode="json", exclude=_SERVER_FIELDS)


def revision_of(
    record: Record, actor: Actor, secrets: RecordSecrets, kind: KindSpec, body: dict[str, Any]
) -> RecordRevision:
    return RecordRevision(
        record_id=record.id,
        version=record.version,
        status=record.status,
        body=secrets.seal_body(kind.sensitive_fields, body, version=record.version),
        rules=record.rules | {"distribution": record.distribution},
        changed_by=actor.agency_id,
        actor=actor.name,
        changed_at=record.updated_at,
    )


def check_restricted_recipients(session: Session, kind: KindSpec, body: dict[str, Any]) -> None:
    if kind.restricted is not None and body.get(kind.restricted.recipients_field):
        recipients_field = kind.restricted.recipients_field
        rules.check_agencies(session, body[recipients_field], recipients_field)


@dataclass(frozen=True)
class UpdateOutcome:
    record: Record
    revoked_consents: list[str]


def _revalidate(model: type[InputModel], data: dict[str, Any]) -> InputModel:
    """Validate a record as merged from its stored state and a partial update: the result must be a
    record one could have created, or the update is refused (422) and nothing changes."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValidationFailed(f"the record would not be valid after this change: {problems}") from exc


def _placeholder_rules() -> dict[str, Any]:
    # Re-validating a merged body with the create schema needs some rules; they are discarded.
    return {
        "case_ref": "-",
        "evaluation": {"source": "F", "information": 6},
        "action_on_hit": "no_action",
        "handling": "RED",
        "distribution": {"mode": "owner_only"},
        "discoverable": False,
    }


def _change_status(kind: KindSpec, record: Record, new_status: str | None) -> None:
    if new_status is None or new_status == record.status:
        return
    if new_status == WITHDRAWN or new_status not in kind.transitions.get(record.status, frozenset()):
        allowed = sorted(kind.transitions.get(record.status, frozenset()))
        raise InvalidTransition(
            f"a {kind.kind.value} can not go from {record.status} to {new_status}"
            + (f" (allowed: {', '.join(allowed)})" if allowed else "")
        )
    record.status = new_status


def _change_rules(session: Session, record: Record, update: SharingRulesUpdate, now: datetime) -> bool:
    """Apply the owner's rule changes; True when the distribution changed."""
    distribution = update.distribution or rules.current_distribution(session, record)
    if update.distribution is not None:
        rules.check_distribution(session, update.distribution)
        rules.check_partner_distribution(session, record.owner_id, update.distribution)
        rules.set_distribution(session, record, update.distribution, now)
    if update.review_by is not None and update.review_by > record.review_by:
        raise ValidationFailed(
            "review_by: to keep a record longer, extend it with a reason "
            f"(POST /v1/{spec_of(record.kind).path}/{record.id}/retention)"
        )
    merged = rules.merged_rules(record, update, distribution)
    rules.apply_rules(record, merged, update.review_by or record.review_by)
    return update.distribution is not None


def update_record(
    session: Session,
    kind: KindSpec,
    actor: Actor,
    record_id: str,
    expected_version: int,
    data: InputModel,
    vault: Vault,
    *,
    now: datetime,
) -> UpdateOutcome:
    record = get_owned(session, kind, actor.agency_id, record_id, lock=True)
    if record.version != expected_version:
        raise PreconditionFailed(f"the record is at version {record.version}")
    if record.withdrawn_at is not None:
        raise Conflict("a withdrawn record can not be changed")
    changes = data.model_dump(mode="json", exclude_unset=True)
    _change_status(kind, record, changes.pop("status", None))
    rules_update = changes.pop("rules", None)
    links = changes.pop("links", None)
    secrets = secrets_for(vault, record.id, record.data_key)
    body = _merged_body(session, kind, record, changes, vault)
    revoked: list[str] = []
    if rules_update is not None and _change_rules(
        session, record, SharingRulesUpdate.model_validate(rules_update), now
    ):
        session.flush()
        revoked = consents.revoke_uncovered(session, record, secrets, now)
        if record.distribution == DistributionMode.OWNER_ONLY.value:
            withdraw_case_consents(session, record.id)
    if links is not None:
        set_own_links(session, actor.link_author, record, links, now=now)
    _new_version(session, kind, record, actor, body, vault, now=now)
    return UpdateOutcome(record, revoked)


def _merged_body(
    session: Session, kind: KindSpec, record: Record, changes: dict[str, Any], vault: Vault
) -> dict[str, Any]:
    """The record's body with `changes` applied, validated as a whole and written (sealed) to the row."""
    merged = current_body(record, vault) | dict(changes)
    body = body_of(_revalidate(kind.create, merged | {"rules": _placeholder_rules(), "links": []}))
    check_restricted_recipients(session, kind, body)
    record.body = secrets_for(vault, record.id, record.data_key).seal_body(kind.sensitive_fields, body)
    for column, value in kind.columns(body).items():
        setattr(record, column, value)
    return body


def _new_version(
    session: Session,
    kind: KindSpec,
    record: Record,
    actor: Actor,
    body: dict[str, Any],
    vault: Vault,
    *,
    now: datetime,
) -> None:
    """Close a change: a new version and its revision, index terms, a correction notice to whoever saw
    the record, and the event to its audience."""
    secrets = secrets_for(vault, record.id, record.data_key)
    record.version += 1
    record.updated_at = now
    session.add(revision_of(record, actor, secrets, kind, body))
    reindex(session, vault.keys.index, record.id, kind.index_terms(body))
    message = f"corrected to version {record.version}"
    notify_recipients(session, record, "correction", message, secrets, now=now)
    emit_record_event(session, record, EventType.RECORD_UPDATED, now=now)
    session.flush()


def change_by_agreement(
    session: Session,
    record: Record,
    status: str,
    changes: dict[str, Any],
    actor: Actor,
    vault: Vault,
    *,
    now: datetime,
) -> bool:
    """A change its owner asked for in advance, made when another party acts (a freezing request the
    owner sent, executed: its lead is frozen). The lifecycle still rules: False, and nothing changes,
    when it does not allow `status` now."""
    kind = spec_of(record.kind)
    if record.withdrawn_at is not None or status not in kind.transitions.get(record.status, frozenset()):
        return False
    record.status = status
    body = _merged_body(session, kind, record, changes, vault)
    _new_version(session, kind, record, actor, body, vault, now=now)
    return True


def withdraw_record(
    session: Session,
    kind: KindSpec,
    actor: Actor,
    record_id: str,
    reason: str,
    vault: Vault,
    *,
    now: datetime,
) -> Record:
    record = get_owned(session, kind, actor.agency_id, record_id, lock=True)
    if record.withdrawn_at is not None:
        return record
    secrets = secrets_for(vault, record.id, record.data_key)
    body = current_body(record, vault)
    record.status = WITHDRAWN
    record.withdrawn_at = record.updated_at = now
    record.withdrawal_reason = secrets.seal_text(reason, table="records", row="withdrawal", field="reason")
    record.version += 1
    session.add(revision_of(record, actor, secrets, kind, body))
    notify_recipients(session, record, "withdrawal", reason, secrets, now=now)
    emit_record_event(session, record, EventType.RECORD_WITHDRAWN, now=now)
    session.flush()
    return record
