"""Who may see a record: one SQL predicate, used by every read path (get, list, count, links, revisions,
contributions, matches, and the feeds to come), so no path can forget it."""

from collections.abc import Collection
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, literal_column, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from app.models import Agency, GroupMember, Record, RecordGrant
from app.services.sequencing import is_postgres
from app.services.sql_lists import among

AGENCY_GRANT = "agency"  # named in the owner's distribution
GROUP_GRANT = "group"  # a group in the owner's distribution: its members see the record
CONSENT_GRANT = "consent"  # an agency the owner consented to (onward sharing, access request)
REQUEST_GRANT = "request"  # the addressee (or a copied agency) of an open cooperation request naming it
CRISIS_GRANT = "crisis"  # a member of the open crisis room on an alert
CASE_GRANT = "case"  # a participant of an open joint case the owner shared the record with
PRIVATE_PARTNER = "private_partner"  # the agency kind
# Grants that name an agency directly (groups name a group).
DIRECT_GRANTS = (AGENCY_GRANT, CONSENT_GRANT, REQUEST_GRANT, CRISIS_GRANT, CASE_GRANT)

# A purged record is gone from every list, count, link and match; only a request for it by id is told so.
NOT_PURGED: ColumnElement[bool] = Record.purged_at.is_(None)


# Past its review date and grace period, a record is its owner's alone (retention.py), until purged.
NOT_HIDDEN: ColumnElement[bool] = Record.retention_hidden_at.is_(None)


# An agency id, or a column of them (to ask about many agencies at once).
AgencyRef = str | ColumnElement[str] | InstrumentedAttribute[str]


def audience_of(agency_id: AgencyRef, *, whole_table: bool = False) -> ColumnElement[bool]:
    """True for the records `agency_id` is in the audience of, purged or not: its own, and, unless hidden
    by retention, those for all members and those granted to it directly or through a group it belongs
    to now (membership changes apply on the next query).

    Both grant checks are correlated to the record, and carry OFFSET 0, which PostgreSQL will not turn
    into a hash: each costs an index probe on the rows the query actually reads. Unfenced, PostgreSQL
    may run each as a hash of every grant the agency holds, built once per query: right only for a
    query that reads the whole table (`whole_table`: an exact count), since for a page of 50 it reads
    tens of thousands of grants (42 of a page's 36-62 ms at a million alerts), and for the few hundred
    records a name query finds, 23 ms against about 2.
    """
    # Everything but the grant tables correlates to the enclosing query: the record, and the agency
    # column when the question is asked for many agencies at once.
    direct = _grant_exists(
        whole_table,
        (RecordGrant,),
        RecordGrant.record_id == Record.id,
        RecordGrant.grantee_type.in_(DIRECT_GRANTS),
        RecordGrant.grantee_id == agency_id,
    )
    via_group = _grant_exists(
        whole_table,
        (RecordGrant, GroupMember),
        RecordGrant.record_id == Record.id,
        RecordGrant.grantee_type == GROUP_GRANT,
        RecordGrant.grantee_id == GroupMember.group_id,
        GroupMember.agency_id == agency_id,
    )
    # "All members" are the exchange's authorities: a private partner sees only what it submitted.
    partner = aliased(Agency)
    is_partner = (
        exists().where(partner.id == agency_id, partner.kind == PRIVATE_PARTNER).correlate_except(partner)
    )
    for_all = and_(Record.distribution == "all_members", ~is_partner)
    return or_(Record.owner_id == agency_id, and_(NOT_HIDDEN, or_(for_all, direct, via_group)))


def sees_only_its_own(agency_kind: str) -> bool:
    """A private partner sees only the records it owns: none can be sent to it (rules.check_agencies),
    it joins no group, and no request, room or case includes it. Its reads may say so outright."""
    return agency_kind == PRIVATE_PARTNER


def _grant_exists(whole_table: bool, tables: tuple[Any, ...], *conditions: Any) -> ColumnElement[bool]:
    """EXISTS over the grant `tables` meeting `conditions`, correlated to everything else; fenced by
    OFFSET 0 unless for a `whole_table` query."""
    found: Select[tuple[Any]] = select(literal_column("1")).where(*conditions).correlate_except(*tables)
    return (found if whole_table else found.offset(0)).exists()


def visible_to(agency_id: AgencyRef, *, whole_table: bool = False) -> ColumnElement[bool]:
    """The records `agency_id` may see now: in its audience and not purged. `whole_table` for a query
    that reads every record of the table, not a page or a list of ids (see audience_of)."""
    if isinstance(agency_id, str):
        return _visible_to_agency(agency_id, whole_table)
    return and_(NOT_PURGED, audience_of(agency_id, whole_table=whole_table))


# Built once per agency: constructing the expression costs more than running it (a few ms against
# well under one on an indexed page), and expressions are immutable, so every statement may share it.
@lru_cache(maxsize=1024)
def _visible_to_agency(agency_id: str, whole_table: bool) -> ColumnElement[bool]:
    return and_(NOT_PURGED, audience_of(agency_id, whole_table=whole_table))


@lru_cache(maxsize=1024)
def audience_of_agency(agency_id: str) -> ColumnElement[bool]:
    """audience_of for one agency, built once (a record's own address asks it on every read)."""
    return audience_of(agency_id)


@lru_cache(maxsize=2)
def _audiences(postgres: bool) -> Select[str, str]:
    # Every active agency against every record named: the same rule, each pair tested by its probes.
    return (
        select(Record.id, Agency.id)
        .join(Agency, true())
        .where(among(postgres, Record.id, "record_ids"), Agency.status == "active", audience_of(Agency.id))
        .order_by(Record.id, Agency.id)
    )


# Every agency's, whatever its status: one suspended between the two statements is still found.
_SCOPES = select(Agency.id, Agency.scopes)


def audiences(session: Session, record_ids: Collection[str]) -> dict[str, list[tuple[str, list[str]]]]:
    """audience() of many records in one statement (a fan-out reports on up to 500 at a time), each
    agency's scopes read once, not once per record in its audience."""
    found: dict[str, list[tuple[str, list[str]]]] = {record_id: [] for record_id in record_ids}
    if not record_ids:
        return found
    connection = session.connection()
    pairs = connection.execute(_audiences(is_postgres(session)), {"record_ids": list(record_ids)}).all()
    scopes: dict[str, list[str]] = dict(connection.execute(_SCOPES).tuples().all())
    for record_id, agency_id in pairs:
        found[record_id].append((agency_id, scopes[agency_id]))
    return found


def audience(session: Session, record_id: str) -> list[tuple[str, list[str]]]:
    """The active agencies in a record's audience now, with their scopes: the same rule as visible_to,
    asked from the record's side (who is told of a change to it)."""
    return audiences(session, [record_id])[record_id]
