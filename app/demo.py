"""`kix demo`: a realistic synthetic exchange to try KIX on: agencies on several continents, sharing
groups, and thousands of linked alerts, suspects and leads. Deterministic (seeded), and made through the
same services as the API so every rule holds."""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Database
from app.models import Agency, Group, Record
from app.schemas.agencies import AgencyCreate, AgencyKind, ContactPoint, GroupCreate
from app.schemas.alerts import AlertCreate
from app.schemas.common import Scope
from app.schemas.leads import LeadCreate
from app.schemas.suspects import SuspectCreate
from app.services.identity.agencies import create_agency, create_group
from app.services.records.creation import create_record
from app.services.records.kinds import ALERTS, LEADS, SUSPECTS
from app.services.records.store import Actor
from app.services.vault import Vault

# (id, country, name, kind, region)
AGENCIES = [
    ("fr-ocrb", "FR", "Office central pour la répression du banditisme", "police", "europe"),
    ("es-ucic", "ES", "Unidad Central de Inteligencia Criminal", "police", "europe"),
    ("nl-npn", "NL", "Nationale Politie, Landelijke Eenheid", "police", "europe"),
    ("gr-hp", "GR", "Hellenic Police, Directorate of Organised Crime", "police", "europe"),
    ("ro-digiccot", "RO", "DIICOT", "prosecutor", "europe"),
    ("pl-cbsp", "PL", "Centralne Biuro Śledcze Policji", "police", "europe"),
    ("be-ctif", "BE", "CTIF-CFI", "fiu", "europe"),
    ("mt-fiau", "MT", "Financial Intelligence Analysis Unit", "fiu", "europe"),
    ("eu-europol", "EU", "Europol European Serious Organised Crime Centre", "police", "europe"),
    ("eu-eurojust", "EU", "Eurojust", "judiciary", "europe"),
    ("mx-fgr", "MX", "Fiscalía General de la República", "prosecutor", "americas"),
    ("co-gaula", "CO", "GAULA, Policía Nacional", "police", "americas"),
    ("br-pf", "BR", "Polícia Federal", "police", "americas"),
    ("ve-cicpc", "VE", "CICPC", "police", "americas"),
    ("ng-npf", "NG", "Nigeria Police Force, Anti-Kidnapping Unit", "police", "africa"),
    ("za-fic", "ZA", "Financial Intelligence Centre", "fiu", "africa"),
    ("ke-dci", "KE", "Directorate of Criminal Investigations", "police", "africa"),
    ("ph-pnp", "PH", "PNP Anti-Kidnapping Group", "police", "asia"),
    ("in-cbi", "IN", "Central Bureau of Investigation", "police", "asia"),
    ("tr-kom", "TR", "KOM Daire Başkanlığı", "police", "asia"),
    ("ua-npu", "UA", "National Police of Ukraine", "police", "europe"),
    ("jo-psd", "JO", "Public Security Directorate", "police", "asia"),
]
GROUPS = [
    ("eu-ransom-taskforce", "EU kidnap-for-ransom task force", lambda a: a[4] == "europe" and a[3] != "fiu"),
    ("americas-k-and-r", "Americas K&R network", lambda a: a[4] == "americas"),
    ("fiu-network", "Financial intelligence units", lambda a: a[3] == "fiu"),
    ("africa-asia-liaison", "Africa-Asia liaison", lambda a: a[4] in ("africa", "asia")),
]
FIRST = (
    "Giulia Marco Ana Luis Olena Dmytro Chinedu Amina Rahul Maria Jorge Fatima Youssef Elena Nikos "
    "Ayşe Mehmet Thandiwe Juan Katarzyna"
).split()
LAST = (
    "Ferraro Rossi García Moreno Kovalenko Shevchenko Okafor Bello Sharma Silva Hernández Haddad "
    "Al-Rashid Popescu Papadopoulos Yılmaz Demir Nkosi Díaz Nowak"
).split()
OTHER_SCRIPT = {
    "Kovalenko": ("Коваленко", "Cyrl"),
    "Shevchenko": ("Шевченко", "Cyrl"),
    "Al-Rashid": ("الرشيد", "Arab"),
    "Haddad": ("حداد", "Arab"),
    "Papadopoulos": ("Παπαδόπουλος", "Grek"),
}
CATEGORIES = [
    "ransom_extortion",
    "express",
    "virtual",
    "tiger",
    "political_terrorist",
    "trafficking_linked",
    "other",
]
URGENCIES = ["critical", "high", "medium", "low"]
MODI = [
    "Taken at a fake checkpoint",
    "Lured by a false job offer",
    "Seized outside school",
    "Express ATM tour",
    "Virtual kidnapping call to family",
    "Held in a rural safe house",
    "Taken from a taxi",
]
IBANS = [
    "DE89370400440532013000",
    "FR1420041010050500013M02606",
    "ES9121000418450200051332",
    "NL91ABNA0417164300",
    "IT60X0542811101000000123456",
    "BE68539007547034",
    "GR1601101250000000012300695",
    "PL61109010140000071219812874",
]


@dataclass(frozen=True)
class DemoSummary:
    agencies: int
    groups: int
    records: int


def _rules(rng: random.Random, owner: str, agency_ids: list[str], group_ids: list[str]) -> dict[str, Any]:
    mode = rng.choices(["all_members", "groups", "agencies", "owner_only"], weights=[5, 3, 3, 1])[0]
    distribution: dict[str, Any] = {"mode": mode}
    if mode == "groups":
        distribution["groups"] = rng.sample(group_ids, k=rng.randint(1, 2))
    elif mode == "agencies":
        distribution["agencies"] = rng.sample([a for a in agency_ids if a != owner], k=rng.randint(1, 4))
    return {
        "case_ref": f"{owner.split('-')[0].upper()}-{rng.randint(2019, 2026)}-{rng.randint(1, 99999):05d}",
        "evaluation": {"source": rng.choice("ABCDEF"), "information": rng.randint(1, 6)},
        "action_on_hit": rng.choice(["contact_owner_immediately", "report_whereabouts", "discreet_check"]),
        "handling": rng.choice(["GREEN", "AMBER", "AMBER+STRICT", "RED"]),
        "distribution": distribution,
        "discoverable": rng.random() < 0.8,
    }


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST), rng.choice(LAST)


def _alert(rng: random.Random, now: datetime, country: str) -> dict[str, Any]:
    first, last = _person(rng)
    occurred = now - timedelta(days=rng.randint(0, 700), minutes=rng.randint(1, 1440))
    coordinates = {"lat": round(rng.uniform(-40, 60), 4), "lon": round(rng.uniform(-100, 120), 4)}
    return {
        "category": rng.choice(CATEGORIES),
        "urgency": rng.choice(URGENCIES),
        "occurred_at": occurred.isoformat(),
        "place": {
            "country": country,
            "locality": f"District {rng.randint(1, 40)}",
            "coordinates": coordinates,
        },
        "victim": {
            "name": f"{first} {last}",
            "sex": rng.choice(["female", "male"]),
            "age": rng.randint(4, 80),
        },
        "ransom": {
            "amount": f"{rng.randint(5, 5000) * 1000}.00",
            "currency": rng.choice(["EUR", "USD", "MXN", "NGN"]),
            "channel": rng.choice(["cash", "crypto", "bank_transfer", "money_transfer"]),
        },
        "modus_operandi": rng.choice(MODI),
    }


def _suspect(rng: random.Random, country: str) -> dict[str, Any]:
    first, last = _person(rng)
    names: list[dict[str, Any]] = [{"full_name": f"{first} {last}", "script": "Latn"}]
    if last in OTHER_SCRIPT:
        names.append({"full_name": OTHER_SCRIPT[last][0], "script": OTHER_SCRIPT[last][1], "alias": True})
    passport = f"{rng.choice('ABCNPX')}{rng.randint(1000000, 9999999)}"
    return {
        "names": names,
        "date_of_birth": f"{rng.randint(1960, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "nationalities": [country],
        "documents": [{"kind": "passport", "number": passport, "issuing_country": country}],
        "group_affiliation": rng.choice([None, "Clan cell", "Cartel logistics", "Express crew"]),
    }


def _lead(rng: random.Random, country: str) -> dict[str, Any]:
    wallet = rng.random() < 0.4
    identifiers: dict[str, Any]
    if wallet:
        identifiers = {"wallet": {"address": f"bc1q{rng.getrandbits(160):040x}", "chain": "bitcoin"}}
    else:
        identifiers = {"iban": rng.choice(IBANS)}
    return {
        "asset_kind": "crypto_wallet" if wallet else "bank_account",
        "identifiers": identifiers,
        "amount": f"{rng.randint(1, 900) * 1000}.00",
        "currency": "EUR",
        "jurisdiction": country,
    }


def add_directory(session: Session) -> None:
    """The demo agencies and groups, those not there yet."""
    existing = set(session.scalars(select(Agency.id)))
    for agency_id, country, name, kind, _region in AGENCIES:
        if agency_id in existing:
            continue
        contact = ContactPoint(name="24/7 desk", phone="+3220000000", email=f"{agency_id}@example.org")
        agency = AgencyCreate(
            id=agency_id,
            country=country,
            name=f"{name} (demo)",
            kind=AgencyKind(kind),
            scopes=[scope for scope in Scope if scope is not Scope.ADMIN],
            contact=contact,
            jurisdictions=[country],
        )
        create_agency(session, agency)
    existing_groups = set(session.scalars(select(Group.id)))
    for group_id, group_name, member_filter in GROUPS:
        if group_id not in existing_groups:
            members = [a[0] for a in AGENCIES if member_filter(a)]
            create_group(session, GroupCreate(id=group_id, name=group_name, members=members))


def fill(db: Database, vault: Vault, records_per_kind: int = 3000, seed: int = 2026) -> DemoSummary:
    """Add the demo agencies, groups and records (skipped when the database already holds records)."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    now = datetime.now(UTC)
    with db.transaction() as session:
        if session.scalar(select(func.count()).select_from(Record)):
            return DemoSummary(0, 0, 0)
        add_directory(session)
        agency_ids = sorted(set(session.scalars(select(Agency.id).where(Agency.kind != "operator"))))
        group_ids = [g[0] for g in GROUPS]
        made = 0
        for index in range(records_per_kind):
            owner = rng.choice(agency_ids)
            actor = Actor(owner, "demo-loader")
            country = rng.choice([a[1] for a in AGENCIES if a[1] != "EU"])

            def rules() -> dict[str, Any]:
                return _rules(rng, owner, agency_ids, group_ids)  # noqa: B023 - used within this iteration

            alert_body = _alert(rng, now, country) | {"rules": rules()}
            alert = create_record(
                session, ALERTS, actor, AlertCreate.model_validate(alert_body), vault, now=now
            )
            suspect_body = _suspect(rng, country) | {"links": [alert.id], "rules": rules()}
            suspect = create_record(
                session, SUSPECTS, actor, SuspectCreate.model_validate(suspect_body), vault, now=now
            )
            lead_body = _lead(rng, country) | {"links": [alert.id, suspect.id], "rules": rules()}
            create_record(session, LEADS, actor, LeadCreate.model_validate(lead_body), vault, now=now)
            made += 3
            if index % 500 == 499:
                session.flush()
        return DemoSummary(agencies=len(agency_ids), groups=len(group_ids), records=made)
