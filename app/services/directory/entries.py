"""Directory entries: what each agency tells the others about itself as a competent authority (which
request kinds it accepts, in which languages, under which legal bases, its 24/7 contact point, whether it
is its country's central authority for mutual legal assistance or extradition). Each agency edits its
own entry; administrators edit any."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound, ValidationFailed
from app.models import Agency, DirectoryEntry
from app.schemas.cooperation import RequestKind
from app.schemas.directory import DirectoryEntryUpdate


def get_entry(session: Session, agency_id: str) -> tuple[Agency, DirectoryEntry | None]:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(f"no agency {agency_id}")
    return agency, session.get(DirectoryEntry, agency_id)


def put_entry(
    session: Session, agency_id: str, data: DirectoryEntryUpdate, *, by: str, now: datetime
) -> tuple[Agency, DirectoryEntry]:
    agency, entry = get_entry(session, agency_id)
    if entry is None:
        entry = DirectoryEntry(agency_id=agency.id)
        session.add(entry)
    entry.accepts = sorted({kind.value for kind in data.accepts})
    entry.languages = sorted(set(data.languages))
    entry.legal_bases = list(data.legal_bases)
    entry.central_authority_for = sorted({kind.value for kind in data.central_authority_for})
    entry.contact = data.contact.model_dump(mode="json")
    entry.notes = data.notes
    entry.updated_at = now
    entry.updated_by = by
    session.flush()
    return agency, entry


def search(
    session: Session,
    *,
    country: str | None = None,
    agency_kind: str | None = None,
    accepts: RequestKind | None = None,
    central_authority_for: RequestKind | None = None,
) -> Sequence[tuple[Agency, DirectoryEntry | None]]:
    """Active agencies (not private partners) with their entries, filtered; accepting and central
    authorities need an entry saying so."""
    query = (
        select(Agency, DirectoryEntry)
        .outerjoin(DirectoryEntry, DirectoryEntry.agency_id == Agency.id)
        .where(Agency.status == "active", Agency.kind.not_in(("private_partner", "operator")))
        .order_by(Agency.country, Agency.id)
    )
    if country is not None:
        query = query.where(Agency.country == country)
    if agency_kind is not None:
        query = query.where(Agency.kind == agency_kind)
    rows = [(agency, entry) for agency, entry in session.execute(query)]
    if accepts is not None:
        rows = [(a, e) for a, e in rows if e is not None and accepts.value in e.accepts]
    if central_authority_for is not None:
        rows = [
            (a, e)
            for a, e in rows
            if e is not None and central_authority_for.value in e.central_authority_for
        ]
    return rows


def check_accepts(session: Session, addressee_id: str, kind: RequestKind) -> None:
    """Refuse (422) a request to an agency whose entry does not list its kind, naming who in that country
    accepts it. An agency with no entry yet is not refused: it has declared nothing either way."""
    agency, entry = get_entry(session, addressee_id)
    if entry is None or kind.value in entry.accepts:
        return
    who = [a.id for a, _ in search(session, country=agency.country, accepts=kind)]
    elsewhere = (
        f"; in {agency.country} it is accepted by {', '.join(who)}"
        if who
        else f"; nobody in {agency.country} lists it"
    )
    raise ValidationFailed(f"{addressee_id} does not accept {kind.value} requests{elsewhere}")
