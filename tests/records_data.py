"""Valid record bodies for tests, to change one field at a time."""

from datetime import UTC, datetime, timedelta
from typing import Any


def rules(
    mode: str = "all_members",
    agencies: list[str] | None = None,
    groups: list[str] | None = None,
    discoverable: bool = True,
) -> dict[str, Any]:
    distribution: dict[str, Any] = {"mode": mode}
    if agencies:
        distribution["agencies"] = agencies
    if groups:
        distribution["groups"] = groups
    return {
        "case_ref": "CASE-2026-0042",
        "evaluation": {"source": "B", "information": 2},
        "action_on_hit": "contact_owner_immediately",
        "handling": "AMBER",
        "distribution": distribution,
        "discoverable": discoverable,
    }


def alert(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "ransom_extortion",
        "urgency": "critical",
        "occurred_at": (datetime.now(UTC) - timedelta(hours=6)).isoformat(),
        "place": {
            "country": "IT",
            "region": "Calabria",
            "locality": "Reggio Calabria",
            "coordinates": {"lat": 38.11, "lon": 15.65},
        },
        "victim": {"name": "Giulia Ferraro", "sex": "female", "age": 34, "nationality": "IT"},
        "ransom": {"amount": "500000.00", "currency": "EUR", "channel": "crypto"},
        "modus_operandi": "Taken from her car at a fake checkpoint",
        "rules": rules(),
    }
    return body | changes


def suspect(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "names": [
            {"full_name": "Mohammed Al-Rashid", "script": "Latn"},
            {"full_name": "Мухаммад Аль-Рашид", "script": "Cyrl", "alias": True},
        ],
        "date_of_birth": "1985-03-14",
        "nationalities": ["JO"],
        "documents": [{"kind": "passport", "number": "N1234567", "issuing_country": "JO"}],
        "group_affiliation": "Calabrian cell",
        "warrants": [
            {
                "issued_by": "Tribunale di Reggio Calabria",
                "reference": "GIP 123/2026",
                "issued_on": "2026-10-01",
                "extradition": "requested",
            }
        ],
        "rules": rules(),
    }
    return body | changes


def lead(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "asset_kind": "bank_account",
        "identifiers": {"iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX"},
        "amount": "120000.00",
        "currency": "EUR",
        "jurisdiction": "DE",
        "rules": rules(),
    }
    return body | changes


def cooperation_request(addressee: str, **changes: Any) -> dict[str, Any]:
    """A mutual legal assistance request to `addressee`, submitted at once."""
    body: dict[str, Any] = {
        "kind": "mutual_legal_assistance",
        "addressee": addressee,
        "legal_basis": {"kind": "convention", "instrument": "UNTOC", "article": "18"},
        "urgency": "high",
        "summary": "Bank records of the account the ransom was paid into, March 2026",
    }
    return body | changes
