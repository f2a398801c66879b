"""Typed links between records. Each is made by one agency (its author), reads the same from either end,
is shown only to agencies that see both ends, and is removed only by its author or by the owner of both
records: an owner's update never drops the links other agencies made."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, delete, or_, select, union
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.errors import Forbidden, NotFound, ValidationFailed
from app.ids import uuid7
from app.models import Agency, Record, RecordLink
from app.schemas.records import LinkType
from app.services.records.visibility import visible_to
from app.services.sequencing import is_postgres
from app.services.sql_lists import among


@dataclass(frozen=True)
class LinkAuthor:
    agency_id: str
    actor: str


def visible_ids(session: Session, agency_id: str, record_ids: Sequence[str]) -> set[str]:
    """Which of `record_ids` the agency sees."""
    return set(session.scalars(select(Record.id).where(Record.id.in_(record_ids), visible_to(agency_id))))


def check_link_targets(session: Session, agency_id: str, record_id: str, targets: Sequence[str]) -> None:
    """Refuse a link to a record the agency can not see, as for one that does not exist (404)."""
    wanted = sorted(set(targets) - {record_id})
    if not wanted:
        return
    visible = visible_ids(session, agency_id, wanted)
    missing = [target for target in wanted if target not in visible]
    if missing:
        raise NotFound(f"no linked record {missing[0]}")


def _touching(record_ids: Collection[str]) -> ColumnElement[bool]:
    """Links with either end among `record_ids`."""
    return or_(RecordLink.source_id.in_(record_ids), RecordLink.target_id.in_(record_ids))


def linked_to(agency_id: str, record_id: str | BindParameter[str]) -> ColumnElement[bool]:
    """Records linked to `record_id`, if `agency_id` sees it: an unseen record has no links (an empty
    list, exactly as for an id that does not exist)."""
    anchor = select(Record.id).where(Record.id == record_id, visible_to(agency_id)).scalar_subquery()
    ends = union(
        select(RecordLink.target_id).where(RecordLink.source_id == anchor),
        select(RecordLink.source_id).where(RecordLink.target_id == anchor),
    )
    return Record.id.in_(ends)


def set_own_links(
    session: Session, author: LinkAuthor, record: Record, targets: Sequence[str], *, now: datetime
) -> None:
    """Make `record`'s untyped ("related") links by `author` be `targets`, dropping the author's other
    related links of it (links of other authors and other types stay). Linking to a record the author can
    not see is answered as for one that does not exist."""
    wanted = sorted(set(targets) - {record.id})
    check_link_targets(session, author.agency_id, record.id, wanted)
    existing = {
        (link.source_id if link.target_id == record.id else link.target_id): link
        for link in session.scalars(
            select(RecordLink).where(
                _touching([record.id]),
                RecordLink.author_id == author.agency_id,
                RecordLink.type == LinkType.RELATED.value,
            )
        )
    }
    for other, link in existing.items():
        if other not in wanted:
            session.delete(link)
    for other in wanted:
        if other not in existing:
            session.add(_new_link(author, record.id, other, LinkType.RELATED, now))


def first_links(
    author: LinkAuthor, record_id: str, targets: Sequence[str], now: datetime
) -> list[RecordLink]:
    """A new record's related links by its author, to targets already checked (check_link_targets): it
    has no links yet, so there is nothing to look up or replace."""
    others = sorted(set(targets) - {record_id})
    return [_new_link(author, record_id, other, LinkType.RELATED, now) for other in others]


def _new_link(
    author: LinkAuthor,
    source: str,
    target: str,
    link_type: LinkType,
    now: datetime,
    confidence: str | None = None,
    case_id: str | None = None,
) -> RecordLink:
    return RecordLink(
        id=uuid7(),
        source_id=source,
        target_id=target,
        type=link_type.value,
        author_id=author.agency_id,
        actor=author.actor,
        created_at=now,
        confidence=confidence,
        case_id=case_id,
    )


def add_link(
    session: Session,
    author: LinkAuthor,
    source: Record,
    target_id: str,
    link_type: LinkType,
    *,
    now: datetime,
    confidence: str | None = None,
    case_id: str | None = None,
) -> RecordLink:
    """Link two records the author sees; the same link made twice is one link (the first, as it was
    made: its author and confidence stay)."""
    if target_id == source.id:
        raise ValidationFailed("a record can not be linked to itself")
    if not visible_ids(session, author.agency_id, [target_id]):
        raise NotFound(f"no linked record {target_id}")
    existing = session.scalars(
        select(RecordLink).where(
            or_(
                (RecordLink.source_id == source.id) & (RecordLink.target_id == target_id),
                (RecordLink.source_id == target_id) & (RecordLink.target_id == source.id),
            ),
            RecordLink.type == link_type.value,
        )
    ).first()
    if existing is not None:
        return existing
    link = _new_link(author, source.id, target_id, link_type, now, confidence, case_id)
    session.add(link)
    session.flush()
    return link


def touching_listed(postgres: bool) -> ColumnElement[bool]:
    """Links with either end among the parameter `record_ids` (its list given at each execution)."""
    from_source = among(postgres, RecordLink.source_id, "record_ids")
    return or_(from_source, among(postgres, RecordLink.target_id, "record_ids"))


@lru_cache(maxsize=2)
def _links_touching(postgres: bool) -> Select[RecordLink]:
    """Built once, as every read of a record asks it (building the statement cost more than running it)."""
    return select(RecordLink).where(touching_listed(postgres))


def visible_links(
    session: Session, agency_id: str, record_ids: Sequence[str]
) -> dict[str, list[tuple[str, RecordLink]]]:
    """For each record, (other end, link) for every link whose other end `agency_id` sees, oldest first.

    The links first, in one plain statement: most records have none, and that answer costs little. Only
    the other ends of the links found are then tested with the visibility rule, whose statement costs
    several times more to run."""
    found: dict[str, list[tuple[str, RecordLink]]] = {record_id: [] for record_id in record_ids}
    if not record_ids:
        return found
    wanted = set(record_ids)
    links = session.scalars(_links_touching(is_postgres(session)), {"record_ids": list(wanted)}).all()
    if not links:
        return found
    ends = [(link.source_id, link.target_id, link) for link in links]
    ends += [(link.target_id, link.source_id, link) for link in links]
    seen = visible_ids(session, agency_id, sorted({other for anchor, other, _ in ends if anchor in wanted}))
    for anchor, other, link in ends:
        if anchor in wanted and other in seen:
            found[anchor].append((other, link))
    for pairs in found.values():
        pairs.sort(key=lambda pair: (pair[1].created_at, pair[1].id))
    return found


def get_link(session: Session, agency_id: str, record_id: str, link_id: str) -> RecordLink:
    for _other, link in visible_links(session, agency_id, [record_id])[record_id]:
        if link.id == link_id:
            return link
    raise NotFound(f"no link {link_id} of this record")


def remove_link(session: Session, agency_id: str, record_id: str, link_id: str) -> None:
    """Only the link's author, or the owner of both records, removes it."""
    link = get_link(session, agency_id, record_id, link_id)
    owners = set(
        session.scalars(select(Record.owner_id).where(Record.id.in_((link.source_id, link.target_id))))
    )
    if link.author_id != agency_id and owners != {agency_id}:
        raise Forbidden("only the link's author, or the owner of both records, removes it")
    session.delete(link)
    session.flush()


def unlink_all(session: Session, record_id: str) -> None:
    """Every link of a record, whoever made it (the record is purged)."""
    session.execute(delete(RecordLink).where(_touching([record_id])))


def _linked_seen_by(
    anchor: InstrumentedAttribute[str], other: InstrumentedAttribute[str]
) -> Select[str, str]:
    return (
        select(Agency.id, other)
        .join(Record, Record.id == other)
        .join(Agency, Agency.id.in_(bindparam("agency_ids", expanding=True)))
        .where(anchor == bindparam("record_id"), visible_to(Agency.id))
    )


# Built once (an event's fan-out asks this for every record it reports on): both directions of a link.
_LINKED_SEEN_BY = (
    _linked_seen_by(RecordLink.source_id, RecordLink.target_id),
    _linked_seen_by(RecordLink.target_id, RecordLink.source_id),
)


def linked_ids_seen_by(session: Session, record_id: str, agency_ids: Sequence[str]) -> dict[str, list[str]]:
    """For each agency, the records linked to `record_id` that it sees (the visibility rule asked for
    every agency at once, as an event to the whole audience of a record needs)."""
    found: dict[str, list[str]] = {agency_id: [] for agency_id in agency_ids}
    for statement in _LINKED_SEEN_BY:
        rows = session.execute(statement, {"record_id": record_id, "agency_ids": list(agency_ids)})
        for agency_id, other_id in rows:
            found[agency_id].append(other_id)
    return {agency_id: sorted(set(ids)) for agency_id, ids in found.items()}
