"""Demo cooperation on top of the demo records: a directory entry for every demo agency, victim services
in every demo country, requests in every state, an open and a closed crisis room, and a private partner
with a submission to its FIU. Made through the same services as the API."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Database
from app.demo import AGENCIES
from app.models import Agency, CooperationRequest, Record
from app.schemas.agencies import AgencyCreate, AgencyKind, ContactPoint
from app.schemas.common import Scope
from app.schemas.cooperation import RequestAction, RequestCreate, RequestTransition
from app.schemas.crises import CrisisOutcome
from app.schemas.directory import DirectoryEntryUpdate, VictimServiceCreate
from app.schemas.leads import LeadCreate
from app.services.directory.entries import put_entry
from app.services.directory.victims import add_service
from app.services.identity.agencies import create_agency
from app.services.records.creation import create_record
from app.services.records.kinds import LEADS
from app.services.records.store import Actor
from app.services.vault import Vault
from app.services.workflows import cooperation, crises

ACCEPTS = {
    "police": ["information", "urgent_assistance", "provisional_arrest"],
    "prosecutor": ["mutual_legal_assistance", "extradition", "provisional_arrest", "confiscation"],
    "judiciary": ["mutual_legal_assistance", "extradition"],
    "fiu": ["information", "freezing", "confiscation", "asset_return"],
}
LANGUAGES = {"FR": "fr", "ES": "es", "NL": "nl", "GR": "el", "RO": "ro", "PL": "pl", "BE": "fr", "MT": "mt",
             "MX": "es", "CO": "es", "BR": "pt", "VE": "es", "NG": "en", "ZA": "en", "KE": "en", "PH": "en",
             "IN": "en", "TR": "tr", "UA": "uk", "JO": "ar", "EU": "en"}  # fmt: skip
SERVICES = [
    ("psychological", "family_liaison"),
    ("legal", "financial"),
    ("repatriation",),
]
PATHS = {
    "draft": [],
    "submitted": ["submit"],
    "acknowledged": ["submit", "acknowledge"],
    "in_progress": ["submit", "acknowledge", "start"],
    "information_requested": ["submit", "acknowledge", "request_information"],
    "executed": ["submit", "acknowledge", "start", "execute"],
    "partially_executed": ["submit", "acknowledge", "start", "execute_partially"],
    "refused": ["submit", "refuse"],
    "withdrawn": ["submit", "withdraw"],
}


def _directory(session: Session, now: datetime) -> None:
    countries_with_authority: set[str] = set()
    for agency_id, country, _name, kind, _region in AGENCIES:
        central = []
        if kind in ("prosecutor", "judiciary") and country not in countries_with_authority:
            countries_with_authority.add(country)
            central = ["mutual_legal_assistance", "extradition"]
        language = LANGUAGES.get(country, "en")
        entry = DirectoryEntryUpdate.model_validate(
            {
                "accepts": ACCEPTS[kind],
                "languages": sorted({language, "en"}),
                "legal_bases": ["UNTOC", "International Convention against the Taking of Hostages"],
                "central_authority_for": central,
                "contact": {
                    "phone": "+3220000000",
                    "secure_email": f"{agency_id}-desk@example.org",
                    "hours": "24/7",
                    "languages": [language],
                },
            }
        )
        put_entry(session, agency_id, entry, by="demo-loader", now=now)
    for country in sorted({agency[1] for agency in AGENCIES if agency[1] != "EU"}):
        for number, kinds in enumerate(SERVICES, start=1):
            service = {
                "country": country,
                "name": f"Victim support {country} #{number} (demo)",
                "kinds": list(kinds),
                "contact": {"phone": "+3220000001", "email": f"help-{country.lower()}-{number}@example.org"},
                "languages": sorted({LANGUAGES.get(country, "en"), "en"}),
            }
            add_service(session, VictimServiceCreate.model_validate(service), now=now)


def _requests(session: Session, vault: Vault, rng: random.Random, now: datetime) -> int:
    """One request in every state, and a freezing request executed (its lead frozen)."""
    suspects = list(session.scalars(select(Record).where(Record.kind == "suspect").limit(200)))
    made = 0
    for state, actions in PATHS.items():
        person = rng.choice(suspects)
        addressee = rng.choice(
            [a[0] for a in AGENCIES if a[3] in ("prosecutor", "judiciary") and a[0] != person.owner_id]
        )
        body = {
            "kind": "mutual_legal_assistance",
            "addressee": addressee,
            "legal_basis": {"kind": "convention", "instrument": "UNTOC", "article": "18"},
            "urgency": rng.choice(["high", "medium"]),
            "summary": f"Demo request ({state}): bank and phone records of a kidnapping suspect",
            "linked_records": [person.id],
            "submit": False,
        }
        request = cooperation.create(
            session, vault, Actor(person.owner_id, "demo-loader"), RequestCreate.model_validate(body), now=now
        )
        for action in actions:
            actor = person.owner_id if action in ("submit", "withdraw", "provide_information") else addressee
            step: dict[str, Any] = {"action": action, "note": f"demo: {action}"}
            if action == "refuse":
                step["grounds"] = ["insufficient_information"]
            cooperation.move(
                session,
                vault,
                Actor(actor, "demo-loader"),
                request,
                RequestTransition.model_validate(step),
                now=now,
            )
        made += 1
    lead = session.scalars(
        select(Record).where(Record.kind == "lead", Record.status == "traced").limit(1)
    ).first()
    fiu = next(a[0] for a in AGENCIES if a[3] == "fiu")
    if lead is not None and lead.owner_id != fiu:
        order = {
            "leads": [lead.id],
            "amount": "250000.00",
            "currency": "EUR",
            "order_reference": "DEMO-FREEZE-1",
            "order_expires_on": (now + timedelta(days=60)).date().isoformat(),
        }
        body = {
            "kind": "freezing",
            "addressee": fiu,
            "legal_basis": {"kind": "convention", "instrument": "UNTOC", "article": "13"},
            "summary": "Demo: freeze the account the ransom went through",
            "asset_order": order,
        }
        request = cooperation.create(
            session, vault, Actor(lead.owner_id, "demo-loader"), RequestCreate.model_validate(body), now=now
        )
        for action in ("acknowledge", "start", "execute"):
            cooperation.move(
                session,
                vault,
                Actor(fiu, "demo-loader"),
                request,
                RequestTransition(action=RequestAction(action)),
                now=now,
            )
        made += 1
    return made


def _crises(session: Session, vault: Vault, now: datetime) -> int:
    alerts = list(
        session.scalars(select(Record).where(Record.kind == "alert", Record.status == "active").limit(2))
    )
    for number, alert in enumerate(alerts):
        members = [a[0] for a in AGENCIES if a[0] != alert.owner_id][:2]
        owner = Actor(alert.owner_id, "demo-loader")
        room = crises.open_room(session, vault, owner, alert.id, members, now=now)
        crises.add_entry(
            session,
            vault,
            owner,
            room.id,
            "kidnapper_contact",
            "Demo: first call from the kidnappers",
            now=now,
        )
        crises.add_entry(
            session, vault, Actor(members[0], "demo-loader"), room.id, "sighting", "Demo: van seen", now=now
        )
        if number == 1:
            made = {"ransom_paid": False}
            crises.close_room(session, vault, owner, room.id, CrisisOutcome.RESCUED, made, now=now)
    return len(alerts)


def _partner(session: Session, vault: Vault, now: datetime) -> None:
    if session.get(Agency, "fr-banque-demo") is not None:
        return
    partner = AgencyCreate(
        id="fr-banque-demo",
        country="FR",
        name="Banque de démonstration (demo private partner)",
        kind=AgencyKind.PRIVATE_PARTNER,
        scopes=[Scope.LEADS_READ, Scope.LEADS_WRITE],
        contact=ContactPoint(name="Compliance desk", phone="+33100000000", email="compliance@example.org"),
        designated_fiu="be-ctif",
    )
    create_agency(session, partner)
    body: dict[str, Any] = {
        "asset_kind": "bank_account",
        "identifiers": {"iban": "FR1420041010050500013M02606"},
        "amount": "48000.00",
        "currency": "EUR",
        "jurisdiction": "FR",
        "rules": {
            "case_ref": "STR-2026-0001",
            "evaluation": {"source": "B", "information": 2},
            "action_on_hit": "contact_owner_immediately",
            "handling": "AMBER",
            "distribution": {"mode": "agencies", "agencies": ["be-ctif"]},
            "discoverable": False,
        },
    }
    create_record(
        session, LEADS, Actor(partner.id, "demo-loader"), LeadCreate.model_validate(body), vault, now=now
    )


def fill_cooperation(db: Database, vault: Vault, seed: int = 2026) -> int:
    """Everything above, once (skipped when the database holds requests already); how many requests
    it made."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    now = datetime.now(UTC)
    with db.transaction() as session:
        if session.scalar(select(func.count()).select_from(CooperationRequest)):
            return 0
        _directory(session, now)
        made = _requests(session, vault, rng, now)
        _crises(session, vault, now)
        _partner(session, vault, now)
        return made
