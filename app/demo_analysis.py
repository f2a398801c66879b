"""Demo data for joint analysis: outcomes on the demo records (so trends show releases, rescues, charges,
frozen assets), one joint case with a story its graph tells, and a handful of practice notes."""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Database
from app.models import Agency, JointCase, Record
from app.schemas.alerts import AlertCreate
from app.schemas.leads import LeadCreate
from app.schemas.practices import PracticeCreate
from app.schemas.records import Confidence, LinkType
from app.schemas.suspects import SuspectCreate, SuspectUpdate
from app.services.analysis import case_records, cases, practices
from app.services.records.creation import create_record
from app.services.records.kinds import ALERTS, LEADS, SUSPECTS
from app.services.records.store import Actor, change_by_agreement, update_record
from app.services.vault import Vault

OUTCOMES = (("released", 50), ("rescued", 30), ("escaped", 5), ("deceased", 5), ("unresolved", 10))
DEMO_KEY_HOLDERS = ("de-bka", "it-dcsa")
SAMPLE = 600  # records of each kind given an outcome: enough for trends, quick to load
CASE_OWNER, PARTICIPANTS, INVITED = "fr-ocrb", ("es-ucic", "nl-npn", "eu-europol", "mt-fiau"), "gr-hp"


@dataclass(frozen=True)
class AnalysisSummary:
    outcomes: int
    cases: int
    practices: int


def _oldest_first(session: Session, kind: str, status: str) -> list[Record]:
    query = (
        select(Record)
        .where(Record.kind == kind, Record.status == status)
        .order_by(Record.created_at, Record.id)
    )
    return list(session.scalars(query.limit(SAMPLE)))


def _outcomes(session: Session, vault: Vault, rng: random.Random, now: datetime) -> int:
    made = 0
    statuses = [status for status, _weight in OUTCOMES]
    weights = [weight for _status, weight in OUTCOMES]
    for alert in _oldest_first(session, "alert", "active"):
        if alert.occurred_at and alert.occurred_at < now - timedelta(days=14) and rng.random() < 0.8:
            status = rng.choices(statuses, weights)[0]
            made += change_by_agreement(
                session, alert, status, {}, Actor(alert.owner_id, "demo-loader"), vault, now=now
            )
    for lead in _oldest_first(session, "lead", "traced"):
        actor = Actor(lead.owner_id, "demo-loader")
        for status, chance in (("frozen", 0.45), ("confiscated", 0.5), ("returned", 0.35)):
            if rng.random() >= chance or not change_by_agreement(
                session, lead, status, {}, actor, vault, now=now
            ):
                break
            made += 1
    for suspect in _oldest_first(session, "suspect", "active")[: SAMPLE // 2]:
        outcomes = _prosecution(rng, now, suspect)
        if outcomes:
            data = SuspectUpdate(outcomes=outcomes)
            actor = Actor(suspect.owner_id, "demo-loader")
            update_record(session, SUSPECTS, actor, suspect.id, suspect.version, data, vault, now=now)
            made += 1
    return made


def _prosecution(rng: random.Random, now: datetime, suspect: Record) -> list[dict[str, Any]]:
    if rng.random() > 0.4:
        return []
    jurisdiction = rng.choice(["IT", "DE", "FR", "ES", "MX", "CO", "NG", "PH"])
    charged = (now - timedelta(days=rng.randint(30, 700))).date()
    steps = [{"kind": "charged", "on": charged.isoformat(), "jurisdiction": jurisdiction}]
    later = min(charged + timedelta(days=rng.randint(60, 400)), now.date())
    if rng.random() < 0.45:
        steps.append({"kind": "convicted", "on": later.isoformat(), "jurisdiction": jurisdiction})
    elif rng.random() < 0.2:
        steps.append({"kind": "extradited", "on": later.isoformat(), "jurisdiction": jurisdiction})
    return steps


def _rules(owner: str) -> dict[str, Any]:
    return {
        "case_ref": f"{owner.upper()}-CALANQUE-2026",
        "evaluation": {"source": "B", "information": 2},
        "action_on_hit": "contact_owner_immediately",
        "handling": "AMBER",
        "distribution": {
            "mode": "owner_only"
        },  # seen by the case's participants through their owners' consent
        "discoverable": True,
    }


def _case(session: Session, vault: Vault, now: datetime) -> int:
    """Operation Calanque: two kidnappings in France and Spain, one crew, one money trail."""
    owner = Actor(CASE_OWNER, "analyst.moreau")
    # The agencies `kix demo` issues key files to take part too, so the README's commands show the case.
    with_keys = [agency for agency in DEMO_KEY_HOLDERS if session.get(Agency, agency) is not None]
    case = cases.open_case(
        session,
        vault,
        owner,
        "Operation Calanque",
        "Two ransom kidnappings (Marseille, Barcelona) by one crew; ransoms paid into a Dutch account "
        "and a Bitcoin wallet, then moved to Malta.",
        [*PARTICIPANTS, *with_keys, INVITED],
        now=now,
    )
    for agency in [*PARTICIPANTS, *with_keys]:
        cases.answer(session, Actor(agency, "analyst"), case.id, accept=True, now=now)
    phone, passport = "+33612345678", "19AB47112"

    def record(agency: str, kind: Any, model: Any, body: dict[str, Any]) -> str:
        made = create_record(
            session,
            kind,
            Actor(agency, "analyst"),
            model.model_validate(body | {"rules": _rules(agency)}),
            vault,
            now=now,
        )
        case_records.add_record(session, Actor(agency, "analyst"), case.id, made.id, share=True, now=now)
        return made.id

    def kidnapping(agency: str, country: str, region: str, days: int, amount: str) -> str:
        body = {
            "category": "ransom_extortion",
            "urgency": "high",
            "occurred_at": (now - timedelta(days=days)).isoformat(),
            "place": {"country": country, "region": region},
            "ransom": {"amount": amount, "currency": "EUR", "channel": "crypto"},
            "modus_operandi": "Taken at a fake police checkpoint at night",
        }
        return record(agency, ALERTS, AlertCreate, body)

    def person(agency: str, name: str, born: str, nationality: str, **extra: Any) -> str:
        body = {"names": [{"full_name": name}], "date_of_birth": born, "nationalities": [nationality]} | extra
        return record(agency, SUSPECTS, SuspectCreate, body)

    def money(agency: str, amount: str, country: str, identifiers: dict[str, Any], kind: str) -> str:
        body = {
            "asset_kind": kind,
            "identifiers": identifiers,
            "amount": amount,
            "currency": "EUR",
            "jurisdiction": country,
        }
        return record(agency, LEADS, LeadCreate, body)

    marseille = kidnapping("fr-ocrb", "FR", "Provence", 120, "800000.00")
    barcelona = kidnapping("es-ucic", "ES", "Cataluña", 60, "1200000.00")
    leader = person("fr-ocrb", "Rachid Benali", "1979-05-02", "FR", phones=[phone])
    driver = person("es-ucic", "Rachid Ben Ali", "1979-05-02", "FR", phones=[phone])
    courier = person(
        "fr-ocrb",
        "Karim Bensaïd",
        "1988-11-23",
        "FR",
        documents=[{"kind": "passport", "number": passport, "issuing_country": "FR"}],
    )
    lookout = person("eu-europol", "Jordi Puig", "1992-02-17", "ES")
    account = money("nl-npn", "950000.00", "NL", {"iban": "NL91ABNA0417164300"}, "bank_account")
    wallet = {"wallet": {"address": "bc1qaspromonte0000000000000000000000demo", "chain": "bitcoin"}}
    crypto = money("eu-europol", "610000.00", "MT", wallet, "crypto_wallet")
    villa = money("mt-fiau", "450000.00", "MT", {"registry_ref": "MT-LR-2024-118873"}, "real_estate")
    links = [
        (leader, marseille, LinkType.SUSPECT_IN, Confidence.CONFIRMED, "fr-ocrb"),
        (driver, barcelona, LinkType.SUSPECT_IN, Confidence.CONFIRMED, "es-ucic"),
        (leader, driver, LinkType.SAME_PERSON, Confidence.PROBABLE, "es-ucic"),
        (courier, leader, LinkType.ASSOCIATE_OF, Confidence.PROBABLE, "fr-ocrb"),
        (lookout, barcelona, LinkType.SUSPECT_IN, Confidence.POSSIBLE, "eu-europol"),
        (account, barcelona, LinkType.PROCEEDS_OF, Confidence.CONFIRMED, "nl-npn"),
        (crypto, marseille, LinkType.PROCEEDS_OF, Confidence.CONFIRMED, "eu-europol"),
        (courier, crypto, LinkType.PAID_TO, Confidence.PROBABLE, "eu-europol"),
        (villa, crypto, LinkType.PROCEEDS_OF, Confidence.POSSIBLE, "mt-fiau"),
    ]
    for source, target, link_type, confidence, author in links:
        case_records.link_records(
            session, Actor(author, "analyst"), case.id, source, target, link_type, confidence, now=now
        )
    return 1


PRACTICES = [
    (
        "FR",
        ["crisis_response", "victim_support"],
        "Family liaison officers from the first hour",
        "A trained liaison officer stays with the family from the kidnappers' first call.",
        "Families with a liaison officer followed the negotiators' advice and rarely paid outside the plan.",
    ),
    (
        "CO",
        ["reporting", "information_systems"],
        "One national kidnapping hotline",
        "One number, answered day and night by GAULA, for every report of a kidnapping or extortion call.",
        "Reports arrived hours earlier once the number appeared on every bank's website and receipt.",
    ),
    (
        "MX",
        ["private_sector_alliances", "prevention"],
        "Banks flag express-kidnapping withdrawals",
        "Banks alert the police when a card is used at several ATMs within minutes at night.",
        "A shared list of patterns and a 24/7 contact at each bank cut the response to minutes.",
    ),
    (
        "NG",
        ["disbanding_groups", "prosecutions"],
        "Following the ransom money to the group's leaders",
        "Every ransom payment is traced with the FIU; accounts are frozen before the group moves the money.",
        "Freezes within 48 hours led to the arrest of leaders who never went near the victims.",
    ),
    (
        "ES",
        ["legislation", "national_authorities"],
        "A central authority answers extradition requests within days",
        "One desk receives, translates and routes extradition requests, each step with a deadline.",
        "Requests were answered within a week once the desk had its own translators and contacts abroad.",
    ),
    (
        "PH",
        ["rescue", "crisis_response"],
        "Rescue only with a negotiated fallback",
        "Tactical rescue is planned only alongside a negotiation that continues until the moment of entry.",
        "Rescues with the negotiation kept open had no casualties among the hostages in three years.",
    ),
]


def _practices(session: Session, now: datetime) -> int:
    authors = {
        "FR": "fr-ocrb",
        "CO": "co-gaula",
        "MX": "mx-fgr",
        "NG": "ng-npf",
        "ES": "es-ucic",
        "PH": "ph-pnp",
    }
    for index, (country, themes, title, summary, lessons) in enumerate(PRACTICES):
        note = PracticeCreate.model_validate(
            {
                "title": title,
                "country": country,
                "themes": themes,
                "summary": summary,
                "lessons": lessons,
                "published_on": (now.date() - timedelta(days=30 * index)).isoformat(),
            }
        )
        practices.publish(session, Actor(authors[country], "analyst"), note, now=now)
    return len(PRACTICES)


def fill_analysis(db: Database, vault: Vault, seed: int = 2026) -> AnalysisSummary:
    """Outcomes, a case and practices, once (skipped when the database holds a case already)."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    now = datetime.now(UTC)
    with db.transaction() as session:
        if session.scalar(select(func.count()).select_from(JointCase)) or not session.scalar(
            select(func.count()).select_from(Record)
        ):
            return AnalysisSummary(0, 0, 0)
        outcomes = _outcomes(session, vault, rng, now)
        made_cases = _case(session, vault, now)
        notes = _practices(session, now)
        return AnalysisSummary(outcomes, made_cases, notes)
